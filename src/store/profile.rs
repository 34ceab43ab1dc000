//! One's own account: profile fields, password, "log out everywhere". Each command makes
//! its change and writes its audit record in one write transaction.

use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::store::audit;
use crate::store::users::{self, Profile};

/// What saving a profile did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ProfileOutcome {
    /// The email belongs to another account (nothing was saved).
    pub email_taken: bool,
    /// The slug is another author's (nothing was saved).
    pub slug_taken: bool,
}

impl ProfileOutcome {
    pub fn saved(&self) -> bool {
        !self.email_taken && !self.slug_taken
    }
}

/// Saves the user's profile unless its email or slug is someone else's.
pub fn update(
    conn: &mut DbConnection,
    user_id: i32,
    profile: &Profile<'_>,
    address: &str,
) -> AppResult<ProfileOutcome> {
    db::write_transaction(conn, |conn| {
        let outcome = ProfileOutcome {
            email_taken: users::find_by_email(conn, profile.email)?
                .is_some_and(|u| u.id != user_id),
            slug_taken: users::find_by_slug(conn, profile.slug)?.is_some_and(|u| u.id != user_id),
        };
        if outcome.saved() {
            users::update_profile(conn, user_id, profile)?;
            record(conn, user_id, "profile.updated", address)?;
        }
        Ok(outcome)
    })
}

/// Sets a new password (already hashed); the user's sessions end.
pub fn change_password(
    conn: &mut DbConnection,
    user_id: i32,
    password_hash: &str,
    address: &str,
) -> AppResult<()> {
    db::write_transaction(conn, |conn| {
        users::set_password(conn, user_id, password_hash)?;
        record(conn, user_id, "password.changed", address)?;
        Ok(())
    })
}

/// Ends every session of the user. A user who no longer exists is `NotFound`.
pub fn log_out_everywhere(conn: &mut DbConnection, user_id: i32, address: &str) -> AppResult<()> {
    db::write_transaction(conn, |conn| {
        if users::bump_session_epoch(conn, user_id)? == 0 {
            return Err(AppError::not_found());
        }
        record(conn, user_id, "sessions.revoked", address)?;
        Ok(())
    })
}

/// The audit record of a change the user made to their own account.
fn record(
    conn: &mut DbConnection,
    user_id: i32,
    action: &str,
    address: &str,
) -> diesel::QueryResult<usize> {
    audit::record(
        conn,
        &audit::Entry {
            actor_id: Some(user_id),
            action,
            target: ("user", Some(user_id)),
            detail: "",
            ip_address: Some(address),
        },
    )
}
