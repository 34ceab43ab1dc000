//! Password reset links: an admin (or `folio user reset-link`) makes one, its holder uses
//! it once to choose a new password. Each command writes its change and its audit record
//! in one write transaction.

use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::store::audit;
use crate::store::tokens::{self, NewLink};
use crate::store::users::{self, User};

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
