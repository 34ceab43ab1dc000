//! Logging in and out. Failures count per account and per client address; past the
//! free tries, attempts are refused (429 with Retry-After) for a growing delay.

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::Utc;
use serde::Deserialize;

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::throttle::{PER_ACCOUNT, PER_ADDRESS};
use crate::domain::{Email, password};
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::users::{self, User};
use crate::store::{audit, throttle};
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
    let account_key = throttle::account_key(&typed_email);
    let address_key = throttle::address_key(&address);
    let email = Email::parse(&typed_email).ok();

    // 1. Reserve the attempt: in one serialised write transaction, refuse cheaply (no
    //    bcrypt) while the account or the address is locked, and otherwise count the
    //    attempt as a failure already, so concurrent attempts can't outrun the limits.
    let reserved =
        db::run(&state.pool, move |conn| {
            db::write_transaction(conn, |conn| {
                throttle::lock_counters(conn)?;
                let now = Utc::now().naive_utc();
                let locked = throttle::locked_for(conn, &account_key, now)?
                    .max(throttle::locked_for(conn, &address_key, now)?);
                if let Some(retry_after) = locked {
                    return Ok(Err(retry_after));
                }
                let account = throttle::reserve(conn, &account_key, &PER_ACCOUNT, now)?;
                let address = throttle::reserve(conn, &address_key, &PER_ADDRESS, now)?;
                let user = match &email {
                    Some(email) => users::find_by_email(conn, email)?,
                    None => None,
                };
                Ok(Ok((account, address, user)))
            })
        })
        .await?;

    let (outcome, reservations) = match reserved {
        Err(retry_after) => (Outcome::Throttled { retry_after }, None),
        Ok((account, address, user)) => {
            // 2. Verify off the async threads. Every attempt costs one bcrypt verify —
            //    unknown email, account without a password, disabled — so the time
            //    doesn't tell which.
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
            (outcome, Some((account, address)))
        }
    };

    // 3. A success gives its try back (and forgets the account's failures); every
    //    attempt that got this far goes to the audit log.
    let (record, typed) = (outcome_summary(&outcome), typed_email.clone());
    let address_for_log = address.clone();
    if let Some((account, address)) = reservations {
        db::run(&state.pool, move |conn| {
            db::write_transaction(conn, |conn| {
                let (action, actor) = match record {
                    Summary::Failed(actor) => ("login.failed", actor),
                    Summary::Succeeded(user_id) => {
                        throttle::lock_counters(conn)?;
                        throttle::reset(conn, account.key())?;
                        throttle::release(conn, &address)?;
                        users::record_login(conn, user_id)?;
                        ("login.succeeded", Some(user_id))
                    }
                };
                let detail = format!(
                    "email: {}",
                    typed.trim().chars().take(254).collect::<String>()
                );
                audit::record(
                    conn,
                    &audit::Entry {
                        actor_id: actor,
                        action,
                        target: ("user", actor),
                        detail: &detail,
                        ip_address: Some(&address_for_log),
                    },
                )?;
                Ok(())
            })
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

/// What the audit log and the counters need to know of an attempt that was checked.
enum Summary {
    Failed(Option<i32>),
    Succeeded(i32),
}

fn outcome_summary(outcome: &Outcome) -> Summary {
    match outcome {
        Outcome::Throttled { .. } | Outcome::Refused(_) => Summary::Failed(None),
        Outcome::LoggedIn(user) => Summary::Succeeded(user.id),
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
            audit::record(
                conn,
                &audit::Entry {
                    actor_id: Some(user.id),
                    action: "logout",
                    target: ("user", Some(user.id)),
                    detail: "",
                    ip_address: Some(&address),
                },
            )?;
            Ok(())
        })
        .await?;
    }
    auth::log_out(&req, &session).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/login"))
        .finish())
}
