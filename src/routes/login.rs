//! Logging in and out. Failures count per account and per client address; past the
//! free tries, attempts are refused (429 with Retry-After) for a growing delay.

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::password;
use crate::error::AppResult;
use crate::routes::two_factor::unix_now;
use crate::state::AppState;
use crate::store::logins::{self, Attempt, Finish, ReserveOutcome};
use crate::store::two_factor::{self, CodeCheck};
use crate::store::users::{self, User};
use crate::views::{self, LoginCodePage, LoginPage};

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
    Throttled {
        retry_after: i64,
    },
    Refused(&'static str),
    LoggedIn(User),
    /// Right password; the account signs in with a second factor too.
    CodeNeeded(User),
}

/// A login waiting for its second step, in the (encrypted, signed) session cookie: who
/// gave the right password, when, and where to go after.
#[derive(Serialize, Deserialize)]
struct PendingLogin {
    user_id: i32,
    since: u64,
    next: String,
}

const PENDING_LOGIN: &str = "pending_login";
/// Seconds the second step may take before the password is asked for again.
const PENDING_LOGIN_SECONDS: u64 = 300;

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
                Some(user) if password_ok && user.is_active() => {
                    let user_id = user.id;
                    let second_factor = db::run(&state.pool, move |conn| {
                        Ok(two_factor::find(conn, user_id)?.is_some())
                    })
                    .await?;
                    if second_factor {
                        Outcome::CodeNeeded(user)
                    } else {
                        Outcome::LoggedIn(user)
                    }
                }
                Some(_) if password_ok => Outcome::Refused(DISABLED),
                _ => Outcome::Refused(WRONG_CREDENTIALS),
            };
            (outcome, Some(reserved))
        }
    };

    // 3. A success gives its try back; every attempt that got this far goes to the
    //    audit log (see `logins::finish`).
    if let Some(reserved) = reserved {
        let how = match &outcome {
            Outcome::LoggedIn(user) => Finish::LoggedIn(user.id),
            Outcome::CodeNeeded(user) => Finish::CodeNeeded(user.id),
            Outcome::Throttled { .. } | Outcome::Refused(_) => Finish::Failed,
        };
        let typed = typed_email.clone();
        db::run(&state.pool, move |conn| {
            let attempt = Attempt {
                typed_email: &typed,
                address: &address,
            };
            logins::finish(conn, &attempt, &reserved, how)
        })
        .await?;
    }

    match outcome {
        Outcome::LoggedIn(user) => {
            // A second step left waiting for another account must not outlive this login.
            session.remove(PENDING_LOGIN);
            auth::log_in(&req, &session, &user).await?;
            tracing::info!(user_id = user.id, "logged in");
            Ok(see_other(&next))
        }
        Outcome::CodeNeeded(user) => {
            let pending = PendingLogin {
                user_id: user.id,
                since: unix_now(),
                next,
            };
            session.insert(PENDING_LOGIN, &pending)?;
            Ok(see_other("/admin/login/code"))
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

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The login waiting for its code, unless there is none or it took too long (then the
/// password is asked for again, with a word why).
fn pending_login(session: &Session) -> AppResult<Option<PendingLogin>> {
    let Some(pending) = session.get::<PendingLogin>(PENDING_LOGIN)? else {
        return Ok(None);
    };
    if unix_now().saturating_sub(pending.since) > PENDING_LOGIN_SECONDS {
        session.remove(PENDING_LOGIN);
        auth::set_flash(session, "That took too long: log in again.")?;
        return Ok(None);
    }
    Ok(Some(pending))
}

#[get("/admin/login/code")]
pub async fn show_code(session: Session) -> AppResult<HttpResponse> {
    if pending_login(&session)?.is_none() {
        return Ok(see_other("/admin/login"));
    }
    code_form_again(&session, None, StatusCode::OK)
}

fn code_form_again(
    session: &Session,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let page = LoginCodePage {
        csrf: auth::csrf_token(session)?,
        error,
    };
    views::html(status, &page)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// The second step: a current authenticator code or an unused recovery code. Wrong codes
/// count against the same limits as wrong passwords (per account and per address).
#[post("/admin/login/code")]
pub async fn submit_code(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<CodeForm>,
) -> AppResult<HttpResponse> {
    let Some(pending) = pending_login(&session)? else {
        return Ok(see_other("/admin/login"));
    };
    let user_id = pending.user_id;
    let user = db::run(&state.pool, move |conn| Ok(users::find(conn, user_id)?)).await?;
    let Some(user) = user.filter(User::is_active) else {
        session.remove(PENDING_LOGIN);
        auth::set_flash(&session, DISABLED)?;
        return Ok(see_other("/admin/login"));
    };
    let address = auth::client_address(&req, state.trust_proxy);
    let (email, from, code) = (user.email.clone(), address.clone(), form.into_inner().code);
    let checked = db::run(&state.pool, move |conn| {
        let attempt = Attempt {
            typed_email: &email,
            address: &from,
        };
        let reserved = match logins::reserve(conn, &attempt)? {
            ReserveOutcome::Locked { retry_after } => return Ok(Err(retry_after)),
            ReserveOutcome::Reserved(reserved) => reserved,
        };
        let check = two_factor::check_code(conn, user_id, &code, unix_now())?;
        let how = match check {
            CodeCheck::Authenticator | CodeCheck::RecoveryCode { .. } => Finish::LoggedIn(user_id),
            CodeCheck::AlreadyUsed | CodeCheck::Wrong | CodeCheck::NotEnabled => {
                Finish::CodeFailed(user_id)
            }
        };
        logins::finish(conn, &attempt, &reserved, how)?;
        Ok(Ok(check))
    })
    .await?;
    let message = match checked {
        Err(retry_after) => {
            let message = format!(
                "Too many wrong codes. For your safety, try again in {}.",
                human_seconds(retry_after)
            );
            let mut response =
                code_form_again(&session, Some(message), StatusCode::TOO_MANY_REQUESTS)?;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
            return Ok(response);
        }
        Ok(CodeCheck::Authenticator) => None,
        Ok(CodeCheck::RecoveryCode { left }) => Some(format!(
            "You logged in with a recovery code; {left} remain. If your authenticator app is lost, turn two-factor sign-in off and on again under Profile to set up a new one."
        )),
        Ok(CodeCheck::NotEnabled) => {
            // Turned off meanwhile (e.g. `folio user reset-2fa`): the password again.
            session.remove(PENDING_LOGIN);
            auth::set_flash(
                &session,
                "Two-factor sign-in changed for this account: log in again.",
            )?;
            return Ok(see_other("/admin/login"));
        }
        Ok(CodeCheck::AlreadyUsed) => {
            return code_form_again(
                &session,
                Some("That code was used already: wait for the next one your app shows.".into()),
                StatusCode::UNAUTHORIZED,
            );
        }
        Ok(CodeCheck::Wrong) => {
            return code_form_again(
                &session,
                Some("That code is not right. Enter the 6 digits your app shows now, or a recovery code.".into()),
                StatusCode::UNAUTHORIZED,
            );
        }
    };
    session.remove(PENDING_LOGIN);
    auth::log_in(&req, &session, &user).await?;
    tracing::info!(user_id = user.id, "logged in with a second factor");
    if let Some(message) = message {
        auth::set_flash(&session, message)?;
    }
    Ok(see_other(&pending.next))
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
