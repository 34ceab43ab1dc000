//! HTTP caching for the public site: a per-node cache of rendered pages, a strong ETag on
//! every page and feed (a hash of what was sent, so any change — a post published at its
//! time, a settings change — changes it), 304 for a matching `If-None-Match`, a short
//! `Cache-Control` fit for a CDN, and `HEAD` wherever `GET` works.
//!
//! The page cache never serves what this node's own writes made stale: any successful
//! state-changing request by a logged-in user clears it. Every page also expires when the next scheduled post
//! falls due. Other processes' changes empty it through the change counter (`freshness`);
//! `cache::PAGE_TTL` is only a safety net.
//!
//! Pages go out compressed when the client accepts it (brotli, else gzip), each coding
//! compressed once and kept beside the page in the cache, with its own strong ETag and
//! `Vary: Accept-Encoding`. Requests for a page being rendered wait for that render.

use std::sync::Arc;

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue, IfNoneMatch};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};

use crate::cache::{CachedPage, Lookup, PageCache};
use crate::compression::{Encoding, Negotiated};
use crate::db;
use crate::state::AppState;
use crate::store::public;

/// Public pages may be reused for 10 s, and served stale for 30 s more while a cache
/// revalidates: a scheduled post shows up within 10–40 s through a CDN, at once without one.
const PUBLIC_CACHE_CONTROL: &str = "public, max-age=10, stale-while-revalidate=30";
/// Checked once, not on every response (see `security_headers`).
static PUBLIC_CACHE_CONTROL_VALUE: HeaderValue = HeaderValue::from_static(PUBLIC_CACHE_CONTROL);

/// The outermost layer: a page this node has cached is answered right here, before the
/// request span, session and CSRF layers (a public page from the cache needs none of
/// them), with the same headers as any other response and one access-log line.
pub async fn cached_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD)
        && let Some(key) = cache_key(&req)
        && let Some(state) = req.app_data::<web::Data<AppState>>()
        && let Some((page, ticket)) = state.pages.hit(&key)
    {
        crate::metrics::page_cache_hit();
        let started = std::time::Instant::now();
        let encoding = Encoding::negotiate(accept_encoding(req.headers()));
        let page = holding(&state.pages, &key, page, encoding, ticket);
        let mut response = respond(
            &page,
            encoding,
            req.get_header::<IfNoneMatch>().as_ref(),
            HIT,
        );
        super::security_headers::apply(response.headers_mut(), false);
        let request_id = super::request_log::request_id_for(req.request(), state.trust_proxy);
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response
                .headers_mut()
                .insert(super::request_log::REQUEST_ID_HEADER, value);
        }
        tracing::info!(
            %request_id,
            method = %req.method(),
            path = %req.path(),
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            cached = true,
            "request"
        );
        return Ok(ServiceResponse::new(req.into_parts().0, response));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Says whether a page came from this node's page cache (`HIT`) or was rendered (`MISS`).
const X_CACHE: &str = "x-cache";
const HIT: &str = "HIT";
const MISS: &str = "MISS";

/// The page cache's key for a public page: the path as routed and only the query
/// parameters its route reads, in a fixed order, so that parameters a route ignores (a
/// cache-buster, tracking tags) share one entry. None (not cached) for other paths, and
/// when a parameter the route reads comes twice (the route refuses that).
fn cache_key(req: &ServiceRequest) -> Option<String> {
    let path = req.match_info().as_str();
    if !is_public(path) {
        return None;
    }
    let read = parameters_read(path);
    let mut kept: Vec<(String, String)> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if !read.contains(&name.as_ref()) {
            continue;
        }
        if kept.iter().any(|(n, _)| *n == name) {
            return None;
        }
        kept.push((name.into_owned(), value.into_owned()));
    }
    kept.sort();
    let mut key = url::form_urlencoded::Serializer::new(format!("{path}?"));
    key.extend_pairs(kept);
    Some(key.finish())
}

/// The query parameters a public route reads (see `routes::public`); every other public
/// page reads none. A route that starts reading a parameter must be listed here, or its
/// pages would be cached as if it didn't.
fn parameters_read(path: &str) -> &'static [&'static str] {
    let one_segment_under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
    };
    if path == "/" {
        &["page", "p", "page_id"]
    } else if path == "/search" {
        &["q", "page"]
    } else if one_segment_under("/tag/") || one_segment_under("/author/") {
        &["page"]
    } else {
        &[]
    }
}

pub async fn http_cache(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let is_head = req.method() == Method::HEAD;
    if is_head {
        // Answer HEAD with the GET route. actix-http remembers that the request was HEAD:
        // it sends the headers, with the GET's Content-Length, and no body.
        req.head_mut().method = Method::GET;
    }
    let changes_state = !matches!(*req.method(), Method::GET | Method::OPTIONS);
    let key = match *req.method() {
        Method::GET => cache_key(&req),
        _ => None,
    };
    let if_none_match = req.get_header::<IfNoneMatch>();
    let encoding = Encoding::negotiate(accept_encoding(req.headers()));
    let state = req.app_data::<web::Data<AppState>>().cloned();

    // Taken before the handler reads anything (see `PageCache::generation`).
    let mut generation = state.as_ref().map(|s| s.pages.generation());
    let mut render = None;
    if let (Some(key), Some(state)) = (&key, &state) {
        match state.pages.lookup(key).await {
            Lookup::Hit(page) => {
                crate::metrics::page_cache_hit();
                let page = holding(&state.pages, key, page, encoding, generation.unwrap_or(0));
                let response = respond(&page, encoding, if_none_match.as_ref(), HIT);
                return Ok(ServiceResponse::new(req.request().clone(), response));
            }
            Lookup::Render(one) => {
                crate::metrics::page_cache_miss();
                generation = Some(one.generation());
                render = Some(one);
            }
            Lookup::Bypass(ticket) => {
                crate::metrics::page_cache_miss();
                generation = Some(ticket);
            }
        }
    }

    let res = next.call(req).await?.map_into_boxed_body();
    // Only a logged-in user's write can change what the public sees; an anonymous POST
    // (a logout, or any admin form answered with "log in first") must not flush the cache.
    if changes_state
        && res.status().as_u16() < 400
        && res
            .request()
            .extensions()
            .contains::<crate::auth::Authenticated>()
        && let Some(state) = &state
    {
        crate::freshness::after_own_write(state).await;
    }
    let Some(key) = key else {
        return Ok(res);
    };
    // Not a page to keep: dropping `render` lets any waiting request render its own.
    if res.status() != StatusCode::OK || res.headers().contains_key(header::ETAG) {
        return Ok(res);
    }

    let (req, response) = res.into_parts();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("text/html; charset=utf-8"));
    let sets_cookie = response.headers().contains_key(header::SET_COOKIE);
    let bytes = body::to_bytes(response.into_body())
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
    let page = CachedPage::new(bytes, content_type);
    let page = Arc::new(page.with(page.encoding_for(encoding)));
    if let (Some(state), Some(generation)) = (&state, generation)
        && !sets_cookie
    {
        if let Some(render) = &render {
            render.share(&page);
        }
        remember(state, key, Arc::clone(&page), generation).await;
    }
    drop(render);
    let response = respond(&page, encoding, if_none_match.as_ref(), MISS);
    Ok(ServiceResponse::new(req, response))
}

/// The request's `Accept-Encoding`, if any (unreadable counts as absent).
fn accept_encoding(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
}

/// The cached page, holding its body in the coding the client wants: compressed now the
/// first time a client asks for that coding, and kept (under the ticket taken before the
/// page was read from the cache, so a clear in between keeps it out).
fn holding(
    pages: &PageCache,
    key: &str,
    page: Arc<CachedPage>,
    encoding: Encoding,
    ticket: u64,
) -> Arc<CachedPage> {
    let encoding = page.encoding_for(encoding);
    if page.body(encoding).is_some() {
        return page;
    }
    let page = Arc::new(page.with(encoding));
    pages.put(key.to_owned(), Arc::clone(&page), None, ticket);
    page
}

/// Keeps the page; after a clear, first learns when the next scheduled post is due.
async fn remember(state: &AppState, key: String, page: Arc<CachedPage>, rendered_in: u64) {
    let schedule = if state.pages.needs_schedule() {
        let now = crate::clock::now();
        match db::run(&state.pool, move |conn| {
            Ok(public::next_publication(conn, now)?)
        })
        .await
        {
            Ok(next) => Some(next.map(|at| (at - now).to_std().unwrap_or_default())),
            Err(_) => return, // no schedule, no caching: correctness first
        }
    } else {
        None
    };
    state.pages.put(key, page, schedule, rendered_in);
}

/// The page in the coding negotiated (identity if it doesn't hold that one), or 304 when
/// the client already has that representation.
fn respond(
    page: &CachedPage,
    encoding: Encoding,
    if_none_match: Option<&IfNoneMatch>,
    x_cache: &'static str,
) -> HttpResponse {
    let wanted = page.encoding_for(encoding);
    let (encoding, body) = match page.body(wanted) {
        Some(body) => (wanted, body.clone()),
        None => (
            Encoding::Identity,
            page.body(Encoding::Identity).cloned().unwrap_or_default(),
        ),
    };
    let etag = page.etag(encoding);
    let unchanged = match if_none_match {
        Some(IfNoneMatch::Any) => true,
        Some(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&etag)),
        None => false,
    };
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header(header::ETag(etag))
        .insert_header((header::CACHE_CONTROL, PUBLIC_CACHE_CONTROL_VALUE.clone()))
        .insert_header((X_CACHE, HeaderValue::from_static(x_cache)));
    if page.varies() {
        response.insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")));
    }
    // Already in its final coding: `Compress` and `middleware::encoding` leave it alone.
    response.extensions_mut().insert(Negotiated);
    if unchanged {
        return response.finish();
    }
    if let Some(coding) = encoding.header_value() {
        response.insert_header((header::CONTENT_ENCODING, coding));
    }
    response
        .insert_header((header::CONTENT_TYPE, page.content_type.clone()))
        .body(body)
}

/// Pages and feeds of the public site; not the admin, the API, previews or static files
/// (those carry their own caching).
fn is_public(path: &str) -> bool {
    !(path == "/admin"
        || path.starts_with("/admin/")
        || path.starts_with("/api/")
        || path.starts_with("/preview/")
        || path.starts_with("/static/")
        || path.starts_with("/media/")
        || path == "/site.css"
        || path == "/favicon.ico"
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics")
}
