//! Structured logs on standard error (text or JSON); every request runs in a span that
//! carries its request id (see `startup`) and never a secret from its URL.

use std::io::IsTerminal;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::{Error, HttpMessage, HttpRequest, web};
use tracing::{Span, field};
use tracing_actix_web::RootSpanBuilder;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, TrustProxy};
use crate::state::AppState;

/// The id of the request being served, as its span logs it, `X-Request-Id` returns it and
/// a 5xx page shows it: the id a trusted proxy sent (see [`forwarded_request_id`]), or
/// else a fresh random one (tracing-actix-web's UUID).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The longest `X-Request-Id` taken from a proxy (nginx's are 32 characters, UUIDs 36).
pub const MAX_FORWARDED_REQUEST_ID: usize = 128;

/// The `X-Request-Id` a trusted proxy set, so that its log lines and Folio's share one
/// id. Only with `--trust-proxy` (directly, a client could choose its own ids), and only a
/// token that is safe to log: 1 to [`MAX_FORWARDED_REQUEST_ID`] letters, digits and
/// `-_.:+/=@`. Anything else is ignored and the request gets an id of its own.
pub fn forwarded_request_id(req: &HttpRequest, trust_proxy: TrustProxy) -> Option<String> {
    if !trust_proxy.is_on() {
        return None;
    }
    let mut values = req.headers().get_all("x-request-id");
    let value = values.next()?.to_str().ok()?.trim();
    let well_formed = values.next().is_none()
        && (1..=MAX_FORWARDED_REQUEST_ID).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:+/=@".contains(&b));
    well_formed.then(|| value.to_owned())
}

pub fn init(format: LogFormat, filter: &str) -> Result<(), String> {
    let filter = EnvFilter::try_new(filter)
        .map_err(|e| format!("FOLIO_LOG: `{filter}` is not a valid log filter ({e})"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let installed = match format {
        LogFormat::Text => builder.with_target(false).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    installed.map_err(|e| format!("cannot install the logger: {e}"))
}

/// The root span of every request (`tracing-actix-web`'s default, minus what must not be
/// logged): the target with secrets replaced by [`REDACTED`], the client address as
/// `--trust-proxy` decides it, and the error's message but not its debug form (which can
/// quote the request).
pub struct RequestSpan;

/// What stands in the logs where a secret was.
pub const REDACTED: &str = "[redacted]";

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let state = request.app_data::<web::Data<AppState>>();
        let request_id = state
            .and_then(|state| forwarded_request_id(request.request(), state.trust_proxy))
            .or_else(|| {
                request
                    .extensions()
                    .get::<tracing_actix_web::RequestId>()
                    .map(ToString::to_string)
            })
            .unwrap_or_default();
        request
            .extensions_mut()
            .insert(RequestId(request_id.clone()));
        let client_ip = state
            .map(|state| crate::auth::client_address(request.request(), state.trust_proxy))
            .unwrap_or_default();
        let user_agent = request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %request.match_pattern().unwrap_or_else(|| "default".into()),
            http.target = %redacted_target(request.path(), request.query_string()),
            http.client_ip = %client_ip,
            http.user_agent = %user_agent,
            http.status_code = field::Empty,
            request_id = %request_id,
            exception.message = field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, error) = match outcome {
            Ok(response) => (
                response.status(),
                response.response().error().map(ToString::to_string),
            ),
            Err(error) => (
                error.as_response_error().status_code(),
                Some(error.to_string()),
            ),
        };
        span.record("http.status_code", status.as_u16());
        if let Some(message) = error {
            span.record("exception.message", message);
        }
    }
}

/// Path segments that are secrets themselves (`/preview/{token}`).
const SECRET_PATHS: &[&str] = &["/preview/"];
/// Query parameters whose names contain one of these carry secrets (`token`,
/// `csrf_token`, …).
const SECRET_PARAMETERS: &[&str] = &["token", "secret", "password", "key", "signature"];

/// `path?query` as it may be logged: secret path segments and the values of secret
/// parameters replaced by [`REDACTED`].
pub fn redacted_path(path: &str) -> String {
    for prefix in SECRET_PATHS {
        if let Some(rest) = path.strip_prefix(prefix)
            && !rest.is_empty()
        {
            let tail = rest.find('/').map_or("", |at| &rest[at..]);
            return format!("{prefix}{REDACTED}{tail}");
        }
    }
    path.to_owned()
}

pub fn redacted_target(path: &str, query: &str) -> String {
    let path = redacted_path(path);
    if query.is_empty() {
        return path;
    }
    let query: Vec<String> = query
        .split('&')
        .map(|pair| {
            let (name, _) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded: String = url::form_urlencoded::parse(name.as_bytes())
                .map(|(key, _)| key.to_lowercase())
                .collect();
            if SECRET_PARAMETERS
                .iter()
                .any(|secret| decoded.contains(secret))
            {
                format!("{name}={REDACTED}")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trusted_proxys_well_formed_request_id_is_taken() {
        let with = |values: &[&str]| {
            let mut req = actix_web::test::TestRequest::default();
            for value in values {
                req = req.append_header(("x-request-id", *value));
            }
            req.to_http_request()
        };
        let one = crate::config::parse_trust_proxy("true").unwrap();
        let none = crate::config::parse_trust_proxy("false").unwrap();
        let nginx = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
        assert_eq!(
            forwarded_request_id(&with(&[nginx]), one).as_deref(),
            Some(nginx)
        );
        assert_eq!(forwarded_request_id(&with(&[nginx]), none), None);
        assert_eq!(forwarded_request_id(&with(&[]), one), None);
        let too_long = "a".repeat(MAX_FORWARDED_REQUEST_ID + 1);
        for bad in ["", "two words", "semi;colon", "a\"b", too_long.as_str()] {
            assert_eq!(forwarded_request_id(&with(&[bad]), one), None, "{bad:?}");
        }
        assert_eq!(
            forwarded_request_id(&with(&["a", "b"]), one),
            None,
            "two ids: neither is the proxy's for sure"
        );
    }

    #[test]
    fn secrets_in_targets_are_redacted() {
        assert_eq!(
            redacted_target("/admin/setup", "token=abc"),
            "/admin/setup?token=[redacted]"
        );
        assert_eq!(
            redacted_target("/admin/media", "x=1&csrf_token=abc&CSRF%5FTOKEN=def"),
            "/admin/media?x=1&csrf_token=[redacted]&CSRF%5FTOKEN=[redacted]"
        );
        assert_eq!(redacted_target("/preview/abc", ""), "/preview/[redacted]");
        assert_eq!(
            redacted_target("/preview/abc/x", "a=b"),
            "/preview/[redacted]/x?a=b"
        );
        assert_eq!(redacted_target("/search", "q=rust"), "/search?q=rust");
        assert_eq!(redacted_target("/preview/", ""), "/preview/");
    }
}
