//! Invitations: an editor or admin invites someone by email with a role, and the one-time
//! link they get creates their account. Each command makes its change and writes its
//! audit record in one write transaction; decisions that depend on what the transaction
//! reads come back as outcomes, for the caller to word.

use crate::db::{self, DbConnection};
use crate::domain::permissions;
use crate::domain::{Email, Role};
use crate::error::{AppError, AppResult};
use crate::store::audit;
use crate::store::tokens::{self, NewLink};
use crate::store::users::{self, NewUser, User};

/// Who invites whom, as what, from where.
pub struct Invite<'a> {
    pub email: &'a Email,
    pub role: Role,
    pub inviter_id: i32,
    pub inviter_role: Role,
    pub address: &'a str,
}

#[derive(Debug)]
pub enum InviteOutcome {
    /// The invitation was stored; this is the secret for its link.
    Created(String),
    /// Someone already has an account with that email.
    AlreadyHasAccount,
    /// A pending invitation for the address, as this role, that only an admin may
    /// replace.
    PendingNeedsAdmin(Role),
}

/// Stores an invitation. A new invitation replaces any earlier one for the same address,
/// but only one who could withdraw those may do that.
pub fn invite(conn: &mut DbConnection, invite: &Invite<'_>) -> AppResult<InviteOutcome> {
    let email = invite.email.as_str();
    db::write_transaction(conn, |conn| {
        if users::find_by_email(conn, invite.email)?.is_some() {
            return Ok(InviteOutcome::AlreadyHasAccount);
        }
        for pending in tokens::usable_invitation_roles(conn, email)? {
            let pending = pending.and_then(|r| r.parse::<Role>().ok());
            if !permissions::may_withdraw_invitation(invite.inviter_role, pending) {
                return Ok(InviteOutcome::PendingNeedsAdmin(
                    pending.unwrap_or(Role::Admin),
                ));
            }
        }
        tokens::revoke_pending(conn, tokens::PURPOSE_INVITATION, Some(email), None)?;
        let token = tokens::create_link(
            conn,
            &NewLink {
                purpose: tokens::PURPOSE_INVITATION,
                user_id: None,
                email: Some(email),
                role: Some(invite.role.as_str()),
                created_by: Some(invite.inviter_id),
            },
        )?;
        audit::record(
            conn,
            &audit::Entry {
                actor_id: Some(invite.inviter_id),
                action: "invitation.created",
                target: ("invitation", None),
                detail: &format!("{email} as {}", invite.role),
                ip_address: Some(invite.address),
            },
        )?;
        Ok(InviteOutcome::Created(token))
    })
}

#[derive(Debug)]
pub enum WithdrawOutcome {
    /// Withdrawn; the address it was for.
    Withdrawn { email: String },
    /// No invitation has that id.
    NotFound,
    /// Only an admin may withdraw an invitation for this role.
    NeedsAdmin(Role),
    /// It was already used or withdrawn.
    AlreadyClosed,
}

/// Withdraws invitation `id`. Editors may withdraw what they could have created.
pub fn withdraw(
    conn: &mut DbConnection,
    id: i32,
    actor_id: i32,
    actor_role: Role,
    address: &str,
) -> AppResult<WithdrawOutcome> {
    db::write_transaction(conn, |conn| {
        let Some(invitation) =
            tokens::find(conn, id)?.filter(|t| t.purpose == tokens::PURPOSE_INVITATION)
        else {
            return Ok(WithdrawOutcome::NotFound);
        };
        let stored = invitation.role.as_deref().and_then(|r| r.parse().ok());
        if !permissions::may_withdraw_invitation(actor_role, stored) {
            return Ok(WithdrawOutcome::NeedsAdmin(stored.unwrap_or(Role::Admin)));
        }
        if !tokens::revoke(conn, id)? {
            return Ok(WithdrawOutcome::AlreadyClosed);
        }
        let email = invitation.email.unwrap_or_default();
        audit::record(
            conn,
            &audit::Entry {
                actor_id: Some(actor_id),
                action: "invitation.revoked",
                target: ("invitation", Some(id)),
                detail: &email,
                ip_address: Some(address),
            },
        )?;
        Ok(WithdrawOutcome::Withdrawn { email })
    })
}

/// An invitation being accepted: the account it creates.
pub struct Acceptance<'a> {
    pub token_id: i32,
    pub email: &'a Email,
    pub role: Role,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub address: &'a str,
}

#[derive(Debug)]
pub enum AcceptOutcome {
    /// The new account, counted as logged in.
    Accepted(User),
    /// Someone used or withdrew the invitation first.
    AlreadyUsed,
}

/// Uses the invitation and creates the account it offers.
pub fn accept(conn: &mut DbConnection, acceptance: &Acceptance<'_>) -> AppResult<AcceptOutcome> {
    db::write_transaction(conn, |conn| {
        if !tokens::claim(conn, acceptance.token_id)? {
            return Ok(AcceptOutcome::AlreadyUsed);
        }
        let user = users::create(
            conn,
            &NewUser {
                email: acceptance.email,
                display_name: acceptance.display_name,
                password_hash: Some(acceptance.password_hash),
                role: acceptance.role,
            },
        )?;
        users::record_login(conn, user.id)?;
        audit::record(
            conn,
            &audit::Entry {
                actor_id: Some(user.id),
                action: "invitation.accepted",
                target: ("user", Some(user.id)),
                detail: &format!("{} as {}", user.email, acceptance.role),
                ip_address: Some(acceptance.address),
            },
        )?;
        Ok::<_, AppError>(AcceptOutcome::Accepted(user))
    })
}
