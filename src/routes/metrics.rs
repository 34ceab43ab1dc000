//! `GET /metrics`: the Prometheus text exposition (`crate::metrics`). Loopback clients get
//! it; any other client only with `Authorization: Bearer $FOLIO_METRICS_TOKEN`, and without
//! a token configured it is not there for them at all (404). Behind a trusted proxy
//! (`--trust-proxy`) the client is the forwarded address: a proxy on loopback doesn't make
//! every outside request local.

use std::net::IpAddr;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use subtle::ConstantTimeEq;

use crate::auth;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::metrics::{self, JobCounts, Snapshot};
use crate::state::AppState;
use crate::store::jobs;

/// Who may scrape from elsewhere than loopback.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    /// `FOLIO_METRICS_TOKEN` (validated in `config`).
    pub token: Option<String>,
}

#[get("/metrics")]
pub async fn scrape(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let token = req
        .app_data::<web::Data<MetricsAccess>>()
        .and_then(|access| access.token.as_deref());
    if !is_loopback(&auth::client_address(&req, state.trust_proxy)) {
        let Some(token) = token else {
            return Err(AppError::NotFound("no such page".into()));
        };
        if !bearer_matches(&req, token) {
            return Ok(HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\""))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body("a bearer token is required\n"));
        }
    }
    let pool = state.pool.state();
    let (page_cache_bytes, page_cache_entries) = state.pages.usage();
    let snapshot = Snapshot {
        pool_connections: pool.connections,
        pool_idle: pool.idle_connections,
        pool_max: state.pool.max_size(),
        page_cache_bytes,
        page_cache_entries,
    };
    // A failed count (database down) leaves the job gauges at their last values.
    let jobs = db::run(&state.pool, |conn| Ok(jobs::counts(conn)?))
        .await
        .ok()
        .map(|counts| JobCounts {
            queued: counts.queued,
            running: counts.running,
            failed: counts.failed + counts.interrupted,
        });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, metrics::CONTENT_TYPE))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(metrics::render(snapshot, jobs)))
}

/// 127.0.0.0/8 and ::1 (also written as ::ffff:127.x.y.z).
fn is_loopback(address: &str) -> bool {
    address
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// `Authorization: Bearer <token>`, compared in constant time.
fn bearer_matches(req: &HttpRequest, token: &str) -> bool {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, credentials) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| credentials.trim())
        })
        .is_some_and(|given| bool::from(given.as_bytes().ct_eq(token.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_all_of_127_slash_8_and_ipv6_loopback() {
        for local in [
            "127.0.0.1",
            "127.0.0.2",
            "127.255.0.9",
            "::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_loopback(local), "{local}");
        }
        for other in [
            "10.0.0.1",
            "192.168.1.2",
            "::ffff:10.0.0.1",
            "fe80::1",
            "unknown",
            "",
        ] {
            assert!(!is_loopback(other), "{other}");
        }
    }
}
