//! Counts every request and times it (`crate::metrics`): the outermost layer, so pages the
//! page cache answers before routing are counted too. The route label is the pattern the
//! request matched, never its path (a path would make the label set unbounded).

use std::borrow::Cow;
use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderName;
use actix_web::middleware::Next;

use crate::metrics::{self, PAGE_CACHE, UNMATCHED};

/// Set on answers from the page cache (`http_cache`).
static X_CACHE: HeaderName = HeaderName::from_static("x-cache");

pub async fn count_requests<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, Error> {
    let started = Instant::now();
    // Taken now: `http_cache` answers HEAD as GET.
    let method = metrics::method_label(req.method());
    let outcome = next.call(req).await;
    let elapsed = started.elapsed();
    match &outcome {
        Ok(res) => {
            // A page from the cache skips the route lookup, which walks every route.
            let from_cache = res
                .headers()
                .get(&X_CACHE)
                .is_some_and(|value| value.as_bytes() == b"HIT");
            let route = if from_cache {
                Cow::Borrowed(PAGE_CACHE)
            } else {
                res.request()
                    .match_pattern()
                    .map_or(Cow::Borrowed(UNMATCHED), Cow::Owned)
            };
            metrics::request(method, route, res.status().as_u16(), elapsed);
        }
        // An error that escaped every layer (the error pages turn handler errors into
        // responses): its status, without a request to look the route up in.
        Err(err) => {
            let status = err.as_response_error().status_code().as_u16();
            metrics::request(method, Cow::Borrowed(UNMATCHED), status, elapsed);
        }
    }
    outcome
}
