//! Who is logged in, and the CSRF token of their session. The session cookie (encrypted
//! and signed) holds a random session token; the `sessions` table holds its hash and the
//! user it belongs to. A session is only as alive as its row: logging out deletes it,
//! revoking a user's sessions deletes all of theirs, deleting the user deletes them too —
//! so a cookie can never outlive its session, nor come to name another account.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::config::TrustProxy;
use crate::db;
use crate::domain::permissions::{self, Action, Ownership};
use crate::domain::session::{Expiry, State};
use crate::error::{AppError, AppResult};
use crate::secrets;
use crate::state::AppState;
use crate::store::users::User;
use crate::store::{sessions, two_factor};

/// The session token (the cookie's only credential).
const SESSION_TOKEN: &str = "sid";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";

/// Marks a request made by a logged-in user (or one that logged someone in): only such
/// requests may clear the page cache (see `middleware::http_cache`).
#[derive(Debug, Clone, Copy)]
pub struct Authenticated;

/// Pages a user whose role requires two-factor sign-in may still use before setting it up.
const TWO_FACTOR_EXEMPT: [&str; 2] = ["/admin/profile/two-factor", "/admin/logout"];

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
            let state = app_state(&req)?;
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
            let Some(token) = session.get::<String>(SESSION_TOKEN)? else {
                return Err(login_required());
            };
            let expiry = expiry(state);
            let required_roles = state.settings.peek().settings.two_factor_roles.clone();
            let may_skip_setup = TWO_FACTOR_EXEMPT.contains(&req.path());
            let user = db::run(&state.pool, move |conn| {
                let Some((row, user)) = sessions::find(conn, &token)? else {
                    return Ok(None);
                };
                let now = crate::clock::now();
                match expiry.state(row.created_at, row.last_seen_at, now) {
                    State::Expired => {
                        sessions::delete(conn, &token)?;
                        Ok(None)
                    }
                    // Disabling deletes the sessions; this is a second line.
                    State::Live { .. } if !user.is_active() => Ok(None),
                    State::Live { touch } => {
                        if touch {
                            sessions::touch(conn, &token, now)?;
                        }
                        let needs_setup = !may_skip_setup
                            && required_roles.contains(&user.role())
                            && two_factor::find(conn, user.id)?.is_none();
                        Ok(Some((user, needs_setup)))
                    }
                }
            })
            .await?;
            match user {
                Some((_, true)) if req.path().starts_with("/api/") => Err(AppError::Forbidden(
                    "Your role must sign in with two factors: set it up at /admin/profile/two-factor first.".into(),
                )),
                Some((_, true)) => Err(AppError::TwoFactorSetupRequired),
                Some((user, false)) => {
                    req.extensions_mut().insert(Authenticated);
                    Ok(CurrentUser(user))
                }
                None => {
                    // Logged out, revoked, expired, disabled or deleted: this session is over.
                    session.purge();
                    Err(login_required())
                }
            }
        })
    }
}

fn app_state(req: &HttpRequest) -> AppResult<&web::Data<AppState>> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal("application state missing".into()))
}

fn expiry(state: &AppState) -> Expiry {
    Expiry::from_std(state.sessions.idle_timeout, state.sessions.lifetime)
}

/// The client's address: the peer, or with `--trust-proxy` the address the nearest trusted
/// proxy saw. Each proxy appends the address it received the request from to
/// `X-Forwarded-For`, so with N trusted proxies the client is the N-th entry from the
/// right; anything further left was written by the client and proves nothing.
pub fn client_address(req: &HttpRequest, trust_proxy: TrustProxy) -> String {
    let forwarded = match trust_proxy.hops() {
        0 => None,
        hops => {
            let entries: Vec<&str> = req
                .headers()
                .get_all("x-forwarded-for")
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .collect();
            // Fewer entries than proxies: the request came in through the later ones
            // only, and the leftmost entry was still written by a trusted proxy.
            let from_right = usize::from(hops).min(entries.len());
            from_right
                .checked_sub(1)
                .and_then(|skip| entries.iter().rev().nth(skip))
                .map(|entry| (*entry).to_owned())
        }
    };
    let address = forwarded.or_else(|| req.connection_info().peer_addr().map(str::to_owned));
    // Drop the port: one client reconnecting is still one client.
    match address {
        Some(addr) => match addr.parse::<std::net::SocketAddr>() {
            Ok(socket) => socket.ip().to_string(),
            Err(_) => addr.chars().take(64).collect(),
        },
        None => "unknown".to_owned(),
    }
}

/// Starts a fresh session for `user`: a new row and token (a new CSRF token too, so one
/// seen before login is worthless after it). A session this browser had before ends.
/// Also forgets expired sessions of everyone, now and then being as good as a timer.
pub async fn log_in(req: &HttpRequest, session: &Session, user: &User) -> AppResult<()> {
    let state = app_state(req)?;
    let token = new_token()?;
    let previous = session.get::<String>(SESSION_TOKEN).ok().flatten();
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let address = client_address(req, state.trust_proxy);
    let (expiry, user_id, stored) = (expiry(state), user.id, token.clone());
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let now = crate::clock::now();
            if let Some(previous) = previous {
                sessions::delete(conn, &previous)?;
            }
            sessions::delete_expired(conn, now, expiry.idle_timeout, expiry.lifetime)?;
            let origin = sessions::Origin {
                user_agent: user_agent.as_deref(),
                ip_address: &address,
            };
            sessions::create(conn, &stored, user_id, &origin, now)?;
            Ok(())
        })
    })
    .await?;
    session.renew();
    session.insert(SESSION_TOKEN, token)?;
    session.insert(CSRF, new_token()?)?;
    req.extensions_mut().insert(Authenticated);
    Ok(())
}

/// Ends this browser's session, on the server too: a copy of the cookie is worthless after.
pub async fn log_out(req: &HttpRequest, session: &Session) -> AppResult<()> {
    if let Some(token) = session.get::<String>(SESSION_TOKEN).ok().flatten() {
        let state = app_state(req)?;
        db::run(&state.pool, move |conn| Ok(sessions::delete(conn, &token)?)).await?;
    }
    session.purge();
    Ok(())
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
    secrets::random_token().map_err(|e| AppError::internal("no randomness", e))
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
