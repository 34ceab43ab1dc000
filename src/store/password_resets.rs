//! Password reset links: an admin (or `folio user reset-link`) makes one, its holder uses
//! it once to choose a new password. Each command writes its change and its audit record
//! in one write transaction.

use crate::db::{self, DbConnection};
use crate::domain::Email;
use crate::domain::throttle::{RESET_PER_ACCOUNT, RESET_PER_ADDRESS};
use crate::error::{AppError, AppResult};
use crate::store::outbox::{self, Outgoing};
use crate::store::tokens::{self, NewLink};
use crate::store::users::{self, User};
use crate::store::{audit, throttle};

/// How long a link mailed from "Forgot password?" works (an admin's link: 7 days).
pub const MAILED_LINK_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Counts a "Forgot password?" request against the typed address and the client
/// address; `Some(seconds)` while either is locked (nothing counted then). The same work
/// whether or not the address has an account.
pub fn count_request(
    conn: &mut DbConnection,
    typed_email: &str,
    address: &str,
) -> AppResult<Option<i64>> {
    let account_key = format!("reset-{}", throttle::account_key(typed_email));
    let address_key = format!("reset-{}", throttle::address_key(address));
    db::write_transaction(conn, |conn| {
        throttle::lock_counters(conn)?;
        let now = chrono::Utc::now().naive_utc();
        let locked = throttle::locked_for(conn, &account_key, now)?.max(throttle::locked_for(
            conn,
            &address_key,
            now,
        )?);
        if locked.is_some() {
            return Ok(locked);
        }
        throttle::reserve(conn, &account_key, &RESET_PER_ACCOUNT, now)?;
        throttle::reserve(conn, &address_key, &RESET_PER_ADDRESS, now)?;
        Ok(None)
    })
}

/// "Forgot password?": if `email` belongs to an enabled account, makes a one-hour reset
/// link (withdrawing its earlier ones), queues the mail `letter` writes around it and
/// records the request, in one transaction. `false`: no such account, nothing done.
pub fn request_by_mail(
    conn: &mut DbConnection,
    email: &Email,
    address: &str,
    letter: impl FnOnce(&str) -> AppResult<Outgoing>,
) -> AppResult<bool> {
    db::write_transaction(conn, |conn| {
        let Some(user) = users::find_by_email(conn, email)?.filter(User::is_active) else {
            return Ok(false);
        };
        tokens::revoke_pending(conn, tokens::PURPOSE_PASSWORD_RESET, None, Some(user.id))?;
        let token = tokens::create_link_valid_for(
            conn,
            &NewLink {
                purpose: tokens::PURPOSE_PASSWORD_RESET,
                user_id: Some(user.id),
                email: Some(&user.email),
                role: None,
                created_by: None,
            },
            MAILED_LINK_LIFETIME,
        )?;
        outbox::queue(conn, &letter(&token)?, None)?;
        audit::record(
            conn,
            &audit::Entry {
                actor_id: None,
                action: "password_reset.mailed",
                target: ("user", Some(user.id)),
                detail: &user.email,
                ip_address: Some(address),
            },
        )?;
        Ok(true)
    })
}

/// A reset link to make: for whom, by whom (None from the command line), from where.
pub struct ResetLink<'a> {
    pub user_id: i32,
    pub email: &'a str,
    pub created_by: Option<i32>,
    pub address: Option<&'a str>,
}

/// Makes a one-time reset link for the user and returns its secret; their earlier unused
/// ones are withdrawn.
pub fn create_link(conn: &mut DbConnection, link: &ResetLink<'_>) -> AppResult<String> {
    db::write_transaction(conn, |conn| {
        tokens::revoke_pending(
            conn,
            tokens::PURPOSE_PASSWORD_RESET,
            None,
            Some(link.user_id),
        )?;
        let token = tokens::create_link(
            conn,
            &NewLink {
                purpose: tokens::PURPOSE_PASSWORD_RESET,
                user_id: Some(link.user_id),
                email: Some(link.email),
                role: None,
                created_by: link.created_by,
            },
        )?;
        audit::record(
            conn,
            &audit::Entry {
                actor_id: link.created_by,
                action: "password_reset.created",
                target: ("user", Some(link.user_id)),
                detail: link.email,
                ip_address: link.address,
            },
        )?;
        Ok(token)
    })
}

/// A reset link being used: the new password for its user.
pub struct NewPassword<'a> {
    pub token_id: i32,
    pub user_id: i32,
    pub password_hash: &'a str,
    pub address: &'a str,
}

#[derive(Debug)]
pub enum ResetOutcome {
    /// The password was changed (and the user's sessions ended).
    Changed(User),
    /// Someone used or withdrew the link first.
    AlreadyUsed,
}

/// Uses the link and sets the new password. A user deleted meanwhile is `NotFound`, and
/// nothing changes.
pub fn use_link(conn: &mut DbConnection, new: &NewPassword<'_>) -> AppResult<ResetOutcome> {
    db::write_transaction(conn, |conn| {
        if !tokens::claim(conn, new.token_id)? {
            return Ok(ResetOutcome::AlreadyUsed);
        }
        users::set_password(conn, new.user_id, new.password_hash)?;
        let user = users::find(conn, new.user_id)?.ok_or_else(AppError::not_found)?;
        audit::record(
            conn,
            &audit::Entry {
                actor_id: Some(new.user_id),
                action: "password_reset.used",
                target: ("user", Some(new.user_id)),
                detail: &user.email,
                ip_address: Some(new.address),
            },
        )?;
        Ok(ResetOutcome::Changed(user))
    })
}
