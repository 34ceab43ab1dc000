//! First run: the administrator created through the one-time setup link, with the welcome
//! post and the audit record, in one write transaction.

use crate::db::{self, DbConnection};
use crate::domain::{Email, Role};
use crate::error::{AppError, AppResult};
use crate::store::users::{self, NewUser, User};
use crate::store::{audit, posts, tokens};

/// The first administrator, as the setup form gave them.
pub struct FirstAdmin<'a> {
    /// The setup link's secret.
    pub token: &'a str,
    pub email: &'a Email,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub address: Option<&'a str>,
}

#[derive(Debug)]
pub enum SetupOutcome {
    /// The administrator, counted as logged in.
    Created(User),
    /// The token is unknown or was used (e.g. by a concurrent submission).
    InvalidLink,
}

/// Creates the first administrator and the welcome post. Once anyone has an account,
/// setup is over: `NotFound`, and nothing changes.
pub fn create_first_admin(
    conn: &mut DbConnection,
    admin: &FirstAdmin<'_>,
) -> AppResult<SetupOutcome> {
    db::write_transaction(conn, |conn| {
        // Claiming the token first takes the write lock, so two racing submissions
        // cannot both create an administrator.
        if !tokens::consume_setup(conn, admin.token)? {
            return Ok(SetupOutcome::InvalidLink);
        }
        if users::count(conn)? > 0 {
            return Err(AppError::not_found());
        }
        let user = users::create(
            conn,
            &NewUser {
                email: admin.email,
                display_name: admin.display_name,
                password_hash: Some(admin.password_hash),
                role: Role::Admin,
            },
        )?;
        users::record_login(conn, user.id)?;
        posts::create_welcome(conn, user.id)?;
        audit::record(
            conn,
            &audit::Entry {
                actor_id: Some(user.id),
                action: "setup.admin_created",
                target: ("user", Some(user.id)),
                detail: "",
                ip_address: admin.address,
            },
        )?;
        Ok(SetupOutcome::Created(user))
    })
}
