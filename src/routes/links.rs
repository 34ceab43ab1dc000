//! The pages behind one-time links: accepting an invitation and choosing a new password.
//! They need no login; the token in the link is the credential.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use crate::auth;
use crate::db;
use crate::domain::limits::MAX_NAME_CHARS;
use crate::domain::{Email, Role, password};
use crate::error::{AppError, AppResult};
use crate::routes::respond::redirect;
use crate::state::AppState;
use crate::store::invitations::{self, AcceptOutcome, Acceptance};
use crate::store::password_resets::{self, NewPassword, ResetOutcome};
use crate::store::tokens::{self, Token, Unusable};
use crate::views::{self, AcceptInvitePage, FormErrors, ResetPasswordPage};

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The token's row, or the page that says why the link can't be used (404 unknown,
/// 410 used, withdrawn or expired).
async fn usable(
    state: &AppState,
    purpose: &'static str,
    token: &str,
    what: &str,
) -> AppResult<Token> {
    let token = token.to_owned();
    let found = db::run(&state.pool, move |conn| {
        Ok(tokens::find_usable(conn, purpose, &token)?)
    })
    .await?;
    found.map_err(|problem| refusal(problem, what))
}

fn refusal(problem: Unusable, what: &str) -> AppError {
    match problem {
        Unusable::Unknown => AppError::NotFound(problem.message(what)),
        _ => AppError::Gone(problem.message(what)),
    }
}

#[get("/admin/invite")]
pub async fn accept_form(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<TokenQuery>,
) -> AppResult<HttpResponse> {
    let token = query.into_inner().token;
    let invitation = usable(&state, tokens::PURPOSE_INVITATION, &token, "invitation").await?;
    let page = AcceptInvitePage {
        csrf: auth::csrf_token(&session)?,
        token,
        email: invitation.email.unwrap_or_default(),
        role: invitation.role.unwrap_or_default(),
        name: String::new(),
        errors: FormErrors::default(),
    };
    views::html(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

#[post("/admin/invite")]
pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<AcceptForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let invitation = usable(
        &state,
        tokens::PURPOSE_INVITATION,
        &form.token,
        "invitation",
    )
    .await?;
    let email = invitation
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .ok()
        .flatten();
    let role = invitation
        .role
        .as_deref()
        .and_then(|r| r.parse::<Role>().ok());
    let (Some(email), Some(role)) = (email, role) else {
        return Err(AppError::Internal(format!(
            "invitation {} is malformed",
            invitation.id
        )));
    };

    let mut errors = FormErrors::default();
    let name = form.name.trim().to_owned();
    if name.is_empty() {
        errors.add("name", "Enter the name to show on your posts.");
    } else if name.chars().count() > MAX_NAME_CHARS {
        errors.add(
            "name",
            format!("A display name has at most {MAX_NAME_CHARS} characters."),
        );
    }
    if let Err(message) = password::validate_new(&form.password, &form.password_confirmation) {
        errors.add("password", message);
    }
    if !errors.is_empty() {
        let page = AcceptInvitePage {
            csrf: auth::csrf_token(&session)?,
            token: form.token,
            email: email.to_string(),
            role: role.to_string(),
            name: form.name,
            errors,
        };
        return views::html(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }

    let plain = form.password;
    let hash = web::block(move || password::hash(&plain)).await??;
    let address = auth::client_address(&req, state.trust_proxy);
    let token_id = invitation.id;
    let outcome = db::run(&state.pool, move |conn| {
        invitations::accept(
            conn,
            &Acceptance {
                token_id,
                email: &email,
                role,
                display_name: &name,
                password_hash: &hash,
                address: &address,
            },
        )
    })
    .await?;
    let user = match outcome {
        AcceptOutcome::Accepted(user) => user,
        AcceptOutcome::AlreadyUsed => return Err(refusal(Unusable::Used, "invitation")),
    };
    auth::log_in(&req, &session, &user).await?;
    auth::set_flash(&session, format!("Welcome, {}!", user.display_name))?;
    Ok(redirect("/admin"))
}

#[get("/admin/reset")]
pub async fn reset_form(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<TokenQuery>,
) -> AppResult<HttpResponse> {
    let token = query.into_inner().token;
    let link = usable(
        &state,
        tokens::PURPOSE_PASSWORD_RESET,
        &token,
        "password reset",
    )
    .await?;
    let page = ResetPasswordPage {
        csrf: auth::csrf_token(&session)?,
        token,
        email: link.email.unwrap_or_default(),
        errors: FormErrors::default(),
    };
    views::html(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

#[post("/admin/reset")]
pub async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<ResetForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let link = usable(
        &state,
        tokens::PURPOSE_PASSWORD_RESET,
        &form.token,
        "password reset",
    )
    .await?;
    if let Err(message) = password::validate_new(&form.password, &form.password_confirmation) {
        let mut errors = FormErrors::default();
        errors.add("password", message);
        let page = ResetPasswordPage {
            csrf: auth::csrf_token(&session)?,
            token: form.token,
            email: link.email.unwrap_or_default(),
            errors,
        };
        return views::html(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let Some(user_id) = link.user_id else {
        return Err(AppError::Internal(format!(
            "reset token {} has no user",
            link.id
        )));
    };
    let plain = form.password;
    let hash = web::block(move || password::hash(&plain)).await??;
    let address = auth::client_address(&req, state.trust_proxy);
    let token_id = link.id;
    let outcome = db::run(&state.pool, move |conn| {
        password_resets::use_link(
            conn,
            &NewPassword {
                token_id,
                user_id,
                password_hash: &hash,
                address: &address,
            },
        )
    })
    .await?;
    let user = match outcome {
        ResetOutcome::Changed(user) => user,
        ResetOutcome::AlreadyUsed => return Err(refusal(Unusable::Used, "password reset")),
    };
    if !user.is_active() {
        auth::set_flash(
            &session,
            "Your password was changed, but your account is disabled.",
        )?;
        return Ok(redirect("/admin/login"));
    }
    auth::log_in(&req, &session, &user).await?;
    auth::set_flash(&session, "Your password was changed.")?;
    Ok(redirect("/admin"))
}
