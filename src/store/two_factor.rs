//! Two-factor sign-in as commands: turning it on (secret and recovery codes), checking a
//! code at login (each TOTP step and each recovery code works once, even under concurrent
//! attempts), turning it off. Each writes its audit record in the same transaction.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{recovery_codes, two_factor};
use crate::db::{self, DbConnection};
use crate::domain::two_factor::{self as rules, Authenticator};
use crate::error::{AppError, AppResult};
use crate::secrets;
use crate::store::{audit, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = two_factor)]
pub struct TwoFactor {
    pub secret: String,
    pub last_step: i64,
    pub enabled_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConnection, user_id: i32) -> QueryResult<Option<TwoFactor>> {
    two_factor::table
        .find(user_id)
        .select(TwoFactor::as_select())
        .first(conn)
        .optional()
}

pub fn unused_recovery_codes(conn: &mut DbConnection, user_id: i32) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

/// Turns two-factor sign-in on with `secret`, confirmed by a code of `step`, and stores
/// the recovery codes' hashes. False if it was already on (another tab got there first).
pub fn enable(
    conn: &mut DbConnection,
    user_id: i32,
    secret: &str,
    step: u64,
    recovery_codes: &[String],
    address: &str,
) -> AppResult<bool> {
    db::write_transaction(conn, |conn| {
        if find(conn, user_id)?.is_some() {
            return Ok(false);
        }
        let now = Utc::now().naive_utc();
        diesel::insert_into(two_factor::table)
            .values((
                two_factor::user_id.eq(user_id),
                two_factor::secret.eq(secret),
                two_factor::last_step.eq(step_value(step)),
                two_factor::enabled_at.eq(now),
            ))
            .execute(conn)?;
        store_recovery_codes(conn, user_id, recovery_codes)?;
        record(
            conn,
            Some(user_id),
            user_id,
            "two_factor.enabled",
            "",
            address,
        )?;
        Ok(true)
    })
}

fn store_recovery_codes(
    conn: &mut DbConnection,
    user_id: i32,
    codes: &[String],
) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    for code in codes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(secrets::token_hash(&rules::normalise(code))),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// What a code typed at login was.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// A current authenticator code, not used before.
    Authenticator,
    /// An unused recovery code, now used; this many remain.
    RecoveryCode {
        left: i64,
    },
    /// A right code already used (a replay, or a second tab).
    AlreadyUsed,
    Wrong,
    /// Two-factor sign-in was turned off meanwhile.
    NotEnabled,
}

/// Checks `code` for `user_id` at `unix_seconds` and, if it is good, uses it up.
pub fn check_code(
    conn: &mut DbConnection,
    user_id: i32,
    code: &str,
    unix_seconds: u64,
) -> AppResult<CodeCheck> {
    db::write_transaction(conn, |conn| {
        let Some(row) = find(conn, user_id)? else {
            return Ok(CodeCheck::NotEnabled);
        };
        if rules::is_recovery_code(code) {
            let hash = secrets::token_hash(&rules::normalise(code));
            let used = diesel::update(
                recovery_codes::table
                    .filter(recovery_codes::user_id.eq(user_id))
                    .filter(recovery_codes::code_hash.eq(hash))
                    .filter(recovery_codes::used_at.is_null()),
            )
            .set(recovery_codes::used_at.eq(Utc::now().naive_utc()))
            .execute(conn)?;
            if used == 0 {
                return Ok(CodeCheck::Wrong);
            }
            let left = unused_recovery_codes(conn, user_id)?;
            return Ok(CodeCheck::RecoveryCode { left });
        }
        let authenticator = Authenticator::new(&row.secret, "Folio", "user")
            .map_err(|e| AppError::Internal(format!("two-factor secret of user {user_id}: {e}")))?;
        let Some(step) = authenticator.step_of(code, unix_seconds) else {
            return Ok(CodeCheck::Wrong);
        };
        // Moving the last step forward only if it is behind makes a code work once, even
        // when two requests bring it at the same moment.
        let accepted = diesel::update(
            two_factor::table
                .find(user_id)
                .filter(two_factor::last_step.lt(step_value(step))),
        )
        .set(two_factor::last_step.eq(step_value(step)))
        .execute(conn)?;
        Ok(if accepted == 1 {
            CodeCheck::Authenticator
        } else {
            CodeCheck::AlreadyUsed
        })
    })
}

/// Whether `code` is a current authenticator code for `user_id` (turning it off asks for
/// one); uses the step up like a login does.
pub fn confirm_authenticator(
    conn: &mut DbConnection,
    user_id: i32,
    code: &str,
    unix_seconds: u64,
) -> AppResult<bool> {
    if rules::is_recovery_code(code) {
        return Ok(false);
    }
    Ok(check_code(conn, user_id, code, unix_seconds)? == CodeCheck::Authenticator)
}

/// Turns two-factor sign-in off for `user_id` (by themselves, an admin or the command
/// line, named by `action`) and ends all their sessions. False if it wasn't on.
pub fn disable(
    conn: &mut DbConnection,
    user_id: i32,
    actor_id: Option<i32>,
    action: &str,
    address: &str,
) -> AppResult<bool> {
    db::write_transaction(conn, |conn| {
        let removed = diesel::delete(two_factor::table.find(user_id)).execute(conn)?;
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
            .execute(conn)?;
        if removed == 0 {
            return Ok(false);
        }
        users::bump_session_epoch(conn, user_id)?;
        record(conn, actor_id, user_id, action, "", address)?;
        Ok(true)
    })
}

fn step_value(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

fn record(
    conn: &mut DbConnection,
    actor_id: Option<i32>,
    user_id: i32,
    action: &str,
    detail: &str,
    address: &str,
) -> QueryResult<usize> {
    audit::record(
        conn,
        &audit::Entry {
            actor_id,
            action,
            target: ("user", Some(user_id)),
            detail,
            ip_address: Some(address),
        },
    )
}
