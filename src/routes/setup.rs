//! First run: while no account exists, the one-time link printed at start-up lets the
//! first visitor create the administrator.

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use crate::auth;
use crate::db;
use crate::domain::limits::MAX_NAME_CHARS;
use crate::domain::{Email, password};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::setup::{self, FirstAdmin, SetupOutcome};
use crate::store::{tokens, users};
use crate::views::{self, FormErrors, SetupPage};

#[derive(Deserialize)]
pub struct SetupQuery {
    token: Option<String>,
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

#[get("/admin/setup")]
pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<SetupQuery>,
) -> AppResult<HttpResponse> {
    let token = query.into_inner().token.unwrap_or_default();
    ensure_setup_open(&state, &token).await?;
    let page = SetupPage {
        token,
        csrf: auth::csrf_token(&session)?,
        email: String::new(),
        name: String::new(),
        errors: FormErrors::default(),
    };
    views::html(StatusCode::OK, &page)
}

#[post("/admin/setup")]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<SetupForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    ensure_setup_open(&state, &form.token).await?;

    let (email, errors) = validate(&form);
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        let page = SetupPage {
            token: form.token,
            csrf: auth::csrf_token(&session)?,
            email: form.email,
            name: form.name,
            errors,
        };
        return views::html(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };

    let password = form.password;
    let password_hash = web::block(move || password::hash(&password)).await??;
    let ip = Some(auth::client_address(&req, state.trust_proxy));
    let (token, name) = (form.token, form.name);
    let outcome = db::run(&state.pool, move |conn| {
        setup::create_first_admin(
            conn,
            &FirstAdmin {
                token: &token,
                email: &email,
                display_name: &name,
                password_hash: &password_hash,
                address: ip.as_deref(),
            },
        )
    })
    .await?;
    let admin = match outcome {
        SetupOutcome::Created(admin) => admin,
        SetupOutcome::InvalidLink => return Err(invalid_link()),
    };

    tracing::info!(
        user_id = admin.id,
        "administrator created through the setup link"
    );
    auth::log_in(&req, &session, &admin).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin"))
        .finish())
}

/// 404 once anyone has an account (setup is over); 403 for a missing or wrong token.
async fn ensure_setup_open(state: &AppState, token: &str) -> AppResult<()> {
    let token = token.to_owned();
    let (user_count, token_valid) = db::run(&state.pool, move |conn| {
        let user_count = users::count(conn)?;
        let valid = !token.is_empty() && tokens::setup_token_is_valid(conn, &token)?;
        Ok((user_count, valid))
    })
    .await?;
    if user_count > 0 {
        return Err(AppError::not_found());
    }
    if !token_valid {
        return Err(invalid_link());
    }
    Ok(())
}

fn invalid_link() -> AppError {
    AppError::Forbidden(
        "This setup link is not valid. Open the link that `folio serve` printed when it started."
            .into(),
    )
}

fn validate(form: &SetupForm) -> (Option<Email>, FormErrors) {
    let mut errors = FormErrors::default();
    let email = Email::parse(&form.email)
        .map_err(|message| errors.add("email", message))
        .ok();
    let name = form.name.trim();
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
    (email, errors)
}
