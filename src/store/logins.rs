//! Login attempts and logouts as commands: the failed-login counters (see `throttle`) and
//! the audit records of attempts, each step in one write transaction. Checking the
//! password happens between the two steps of an attempt, off the database.

use chrono::Utc;

use crate::db::{self, DbConnection};
use crate::domain::Email;
use crate::domain::throttle::{PER_ACCOUNT, PER_ADDRESS};
use crate::error::AppResult;
use crate::store::audit;
use crate::store::throttle::{self, Reservation};
use crate::store::users::{self, User};

/// A login attempt: what was typed into the email field, and where it came from.
pub struct Attempt<'a> {
    pub typed_email: &'a str,
    pub address: &'a str,
}

/// The attempt counted against both limits, and the account it names (if any).
pub struct Reserved {
    account: Reservation,
    address: Reservation,
    pub user: Option<User>,
}

pub enum ReserveOutcome {
    Reserved(Box<Reserved>),
    /// The account or the address is locked for this many more seconds.
    Locked {
        retry_after: i64,
    },
}

/// Step 1. In one serialised write transaction, refuse cheaply (no bcrypt) while the
/// account or the address is locked, and otherwise count the attempt as a failure
/// already, so concurrent attempts can't outrun the limits.
pub fn reserve(conn: &mut DbConnection, attempt: &Attempt<'_>) -> AppResult<ReserveOutcome> {
    let account_key = throttle::account_key(attempt.typed_email);
    let address_key = throttle::address_key(attempt.address);
    let email = Email::parse(attempt.typed_email).ok();
    db::write_transaction(conn, |conn| {
        throttle::lock_counters(conn)?;
        let now = Utc::now().naive_utc();
        let locked = throttle::locked_for(conn, &account_key, now)?.max(throttle::locked_for(
            conn,
            &address_key,
            now,
        )?);
        if let Some(retry_after) = locked {
            return Ok(ReserveOutcome::Locked { retry_after });
        }
        let account = throttle::reserve(conn, &account_key, &PER_ACCOUNT, now)?;
        let address = throttle::reserve(conn, &address_key, &PER_ADDRESS, now)?;
        let user = match &email {
            Some(email) => users::find_by_email(conn, email)?,
            None => None,
        };
        Ok(ReserveOutcome::Reserved(Box::new(Reserved {
            account,
            address,
            user,
        })))
    })
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    Failed,
    /// The password was right; the account asks for a second factor next. The try is given
    /// back but the account's earlier failures stay, so re-entering the password can't
    /// reset the count of wrong codes.
    CodeNeeded(i32),
    /// The second step's code was wrong (or used).
    CodeFailed(i32),
    LoggedIn(i32),
}

/// Step 2, once the password (or code) was checked: a success gives its try back, forgets
/// the account's failures and notes the login; every attempt that was reserved goes to
/// the audit log.
pub fn finish(
    conn: &mut DbConnection,
    attempt: &Attempt<'_>,
    reserved: &Reserved,
    how: Finish,
) -> AppResult<()> {
    db::write_transaction(conn, |conn| {
        let (action, user) = match how {
            Finish::Failed => ("login.failed", None),
            Finish::CodeFailed(user_id) => ("login.code_failed", Some(user_id)),
            Finish::CodeNeeded(user_id) => {
                throttle::lock_counters(conn)?;
                throttle::release(conn, &reserved.account)?;
                throttle::release(conn, &reserved.address)?;
                ("login.password_accepted", Some(user_id))
            }
            Finish::LoggedIn(user_id) => {
                throttle::lock_counters(conn)?;
                throttle::reset(conn, reserved.account.key())?;
                throttle::release(conn, &reserved.address)?;
                users::record_login(conn, user_id)?;
                ("login.succeeded", Some(user_id))
            }
        };
        let detail = format!(
            "email: {}",
            attempt
                .typed_email
                .trim()
                .chars()
                .take(254)
                .collect::<String>()
        );
        audit::record(
            conn,
            &audit::Entry {
                actor_id: user,
                action,
                target: ("user", user),
                detail: &detail,
                ip_address: Some(attempt.address),
            },
        )?;
        Ok(())
    })
}

/// The audit record of a logout (the session itself is ended by `auth`).
pub fn record_logout(conn: &mut DbConnection, user_id: i32, address: &str) -> AppResult<()> {
    audit::record(
        conn,
        &audit::Entry {
            actor_id: Some(user_id),
            action: "logout",
            target: ("user", Some(user_id)),
            detail: "",
            ip_address: Some(address),
        },
    )?;
    Ok(())
}
