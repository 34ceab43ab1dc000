//! Who is logged in, and the CSRF token of their session. The session cookie holds the
//! user id and the user's session epoch; bumping the epoch in the database ends every
//! session of that user on their next request.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::db;
use crate::error::{AppError, AppResult};
use crate::secrets;
use crate::startup::AppState;
use crate::store::users::{self, User};

const USER_ID: &str = "uid";
const EPOCH: &str = "epoch";
const CSRF: &str = "csrf";

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
            let (Some(user_id), Some(epoch)) =
                (session.get::<i32>(USER_ID)?, session.get::<i32>(EPOCH)?)
            else {
                return Err(login_required());
            };
            let user = db::run(&state.pool, move |conn| Ok(users::find(conn, user_id)?)).await?;
            match user {
                Some(user) if user.is_active() && user.session_epoch == epoch => {
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

/// Starts a fresh session for `user` (a new CSRF token too, so one seen before login is
/// worthless after it).
pub fn log_in(session: &Session, user: &User) -> AppResult<()> {
    session.renew();
    session.insert(USER_ID, user.id)?;
    session.insert(EPOCH, user.session_epoch)?;
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

/// Refuses a state-changing request whose token is missing or wrong, or whose `Origin`
/// is another site.
pub fn verify_csrf(req: &HttpRequest, session: &Session, submitted: &str) -> AppResult<()> {
    verify_origin(req)?;
    match session.get::<String>(CSRF)? {
        Some(expected) if secrets::constant_time_eq(expected.as_bytes(), submitted.as_bytes()) => {
            Ok(())
        }
        _ => Err(AppError::Forbidden(
            "This form has expired or did not come from this site. Go back, reload the page and try again.".into(),
        )),
    }
}

/// Browsers send `Origin` with cross-site POSTs; it must name this very host.
fn verify_origin(req: &HttpRequest) -> AppResult<()> {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|raw| url::Url::parse(raw).ok())
        .and_then(|url| {
            let host = url.host_str()?.to_owned();
            Some(match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        });
    if origin_host.as_deref() == Some(req.connection_info().host()) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Requests from other sites are refused.".into(),
        ))
    }
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
