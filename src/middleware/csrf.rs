//! CSRF protection for every state-changing request (POST, PUT, PATCH, DELETE): the
//! session's token must come back in the `X-CSRF-Token` header (admin JavaScript), in the
//! `csrf_token` field of a URL-encoded form, or — for multipart uploads only, whose body
//! we don't buffer — in the `csrf_token` query parameter. A cross-site `Origin` is refused
//! outright: it must be the site's base URL or the host the request was sent to (the
//! forwarded host only behind a trusted proxy). Runs inside the session middleware.

use actix_session::SessionExt;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpRequest, web};

use crate::auth;
use crate::error::AppError;
use crate::state::AppState;

pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "csrf_token";

pub async fn csrf(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.call(req).await;
    }
    verify_origin(req.request())?;

    let submitted = if let Some(value) = req.headers().get(HEADER) {
        value.to_str().ok().map(str::to_owned)
    } else if is_content_type(&req, "application/x-www-form-urlencoded") {
        // Read the form once here and hand the same bytes on to the handler.
        let body = req.extract::<Bytes>().await?;
        let token = field(&body, FIELD);
        req.set_payload(body.into());
        token
    } else if is_content_type(&req, "multipart/form-data") {
        field(req.query_string().as_bytes(), FIELD)
    } else {
        None
    };

    let expected = auth::session_csrf_token(&req.get_session())?;
    match (expected, submitted) {
        (Some(expected), Some(submitted)) if auth::tokens_match(&expected, &submitted) => {
            next.call(req).await
        }
        _ => Err(AppError::Forbidden(
            "This form has expired or did not come from this site, so nothing was changed. \
             Go back, reload the page and try again."
                .into(),
        )
        .into()),
    }
}

fn is_content_type(req: &ServiceRequest, expected: &str) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(';')
                .next()
                .is_some_and(|mime| mime.trim().eq_ignore_ascii_case(expected))
        })
}

fn field(encoded: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(encoded)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Browsers send `Origin` with cross-site POSTs; when present it must name this site: its
/// base URL, or the host the request was sent to. `X-Forwarded-Host`/`Forwarded` are
/// anyone's to send, so they count only with `--trust-proxy`.
fn verify_origin(req: &HttpRequest) -> Result<(), AppError> {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin
        .to_str()
        .ok()
        .and_then(|raw| url::Url::parse(raw).ok());
    let origin_host = origin.as_ref().and_then(|url| {
        let host = url.host_str()?.to_owned();
        Some(match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        })
    });
    let state = req.app_data::<web::Data<AppState>>();
    let is_base_url = match (&origin, state) {
        (Some(origin), Some(state)) => origin.origin() == state.base_url.origin(),
        _ => false,
    };
    let sent_to = if state.is_some_and(|state| state.trust_proxy.is_on()) {
        Some(req.connection_info().host().to_owned())
    } else {
        req.headers()
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()))
    };
    let same_host =
        matches!((&origin_host, &sent_to), (Some(o), Some(s)) if o.eq_ignore_ascii_case(s));
    if is_base_url || same_host {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Requests from other sites are refused; nothing was changed.".into(),
        ))
    }
}
