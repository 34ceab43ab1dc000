//! Logging in and out. The full door (rate limits, session lifetimes) is built on this.

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use crate::auth;
use crate::db;
use crate::domain::{Email, password};
use crate::error::AppResult;
use crate::startup::AppState;
use crate::store::users;
use crate::views::{self, LoginPage};

const WRONG_CREDENTIALS: &str = "The email or password is wrong.";

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[get("/admin/login")]
pub async fn show(session: Session, query: web::Query<LoginQuery>) -> AppResult<HttpResponse> {
    let page = LoginPage {
        csrf: auth::csrf_token(&session)?,
        email: String::new(),
        next: auth::safe_next(query.next.as_deref()),
        error: None,
    };
    views::html(StatusCode::OK, &page)
}

#[post("/admin/login")]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LoginForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    auth::verify_csrf(&req, &session, &form.csrf_token)?;
    let next = auth::safe_next(Some(&form.next));

    let user = match Email::parse(&form.email) {
        Ok(email) => {
            db::run(&state.pool, move |conn| {
                Ok(users::find_by_email(conn, &email)?)
            })
            .await?
        }
        Err(_) => None,
    };
    let password = form.password;
    let (user, password_ok) = web::block(move || match user {
        Some(user) => {
            let ok = password::verify(&password, user.password_hash.as_deref());
            (Some(user), ok)
        }
        None => {
            password::burn_verify_time(&password);
            (None, false)
        }
    })
    .await?;

    let user = match user {
        Some(user) if password_ok && user.is_active() => user,
        Some(_) if password_ok => {
            let message = "This account is disabled. Ask an administrator to enable it.";
            return refuse(&session, form.email, next, message);
        }
        _ => return refuse(&session, form.email, next, WRONG_CREDENTIALS),
    };

    let user_id = user.id;
    db::run(&state.pool, move |conn| {
        Ok(users::record_login(conn, user_id)?)
    })
    .await?;
    auth::log_in(&session, &user)?;
    tracing::info!(user_id, "logged in");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .finish())
}

/// The login form again, with the email kept and one message that doesn't reveal
/// whether the account exists.
fn refuse(
    session: &Session,
    email: String,
    next: String,
    message: &str,
) -> AppResult<HttpResponse> {
    let page = LoginPage {
        csrf: auth::csrf_token(session)?,
        email,
        next,
        error: Some(message.to_owned()),
    };
    views::html(StatusCode::UNAUTHORIZED, &page)
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

#[post("/admin/logout")]
pub async fn logout(
    req: HttpRequest,
    session: Session,
    form: web::Form<LogoutForm>,
) -> AppResult<HttpResponse> {
    auth::verify_csrf(&req, &session, &form.csrf_token)?;
    auth::log_out(&session);
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/login"))
        .finish())
}
