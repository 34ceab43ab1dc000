//! Managing other people's accounts (admins): roles, disabling and enabling, deleting.
//! Each command locks the users for the change, checks the rule that the last active
//! admin stays, makes the change and writes its audit record in one write transaction.
//! A user who no longer exists is `NotFound`.

use crate::db::{self, DbConnection, dialect};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::store::audit;
use crate::store::users::{self, User};

/// What a role or status change did.
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    Done,
    /// The user already had that role or status.
    Unchanged,
    /// Refused: the user (by this name) is the last active admin.
    LastAdmin {
        name: String,
    },
}

/// Who changes an account, from where.
pub struct Actor<'a> {
    pub user_id: i32,
    pub address: &'a str,
}

/// Gives `user_id` the role (which ends their sessions).
pub fn change_role(
    conn: &mut DbConnection,
    user_id: i32,
    role: Role,
    actor: &Actor<'_>,
) -> AppResult<Change> {
    db::write_transaction(conn, |conn| {
        dialect::lock_users_for_role_change(conn)?;
        let current = users::find(conn, user_id)?.ok_or_else(AppError::not_found)?;
        if current.role() == role {
            return Ok(Change::Unchanged);
        }
        if is_last_active_admin(conn, &current)? {
            return Ok(Change::LastAdmin {
                name: current.display_name,
            });
        }
        users::set_role(conn, user_id, role)?;
        audit::record(
            conn,
            &audit::Entry {
                actor_id: Some(actor.user_id),
                action: "user.role_changed",
                target: ("user", Some(user_id)),
                detail: &format!("{} → {role}", current.role),
                ip_address: Some(actor.address),
            },
        )?;
        Ok(Change::Done)
    })
}

/// Enables or disables `user_id` (disabling ends their sessions).
pub fn set_active(
    conn: &mut DbConnection,
    user_id: i32,
    active: bool,
    actor: &Actor<'_>,
) -> AppResult<Change> {
    db::write_transaction(conn, |conn| {
        dialect::lock_users_for_role_change(conn)?;
        let current = users::find(conn, user_id)?.ok_or_else(AppError::not_found)?;
        if current.is_active() == active {
            return Ok(Change::Unchanged);
        }
        if !active && is_last_active_admin(conn, &current)? {
            return Ok(Change::LastAdmin {
                name: current.display_name,
            });
        }
        users::set_active(conn, user_id, active)?;
        audit::record(
            conn,
            &audit::Entry {
                actor_id: Some(actor.user_id),
                action: if active {
                    "user.enabled"
                } else {
                    "user.disabled"
                },
                target: ("user", Some(user_id)),
                detail: &current.email,
                ip_address: Some(actor.address),
            },
        )?;
        Ok(Change::Done)
    })
}

#[derive(Debug)]
pub enum DeleteOutcome {
    /// Deleted; their display name.
    Deleted { name: String },
    /// Refused: the user (by this name) is the last active admin.
    LastAdmin { name: String },
    /// They have posts and no heir was chosen: nothing is deleted silently.
    HeirNeeded(User),
    /// The chosen heir no longer exists.
    HeirGone,
}

/// Deletes `user_id`, giving their posts to `heir` (needed only if they have any).
pub fn delete(
    conn: &mut DbConnection,
    user_id: i32,
    heir: Option<i32>,
    actor: &Actor<'_>,
) -> AppResult<DeleteOutcome> {
    db::write_transaction(conn, |conn| {
        dialect::lock_users_for_role_change(conn)?;
        let current = users::find(conn, user_id)?.ok_or_else(AppError::not_found)?;
        if is_last_active_admin(conn, &current)? {
            return Ok(DeleteOutcome::LastAdmin {
                name: current.display_name,
            });
        }
        let posts = users::post_count(conn, user_id)?;
        let heir = match heir {
            Some(heir) => match users::find(conn, heir)? {
                Some(heir) => Some(heir),
                None => return Ok(DeleteOutcome::HeirGone),
            },
            None => None,
        };
        let heir_id = match (&heir, posts) {
            (Some(heir), _) => heir.id,
            (None, 0) => user_id, // nothing to move
            (None, _) => return Ok(DeleteOutcome::HeirNeeded(current)),
        };
        let moved = users::delete_reassigning(conn, user_id, heir_id)?;
        let detail = match &heir {
            Some(heir) if moved > 0 => {
                format!(
                    "{}; {} given to {}",
                    current.email,
                    crate::domain::counted(moved, "post", "posts"),
                    heir.email
                )
            }
            _ => current.email.clone(),
        };
        audit::record(
            conn,
            &audit::Entry {
                actor_id: Some(actor.user_id),
                action: "user.deleted",
                target: ("user", Some(user_id)),
                detail: &detail,
                ip_address: Some(actor.address),
            },
        )?;
        Ok(DeleteOutcome::Deleted {
            name: current.display_name,
        })
    })
}

fn is_last_active_admin(conn: &mut DbConnection, user: &User) -> AppResult<bool> {
    Ok(user.role() == Role::Admin && user.is_active() && users::active_admin_count(conn)? <= 1)
}
