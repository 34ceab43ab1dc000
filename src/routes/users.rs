//! User management: the users page, invitations, roles, disabling, deleting, reset links.
//! Editors see the page and invite contributors and authors; everything else is admin.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use crate::auth::{self, CurrentUser};
use crate::db::{self, dialect};
use crate::domain::permissions::{self, Action, Ownership};
use crate::domain::{Email, Role};
use crate::error::{AppError, AppResult};
use crate::routes::respond::{redirect, relogin};
use crate::state::AppState;
use crate::store::audit;
use crate::store::tokens::{self, NewLink};
use crate::store::users::{self, User};
use crate::views::{
    self, AdminNav, FormErrors, InvitePage, LinkCreatedPage, UserDeletePage, UserEditPage,
    UsersPage,
};

#[get("/admin/users")]
pub async fn list(
    CurrentUser(me): CurrentUser,
    state: web::Data<AppState>,
    session: Session,
) -> AppResult<HttpResponse> {
    auth::require(&me, Action::ListUsers, Ownership::Site)?;
    let (all, invitations) = db::run(&state.pool, |conn| {
        Ok((users::list(conn)?, tokens::pending_invitations(conn)?))
    })
    .await?;
    let can_manage = permissions::can(me.role(), Action::ManageUsers, Ownership::Site);
    let page = UsersPage {
        nav: AdminNav::new(&me, &session)?,
        users: all,
        invitations,
        can_manage,
    };
    views::html(StatusCode::OK, &page)
}

/// The roles `me` may hand out in an invitation.
fn invitable_roles(me: &User) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|role| permissions::may_invite(me.role(), *role))
        .collect()
}

#[get("/admin/users/invite")]
pub async fn invite_form(
    CurrentUser(me): CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    auth::require(&me, Action::InviteContributorOrAuthor, Ownership::Site)?;
    let page = InvitePage {
        nav: AdminNav::new(&me, &session)?,
        email: String::new(),
        role: Role::Contributor.as_str().to_owned(),
        roles: invitable_roles(&me),
        errors: FormErrors::default(),
    };
    views::html(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

#[post("/admin/users/invite")]
pub async fn invite(
    CurrentUser(me): CurrentUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<InviteForm>,
) -> AppResult<HttpResponse> {
    auth::require(&me, Action::InviteContributorOrAuthor, Ownership::Site)?;
    let form = form.into_inner();
    let mut errors = FormErrors::default();
    let email = Email::parse(&form.email)
        .map_err(|message| errors.add("email", message))
        .ok();
    let role = form
        .role
        .parse::<Role>()
        .map_err(|_| errors.add("role", "Choose one of the roles in the list."))
        .ok();
    if let Some(role) = role
        && !permissions::may_invite(me.role(), role)
    {
        // Asking for more than one may give is a refusal, not a typo.
        return Err(AppError::Forbidden(format!(
            "Only an admin can invite someone as {role}."
        )));
    }
    let (Some(email), Some(role)) = (email.filter(|_| errors.is_empty()), role) else {
        return invite_form_again(&me, &session, form, errors);
    };

    let address = auth::client_address(&req, state.trust_proxy);
    let (inviter, my_role) = (me.id, me.role());
    let invitee = email.clone();
    let created = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            if users::find_by_email(conn, &invitee)?.is_some() {
                return Ok(None);
            }
            // A new invitation replaces any earlier one for the same address: only one
            // who could withdraw those may do that.
            for pending in tokens::usable_invitation_roles(conn, invitee.as_str())? {
                let pending = pending.and_then(|r| r.parse::<Role>().ok());
                if !permissions::may_withdraw_invitation(my_role, pending) {
                    return Err(AppError::Forbidden(format!(
                        "Only an admin can replace the pending invitation for {invitee} (as {}).",
                        pending.unwrap_or(Role::Admin)
                    )));
                }
            }
            tokens::revoke_pending(
                conn,
                tokens::PURPOSE_INVITATION,
                Some(invitee.as_str()),
                None,
            )?;
            let token = tokens::create_link(
                conn,
                &NewLink {
                    purpose: tokens::PURPOSE_INVITATION,
                    user_id: None,
                    email: Some(invitee.as_str()),
                    role: Some(role.as_str()),
                    created_by: Some(inviter),
                },
            )?;
            audit::record(
                conn,
                &audit::Entry {
                    actor_id: Some(inviter),
                    action: "invitation.created",
                    target: ("invitation", None),
                    detail: &format!("{invitee} as {role}"),
                    ip_address: Some(&address),
                },
            )?;
            Ok(Some(token))
        })
    })
    .await?;
    let Some(token) = created else {
        let mut errors = FormErrors::default();
        errors.add("email", format!("{email} already has an account."));
        return invite_form_again(&me, &session, form, errors);
    };

    let link = link_to(&state, "/admin/invite", &token)?;
    let page = LinkCreatedPage {
        nav: AdminNav::new(&me, &session)?,
        title: format!("Invitation for {email}"),
        explanation: format!(
            "Send this link to {email}. It makes them {role}, works once, and expires in 7 days."
        ),
        link,
        back: ("/admin/users".into(), "Back to users".into()),
    };
    views::html(StatusCode::CREATED, &page)
}

fn invite_form_again(
    me: &User,
    session: &Session,
    form: InviteForm,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let page = InvitePage {
        nav: AdminNav::new(me, session)?,
        email: form.email,
        role: form.role,
        roles: invitable_roles(me),
        errors,
    };
    views::html(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// An absolute link with a token, from the configured base URL.
fn link_to(state: &AppState, path: &str, token: &str) -> AppResult<String> {
    let mut link = state
        .base_url
        .join(path)
        .map_err(|e| AppError::Internal(format!("bad link path {path}: {e}")))?;
    link.query_pairs_mut().append_pair("token", token);
    Ok(link.to_string())
}

#[post("/admin/invitations/{id}/revoke")]
pub async fn revoke_invitation(
    CurrentUser(me): CurrentUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    auth::require(&me, Action::InviteContributorOrAuthor, Ownership::Site)?;
    let id = id.into_inner();
    let address = auth::client_address(&req, state.trust_proxy);
    let (my_role, my_id) = (me.role(), me.id);
    let email = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let invitation = tokens::find(conn, id)?
                .filter(|t| t.purpose == tokens::PURPOSE_INVITATION)
                .ok_or_else(AppError::not_found)?;
            // Editors may withdraw what they could have created.
            let stored = invitation.role.as_deref().and_then(|r| r.parse().ok());
            let role = stored.unwrap_or(Role::Admin);
            if !permissions::may_withdraw_invitation(my_role, stored) {
                return Err(AppError::Forbidden(format!(
                    "Only an admin can withdraw an invitation for an {role}."
                )));
            }
            if !tokens::revoke(conn, id)? {
                return Err(AppError::Conflict(
                    "That invitation was already used or withdrawn.".into(),
                ));
            }
            let email = invitation.email.unwrap_or_default();
            audit::record(
                conn,
                &audit::Entry {
                    actor_id: Some(my_id),
                    action: "invitation.revoked",
                    target: ("invitation", Some(id)),
                    detail: &email,
                    ip_address: Some(&address),
                },
            )?;
            Ok(email)
        })
    })
    .await?;
    auth::set_flash(
        &session,
        format!("The invitation for {email} was withdrawn."),
    )?;
    Ok(redirect("/admin/users"))
}

/// Loads the user to manage, after checking that `me` may manage users.
async fn subject(state: &AppState, me: &User, id: i32) -> AppResult<User> {
    auth::require(me, Action::ManageUsers, Ownership::Site)?;
    db::run(&state.pool, move |conn| {
        users::find(conn, id)?.ok_or_else(AppError::not_found)
    })
    .await
}

#[get("/admin/users/{id}")]
pub async fn edit(
    CurrentUser(me): CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let subject = subject(&state, &me, id.into_inner()).await?;
    let subject_id = subject.id;
    let post_count = db::run(&state.pool, move |conn| {
        Ok(users::post_count(conn, subject_id)?)
    })
    .await?;
    let page = UserEditPage {
        nav: AdminNav::new(&me, &session)?,
        is_self: subject.id == me.id,
        subject,
        roles: Role::ALL.to_vec(),
        post_count,
    };
    views::html(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

const LAST_ADMIN: &str = "is the last active admin: make someone else an admin first.";

#[post("/admin/users/{id}/role")]
pub async fn change_role(
    CurrentUser(me): CurrentUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
    form: web::Form<RoleForm>,
) -> AppResult<HttpResponse> {
    let subject = subject(&state, &me, id.into_inner()).await?;
    let role: Role = form
        .role
        .parse()
        .map_err(|e: String| AppError::BadRequest(format!("{e}.")))?;
    let address = auth::client_address(&req, state.trust_proxy);
    let (subject_id, my_id, name) = (subject.id, me.id, subject.display_name.clone());
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            dialect::lock_users_for_role_change(conn)?;
            let current = users::find(conn, subject_id)?.ok_or_else(AppError::not_found)?;
            if current.role() == role {
                return Ok(());
            }
            if is_last_active_admin(conn, &current)? {
                return Err(AppError::Conflict(format!(
                    "{} {LAST_ADMIN}",
                    current.display_name
                )));
            }
            users::set_role(conn, subject_id, role)?;
            audit::record(
                conn,
                &audit::Entry {
                    actor_id: Some(my_id),
                    action: "user.role_changed",
                    target: ("user", Some(subject_id)),
                    detail: &format!("{} → {role}", current.role),
                    ip_address: Some(&address),
                },
            )?;
            Ok(())
        })
    })
    .await?;
    if subject_id == me.id {
        // Changing one's own role ended one's sessions: start a new one.
        return relogin(&state, &req, &session, me.id, "/admin").await;
    }
    auth::set_flash(
        &session,
        format!("{name} is now {role}; their sessions have ended."),
    )?;
    Ok(redirect(&format!("/admin/users/{subject_id}")))
}

fn is_last_active_admin(conn: &mut db::DbConnection, user: &User) -> AppResult<bool> {
    Ok(user.role() == Role::Admin && user.is_active() && users::active_admin_count(conn)? <= 1)
}

#[post("/admin/users/{id}/disable")]
pub async fn disable(
    CurrentUser(me): CurrentUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    set_active(me, req, state, session, id.into_inner(), false).await
}

#[post("/admin/users/{id}/enable")]
pub async fn enable(
    CurrentUser(me): CurrentUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    set_active(me, req, state, session, id.into_inner(), true).await
}

async fn set_active(
    me: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    id: i32,
    active: bool,
) -> AppResult<HttpResponse> {
    let subject = subject(&state, &me, id).await?;
    if subject.id == me.id {
        return Err(AppError::Conflict(
            "You can't disable or enable your own account; ask another admin.".into(),
        ));
    }
    let address = auth::client_address(&req, state.trust_proxy);
    let my_id = me.id;
    let name = subject.display_name.clone();
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            dialect::lock_users_for_role_change(conn)?;
            let current = users::find(conn, id)?.ok_or_else(AppError::not_found)?;
            if current.is_active() == active {
                return Ok(());
            }
            if !active && is_last_active_admin(conn, &current)? {
                return Err(AppError::Conflict(format!(
                    "{} {LAST_ADMIN}",
                    current.display_name
                )));
            }
            users::set_active(conn, id, active)?;
            audit::record(
                conn,
                &audit::Entry {
                    actor_id: Some(my_id),
                    action: if active {
                        "user.enabled"
                    } else {
                        "user.disabled"
                    },
                    target: ("user", Some(id)),
                    detail: &current.email,
                    ip_address: Some(&address),
                },
            )?;
            Ok(())
        })
    })
    .await?;
    let message = if active {
        format!("{name} can log in again.")
    } else {
        format!("{name} is disabled and has been logged out.")
    };
    auth::set_flash(&session, message)?;
    Ok(redirect(&format!("/admin/users/{id}")))
}

#[get("/admin/users/{id}/delete")]
pub async fn delete_form(
    CurrentUser(me): CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let subject = subject(&state, &me, id.into_inner()).await?;
    delete_page(&state, &me, &session, subject, None, StatusCode::OK).await
}

async fn delete_page(
    state: &AppState,
    me: &User,
    session: &Session,
    subject: User,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let subject_id = subject.id;
    let (post_count, everyone) = db::run(&state.pool, move |conn| {
        Ok((users::post_count(conn, subject_id)?, users::list(conn)?))
    })
    .await?;
    let page = UserDeletePage {
        nav: AdminNav::new(me, session)?,
        post_count,
        heirs: everyone
            .into_iter()
            .filter(|u| u.id != subject_id)
            .collect(),
        subject,
        error,
    };
    views::html(status, &page)
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    heir: String,
}

#[post("/admin/users/{id}/delete")]
pub async fn delete(
    CurrentUser(me): CurrentUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
    form: web::Form<DeleteForm>,
) -> AppResult<HttpResponse> {
    let subject = subject(&state, &me, id.into_inner()).await?;
    if subject.id == me.id {
        return Err(AppError::Conflict(
            "You can't delete your own account; ask another admin.".into(),
        ));
    }
    let heir: Option<i32> = match form.heir.trim() {
        "" => None,
        raw => Some(raw.parse().map_err(|_| {
            AppError::BadRequest("The new author must be chosen from the list.".into())
        })?),
    };
    if heir == Some(subject.id) {
        return Err(AppError::BadRequest(
            "Choose someone other than the user being deleted.".into(),
        ));
    }
    let address = auth::client_address(&req, state.trust_proxy);
    let (subject_id, my_id) = (subject.id, me.id);
    let outcome = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            dialect::lock_users_for_role_change(conn)?;
            let current = users::find(conn, subject_id)?.ok_or_else(AppError::not_found)?;
            if is_last_active_admin(conn, &current)? {
                return Err(AppError::Conflict(format!(
                    "{} {LAST_ADMIN}",
                    current.display_name
                )));
            }
            let posts = users::post_count(conn, subject_id)?;
            let heir = match heir {
                Some(heir) => Some(users::find(conn, heir)?.ok_or_else(|| {
                    AppError::BadRequest("The chosen new author no longer exists.".into())
                })?),
                None => None,
            };
            let heir_id = match (&heir, posts) {
                (Some(heir), _) => heir.id,
                (None, 0) => subject_id, // nothing to move
                (None, _) => return Ok(Err(current)),
            };
            let moved = users::delete_reassigning(conn, subject_id, heir_id)?;
            let detail = match &heir {
                Some(heir) if moved > 0 => {
                    format!("{}; {moved} post(s) given to {}", current.email, heir.email)
                }
                _ => current.email.clone(),
            };
            audit::record(
                conn,
                &audit::Entry {
                    actor_id: Some(my_id),
                    action: "user.deleted",
                    target: ("user", Some(subject_id)),
                    detail: &detail,
                    ip_address: Some(&address),
                },
            )?;
            Ok(Ok(current.display_name))
        })
    })
    .await?;
    match outcome {
        Ok(name) => {
            auth::set_flash(&session, format!("{name} was deleted."))?;
            Ok(redirect("/admin/users"))
        }
        Err(subject) => {
            let message = "Choose who gets their posts: nothing is deleted silently.".to_owned();
            delete_page(
                &state,
                &me,
                &session,
                subject,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[post("/admin/users/{id}/reset-link")]
pub async fn reset_link(
    CurrentUser(me): CurrentUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let subject = subject(&state, &me, id.into_inner()).await?;
    let address = auth::client_address(&req, state.trust_proxy);
    let (subject_id, my_id, email) = (subject.id, me.id, subject.email.clone());
    let token = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            create_reset_link(conn, subject_id, &email, Some(my_id), Some(&address))
        })
    })
    .await?;
    let page = LinkCreatedPage {
        nav: AdminNav::new(&me, &session)?,
        title: format!("Password reset link for {}", subject.display_name),
        explanation: format!(
            "Send this link to {}. It lets them choose a new password once, within 7 days; \
             older reset links for them stop working.",
            subject.email
        ),
        link: link_to(&state, "/admin/reset", &token)?,
        back: (
            format!("/admin/users/{}", subject.id),
            "Back to the user".into(),
        ),
    };
    views::html(StatusCode::CREATED, &page)
}

/// A one-time reset link for the user (the CLI uses it too); earlier unused ones are
/// withdrawn. Call inside a write transaction.
pub fn create_reset_link(
    conn: &mut db::DbConnection,
    user_id: i32,
    email: &str,
    created_by: Option<i32>,
    address: Option<&str>,
) -> AppResult<String> {
    tokens::revoke_pending(conn, tokens::PURPOSE_PASSWORD_RESET, None, Some(user_id))?;
    let token = tokens::create_link(
        conn,
        &NewLink {
            purpose: tokens::PURPOSE_PASSWORD_RESET,
            user_id: Some(user_id),
            email: Some(email),
            role: None,
            created_by,
        },
    )?;
    audit::record(
        conn,
        &audit::Entry {
            actor_id: created_by,
            action: "password_reset.created",
            target: ("user", Some(user_id)),
            detail: email,
            ip_address: address,
        },
    )?;
    Ok(token)
}
