//! HTTP caching for the public site: a strong ETag on every page and feed (a hash of what
//! was sent, so any change — a post published at its time, a settings change — changes it),
//! 304 for a matching `If-None-Match`, a short `Cache-Control` fit for a CDN, and `HEAD`
//! wherever `GET` works.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, EntityTag, HeaderValue, IfNoneMatch};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse};
use sha2::{Digest, Sha256};

/// Public pages may be reused for 10 s, and served stale for 30 s more while a cache
/// revalidates: a scheduled post shows up within 10–40 s through a CDN, at once without one.
const PUBLIC_CACHE_CONTROL: &str = "public, max-age=10, stale-while-revalidate=30";

pub async fn http_cache(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let is_head = req.method() == Method::HEAD;
    if is_head {
        // Answer HEAD with the GET route; the body is dropped below.
        req.head_mut().method = Method::GET;
    }
    let cacheable = req.method() == Method::GET && is_public(req.path());
    let if_none_match = req.get_header::<IfNoneMatch>();
    let res = next.call(req).await?.map_into_boxed_body();

    let res =
        if cacheable && res.status() == StatusCode::OK && !res.headers().contains_key(header::ETAG)
        {
            let (req, response) = res.into_parts();
            let (head, body) = response.into_parts();
            let bytes = body::to_bytes(body)
                .await
                .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
            let hash = format!("{:x}", Sha256::digest(&bytes));
            let etag = EntityTag::new_strong(hash[..32].to_owned());
            let unchanged = match &if_none_match {
                Some(IfNoneMatch::Any) => true,
                Some(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&etag)),
                None => false,
            };
            let mut response = if unchanged {
                HttpResponse::NotModified().finish()
            } else {
                head.set_body(BoxBody::new(bytes))
            };
            response.headers_mut().insert(
                header::ETAG,
                HeaderValue::from_str(&etag.to_string())
                    .map_err(actix_web::error::ErrorInternalServerError)?,
            );
            if !response.headers().contains_key(header::CACHE_CONTROL) {
                response.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(PUBLIC_CACHE_CONTROL),
                );
            }
            ServiceResponse::new(req, response)
        } else {
            res
        };

    if is_head {
        let (req, response) = res.into_parts();
        return Ok(ServiceResponse::new(
            req,
            response.set_body(BoxBody::new(body::None::new())),
        ));
    }
    Ok(res)
}

/// Pages and feeds of the public site; not the admin, the API, previews or static files
/// (those carry their own caching).
fn is_public(path: &str) -> bool {
    !(path == "/admin"
        || path.starts_with("/admin/")
        || path.starts_with("/api/")
        || path.starts_with("/preview/")
        || path.starts_with("/static/")
        || path == "/site.css"
        || path == "/healthz"
        || path == "/readyz")
}
