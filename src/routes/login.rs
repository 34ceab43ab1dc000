//! Logging in and out. Failures count per account and per client address; past the
//! free tries, attempts are refused (429 with Retry-After) for a growing delay.

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::password;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::logins::{self, Attempt, ReserveOutcome};
use crate::store::users::User;
use crate::views::{self, LoginPage};

const WRONG_CREDENTIALS: &str = "The email or password is wrong.";
const DISABLED: &str = "This account is disabled. Ask an administrator to enable it.";

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
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
        notice: auth::take_flash(&session)?,
        email: String::new(),
        next: auth::safe_next(query.next.as_deref()),
        error: None,
    };
    views::html(StatusCode::OK, &page)
}

enum Outcome {
    Throttled { retry_after: i64 },
    Refused(&'static str),
    LoggedIn(User),
}

#[post("/admin/login")]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LoginForm>,
) -> AppResult<HttpResponse> {
    let LoginForm {
        email: typed_email,
        password,
        next,
    } = form.into_inner();
    let next = auth::safe_next(Some(&next));
    let address = auth::client_address(&req, state.trust_proxy);

    // 1. Reserve the attempt (see `logins::reserve`): refused cheaply while locked.
    let (typed, from) = (typed_email.clone(), address.clone());
    let reserved = db::run(&state.pool, move |conn| {
        let attempt = Attempt {
            typed_email: &typed,
            address: &from,
        };
        logins::reserve(conn, &attempt)
    })
    .await?;

    let (outcome, reserved) = match reserved {
        ReserveOutcome::Locked { retry_after } => (Outcome::Throttled { retry_after }, None),
        ReserveOutcome::Reserved(mut reserved) => {
            // 2. Verify off the async threads. Every attempt costs one bcrypt verify —
            //    unknown email, account without a password, disabled — so the time
            //    doesn't tell which.
            let user = reserved.user.take();
            let (user, password_ok) = web::block(move || {
                let stored = user.as_ref().and_then(|u| u.password_hash.as_deref());
                let ok = password::verify(&password, stored);
                (user, ok)
            })
            .await?;
            let outcome = match user {
                Some(user) if password_ok && user.is_active() => Outcome::LoggedIn(user),
                Some(_) if password_ok => Outcome::Refused(DISABLED),
                _ => Outcome::Refused(WRONG_CREDENTIALS),
            };
            (outcome, Some(reserved))
        }
    };

    // 3. A success gives its try back; every attempt that got this far goes to the
    //    audit log (see `logins::finish`).
    if let Some(reserved) = reserved {
        let logged_in = match &outcome {
            Outcome::LoggedIn(user) => Some(user.id),
            Outcome::Throttled { .. } | Outcome::Refused(_) => None,
        };
        let typed = typed_email.clone();
        db::run(&state.pool, move |conn| {
            let attempt = Attempt {
                typed_email: &typed,
                address: &address,
            };
            logins::finish(conn, &attempt, &reserved, logged_in)
        })
        .await?;
    }

    match outcome {
        Outcome::LoggedIn(user) => {
            auth::log_in(&req, &session, &user).await?;
            tracing::info!(user_id = user.id, "logged in");
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next))
                .finish())
        }
        Outcome::Refused(message) => login_form_again(
            &session,
            typed_email,
            next,
            message,
            StatusCode::UNAUTHORIZED,
        ),
        Outcome::Throttled { retry_after } => {
            let message = format!(
                "Too many failed logins. For your safety, try again in {}.",
                human_seconds(retry_after)
            );
            let mut response = login_form_again(
                &session,
                typed_email,
                next,
                &message,
                StatusCode::TOO_MANY_REQUESTS,
            )?;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
            Ok(response)
        }
    }
}

fn human_seconds(seconds: i64) -> String {
    match seconds {
        s if s < 90 => format!("{s} seconds"),
        s => format!("{} minutes", (s + 59) / 60),
    }
}

/// The login form again, with the email kept and a message that doesn't reveal whether
/// the account exists.
fn login_form_again(
    session: &Session,
    email: String,
    next: String,
    message: &str,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let page = LoginPage {
        csrf: auth::csrf_token(session)?,
        notice: None,
        email,
        next,
        error: Some(message.to_owned()),
    };
    views::html(status, &page)
}

/// Ends the session (the CSRF middleware has checked the form's token).
#[post("/admin/logout")]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: Option<CurrentUser>,
) -> AppResult<HttpResponse> {
    if let Some(CurrentUser(user)) = user {
        let address = auth::client_address(&req, state.trust_proxy);
        db::run(&state.pool, move |conn| {
            logins::record_logout(conn, user.id, &address)
        })
        .await?;
    }
    auth::log_out(&req, &session).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/login"))
        .finish())
}
