//! User management: the users page, invitations, roles, disabling, deleting, reset links.
//! Editors see the page and invite contributors and authors; everything else is admin.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::permissions::{self, Action, Ownership};
use crate::domain::{Email, Role};
use crate::error::{AppError, AppResult};
use crate::routes::respond::{redirect, relogin};
use crate::state::AppState;
use crate::store::accounts::{self, Actor, Change, DeleteOutcome};
use crate::store::invitations::{self, Invite, InviteOutcome, WithdrawOutcome};
use crate::store::outbox;
use crate::store::password_resets::{self, ResetLink};
use crate::store::tokens;
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
        nav: AdminNav::new(&me, &session, &state).await?,
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
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    auth::require(&me, Action::InviteContributorOrAuthor, Ownership::Site)?;
    let page = InvitePage {
        nav: AdminNav::new(&me, &session, &state).await?,
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
        return invite_form_again(&state, &me, &session, form, errors).await;
    };

    let outcome = invite_as(&state, &req, &me, &email, role).await?;
    let token = match outcome {
        InviteOutcome::Created(token) => token,
        InviteOutcome::AlreadyHasAccount => {
            let mut errors = FormErrors::default();
            errors.add("email", format!("{email} already has an account."));
            return invite_form_again(&state, &me, &session, form, errors).await;
        }
        InviteOutcome::PendingNeedsAdmin(pending) => {
            return Err(AppError::Forbidden(format!(
                "Only an admin can replace the pending invitation for {email} (as {pending})."
            )));
        }
    };

    invited_page(&state, &me, &session, &email, role, &token).await
}

/// The page after an invitation was made (or made again): its link to copy, and whether
/// it was mailed.
async fn invited_page(
    state: &AppState,
    me: &User,
    session: &Session,
    email: &Email,
    role: Role,
    token: &str,
) -> AppResult<HttpResponse> {
    let link = link_to(state, "/admin/invite", token)?;
    let mailed = mail_invitation(state, me, email, role, &link).await?;
    let explanation = if mailed {
        format!(
            "An invitation mail with this link is on its way to {email}. The link makes them \
             {role}, works once, and expires in 7 days. You can also copy it and send it yourself."
        )
    } else {
        format!(
            "Send this link to {email} (this site does not send mail). It makes them {role}, \
             works once, and expires in 7 days."
        )
    };
    let page = LinkCreatedPage {
        nav: AdminNav::new(me, session, state).await?,
        title: format!("Invitation for {email}"),
        explanation,
        link,
        back: ("/admin/users".into(), "Back to users".into()),
    };
    views::html(StatusCode::CREATED, &page)
}

/// Queues the invitation mail when the site sends mail; `false` when it doesn't.
async fn mail_invitation(
    state: &AppState,
    me: &User,
    email: &Email,
    role: Role,
    link: &str,
) -> AppResult<bool> {
    if state.mail.is_none() {
        return Ok(false);
    }
    let site = state
        .settings
        .get(&state.pool)
        .await?
        .settings
        .title
        .clone();
    let message =
        crate::mail::invitation(&site, &me.display_name, role.as_str(), link).to(email.as_str())?;
    let sender = me.id;
    db::run(&state.pool, move |conn| {
        outbox::queue(conn, &message, Some(sender))
    })
    .await?;
    state.jobs.wake.notify_one();
    Ok(true)
}

async fn invite_form_again(
    state: &AppState,
    me: &User,
    session: &Session,
    form: InviteForm,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let page = InvitePage {
        nav: AdminNav::new(me, session, state).await?,
        email: form.email,
        role: form.role,
        roles: invitable_roles(me),
        errors,
    };
    views::html(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// An absolute link with a token, from the configured base URL.
/// `me` invites `email` as `role` (a new invitation or one sent again: a new link).
async fn invite_as(
    state: &AppState,
    req: &HttpRequest,
    me: &User,
    email: &Email,
    role: Role,
) -> AppResult<InviteOutcome> {
    let address = auth::client_address(req, state.trust_proxy);
    let (inviter_id, inviter_role, invitee) = (me.id, me.role(), email.clone());
    db::run(&state.pool, move |conn| {
        invitations::invite(
            conn,
            &Invite {
                email: &invitee,
                role,
                inviter_id,
                inviter_role,
                address: &address,
            },
        )
    })
    .await
}

fn link_to(state: &AppState, path: &str, token: &str) -> AppResult<String> {
    let mut link = state
        .base_url
        .join(path)
        .map_err(|e| AppError::internal(format!("bad link path {path}"), e))?;
    link.query_pairs_mut().append_pair("token", token);
    Ok(link.to_string())
}

/// Sends a pending invitation again: a new link (the old one stops working), mailed when
/// the site sends mail, shown either way.
#[post("/admin/invitations/{id}/resend")]
pub async fn resend_invitation(
    CurrentUser(me): CurrentUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    auth::require(&me, Action::InviteContributorOrAuthor, Ownership::Site)?;
    let id = id.into_inner();
    let pending = db::run(&state.pool, move |conn| Ok(tokens::find(conn, id)?))
        .await?
        .filter(|t| t.purpose == tokens::PURPOSE_INVITATION)
        .ok_or_else(AppError::not_found)?;
    if pending.used_at.is_some() || pending.revoked_at.is_some() {
        return Err(AppError::Conflict(
            "That invitation was already used or withdrawn.".into(),
        ));
    }
    let role = pending.role.as_deref().and_then(|r| r.parse::<Role>().ok());
    let email = pending.email.as_deref().and_then(|e| Email::parse(e).ok());
    let (Some(role), Some(email)) = (role, email) else {
        return Err(AppError::Internal(format!("invitation {id} is malformed")));
    };
    if !permissions::may_invite(me.role(), role) {
        return Err(AppError::Forbidden(format!(
            "Only an admin can resend an invitation for an {role}."
        )));
    }
    let outcome = invite_as(&state, &req, &me, &email, role).await?;
    match outcome {
        InviteOutcome::Created(token) => {
            invited_page(&state, &me, &session, &email, role, &token).await
        }
        InviteOutcome::AlreadyHasAccount => Err(AppError::Conflict(format!(
            "{email} already has an account."
        ))),
        InviteOutcome::PendingNeedsAdmin(pending) => Err(AppError::Forbidden(format!(
            "Only an admin can replace the pending invitation for {email} (as {pending})."
        ))),
    }
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
    let outcome = db::run(&state.pool, move |conn| {
        invitations::withdraw(conn, id, my_id, my_role, &address)
    })
    .await?;
    let email = match outcome {
        WithdrawOutcome::Withdrawn { email } => email,
        WithdrawOutcome::NotFound => return Err(AppError::not_found()),
        WithdrawOutcome::NeedsAdmin(role) => {
            return Err(AppError::Forbidden(format!(
                "Only an admin can withdraw an invitation for an {role}."
            )));
        }
        WithdrawOutcome::AlreadyClosed => {
            return Err(AppError::Conflict(
                "That invitation was already used or withdrawn.".into(),
            ));
        }
    };
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
        nav: AdminNav::new(&me, &session, &state).await?,
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
    let change = db::run(&state.pool, move |conn| {
        let actor = Actor {
            user_id: my_id,
            address: &address,
        };
        accounts::change_role(conn, subject_id, role, &actor)
    })
    .await?;
    refuse_last_admin(change)?;
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

/// The last active admin's refusal as the error page; any other change goes on.
fn refuse_last_admin(change: Change) -> AppResult<()> {
    match change {
        Change::Done | Change::Unchanged => Ok(()),
        Change::LastAdmin { name } => Err(AppError::Conflict(format!("{name} {LAST_ADMIN}"))),
    }
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
    let change = db::run(&state.pool, move |conn| {
        let actor = Actor {
            user_id: my_id,
            address: &address,
        };
        accounts::set_active(conn, id, active, &actor)
    })
    .await?;
    refuse_last_admin(change)?;
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
        nav: AdminNav::new(me, session, state).await?,
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
        let actor = Actor {
            user_id: my_id,
            address: &address,
        };
        accounts::delete(conn, subject_id, heir, &actor)
    })
    .await?;
    match outcome {
        DeleteOutcome::Deleted { name } => {
            auth::set_flash(&session, format!("{name} was deleted."))?;
            Ok(redirect("/admin/users"))
        }
        DeleteOutcome::LastAdmin { name } => {
            Err(AppError::Conflict(format!("{name} {LAST_ADMIN}")))
        }
        DeleteOutcome::HeirGone => Err(AppError::BadRequest(
            "The chosen new author no longer exists.".into(),
        )),
        DeleteOutcome::HeirNeeded(subject) => {
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
        password_resets::create_link(
            conn,
            &ResetLink {
                user_id: subject_id,
                email: &email,
                created_by: Some(my_id),
                address: Some(&address),
            },
        )
    })
    .await?;
    let page = LinkCreatedPage {
        nav: AdminNav::new(&me, &session, &state).await?,
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
