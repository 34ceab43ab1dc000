use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest};

use crate::config::TrustProxy;
use crate::telemetry::RequestId;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Logs one line per request (inside the request's span, so with its id) and returns the
/// id to the client so a user can quote it (behind a trusted proxy, the proxy's id).
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
    let method = req.method().clone();
    let path = crate::telemetry::redacted_path(req.path());
    let mut res = next.call(req).await?;
    let status = res.status().as_u16();
    tracing::info!(
        %method,
        %path,
        status,
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(res)
}

/// The id of a request answered before its span exists: the one a trusted proxy sent,
/// or a new one.
pub fn request_id_for(req: &HttpRequest, trust_proxy: TrustProxy) -> String {
    crate::telemetry::forwarded_request_id(req, trust_proxy).unwrap_or_else(new_request_id)
}

/// A request id in the same form as the request span's (a random UUID v4), for responses
/// answered before the span exists. Unique, not secret.
pub fn new_request_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // (Never seen on a supported system; the time still tells requests apart.)
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        bytes = nanos.to_le_bytes();
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    // 8-4-4-4-12 hex digits, written directly: one `format!` per byte was a fifth of a
    // cached page's instructions.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            id.push('-');
        }
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    id
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_are_version_4_uuids_and_differ() {
        let id = super::new_request_id();
        let groups: Vec<&str> = id.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(
            id.chars()
                .all(|c| c == '-' || matches!(c, '0'..='9' | 'a'..='f'))
        );
        assert!(groups[2].starts_with('4'), "version 4: {id}");
        assert!(
            matches!(&groups[3][..1], "8" | "9" | "a" | "b"),
            "variant: {id}"
        );
        assert_ne!(id, super::new_request_id());
    }
}
