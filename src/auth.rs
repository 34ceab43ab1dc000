//! Who is logged in, and the CSRF token of their session. The session cookie holds the
//! user id and the user's session epoch; bumping the epoch in the database ends every
//! session of that user on their next request.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use crate::db;
use crate::domain::permissions::{self, Action, Ownership};
use crate::error::{AppError, AppResult};
use crate::secrets;
use crate::startup::AppState;
use crate::store::users::{self, User};

const USER_ID: &str = "uid";
const EPOCH: &str = "epoch";
const CSRF: &str = "csrf";
/// Unix seconds of the login, and of the last request that refreshed the session.
const LOGIN_AT: &str = "login_at";
const SEEN_AT: &str = "seen_at";
const FLASH: &str = "flash";

/// The logged-in, active user. Extracting it from an anonymous request answers with a
/// redirect to the login page (or 401 under `/api/`).
pub struct CurrentUser(pub User);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = AppResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = req.get_session();
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::Internal("application state missing".into()))?;
            let login_required = || {
                if req.path().starts_with("/api/") {
                    AppError::Unauthorized
                } else {
                    let next = match req.query_string() {
                        "" => req.path().to_owned(),
                        query => format!("{}?{query}", req.path()),
                    };
                    AppError::LoginRequired { next }
                }
            };
            let (Some(user_id), Some(epoch), Some(login_at), Some(seen_at)) = (
                session.get::<i32>(USER_ID)?,
                session.get::<i32>(EPOCH)?,
                session.get::<i64>(LOGIN_AT)?,
                session.get::<i64>(SEEN_AT)?,
            ) else {
                return Err(login_required());
            };
            let now = unix_now();
            let policy = &state.sessions;
            if now - seen_at > secs(policy.idle_timeout) || now - login_at > secs(policy.lifetime) {
                session.purge();
                return Err(login_required());
            }
            let user = db::run(&state.pool, move |conn| Ok(users::find(conn, user_id)?)).await?;
            match user {
                Some(user) if user.is_active() && user.session_epoch == epoch => {
                    // Refresh the idle clock now and then, not on every request, so the
                    // cookie isn't rewritten each time.
                    let refresh_every = ((secs(policy.idle_timeout) + 1) / 2).min(60);
                    if now - seen_at >= refresh_every {
                        session.insert(SEEN_AT, now)?;
                    }
                    Ok(CurrentUser(user))
                }
                _ => {
                    // Disabled, deleted, or the epoch moved on: this session is over.
                    session.purge();
                    Err(login_required())
                }
            }
        })
    }
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn secs(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// The client's address: the peer, or with `--trust-proxy` the one the proxy reports.
pub fn client_address(req: &HttpRequest, trust_proxy: bool) -> String {
    let info = req.connection_info();
    let address = if trust_proxy {
        info.realip_remote_addr().map(str::to_owned)
    } else {
        info.peer_addr().map(str::to_owned)
    };
    // Drop the port: one client reconnecting is still one client.
    match address {
        Some(addr) => match addr.parse::<std::net::SocketAddr>() {
            Ok(socket) => socket.ip().to_string(),
            Err(_) => addr,
        },
        None => "unknown".to_owned(),
    }
}

/// Starts a fresh session for `user` (a new CSRF token too, so one seen before login is
/// worthless after it).
pub fn log_in(session: &Session, user: &User) -> AppResult<()> {
    session.renew();
    session.insert(USER_ID, user.id)?;
    session.insert(EPOCH, user.session_epoch)?;
    let now = unix_now();
    session.insert(LOGIN_AT, now)?;
    session.insert(SEEN_AT, now)?;
    session.insert(CSRF, new_token()?)?;
    Ok(())
}

pub fn log_out(session: &Session) {
    session.purge();
}

/// The session's CSRF token, created on first use; forms carry it in `csrf_token`.
pub fn csrf_token(session: &Session) -> AppResult<String> {
    if let Some(token) = session.get::<String>(CSRF)? {
        return Ok(token);
    }
    let token = new_token()?;
    session.insert(CSRF, &token)?;
    Ok(token)
}

/// The token stored in the session, if it has one yet.
pub fn session_csrf_token(session: &Session) -> AppResult<Option<String>> {
    Ok(session.get::<String>(CSRF)?)
}

pub fn tokens_match(expected: &str, submitted: &str) -> bool {
    secrets::constant_time_eq(expected.as_bytes(), submitted.as_bytes())
}

/// Refuses with a 403 that names the role needed, unless `user` may do `action`.
pub fn require(user: &User, action: Action, ownership: Ownership) -> AppResult<()> {
    if permissions::can(user.role(), action, ownership) {
        Ok(())
    } else {
        Err(AppError::Forbidden(permissions::refusal(action, ownership)))
    }
}

/// A one-line confirmation for the next page (after a redirect).
pub fn set_flash(session: &Session, message: impl Into<String>) -> AppResult<()> {
    session.insert(FLASH, message.into())?;
    Ok(())
}

pub fn take_flash(session: &Session) -> AppResult<Option<String>> {
    let message = session.get::<String>(FLASH)?;
    if message.is_some() {
        session.remove(FLASH);
    }
    Ok(message)
}

fn new_token() -> AppResult<String> {
    secrets::random_token().map_err(|e| AppError::Internal(format!("no randomness: {e}")))
}

/// A post-login destination: only a path on this site (no scheme, no `//host`, no
/// backslash tricks), so the login form can't be used as an open redirect.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn safe_next_keeps_local_paths_only() {
        assert_eq!(
            safe_next(Some("/admin/posts?page=2")),
            "/admin/posts?page=2"
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "admin",
            "/admin\r\nSet-Cookie: x",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/admin", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/admin");
    }
}
