use actix_web::http::header::{self, EntityTag, IfNoneMatch};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, web};

use crate::assets;
use crate::compression::{Encoding, Negotiated};
use crate::error::{AppError, AppResult};

/// Embedded static files, compressed ahead (brotli or gzip, as the client accepts) with a
/// strong ETag per coding. A request carrying the current fingerprint (`?v=…`, as templates
/// link them) may be cached for a year; others revalidate.
#[get("/static/{path:.*}")]
pub async fn serve(req: HttpRequest, path: web::Path<String>) -> AppResult<HttpResponse> {
    respond(&req, &path.into_inner())
}

/// The default icon, for browsers that ask for `/favicon.ico` without reading the page's
/// `<link rel="icon">`. It is an SVG, served as one: browsers go by the type, not the name.
#[get("/favicon.ico")]
pub async fn favicon(req: HttpRequest) -> AppResult<HttpResponse> {
    respond(&req, assets::FAVICON)
}

fn respond(req: &HttpRequest, path: &str) -> AppResult<HttpResponse> {
    let asset = assets::asset(path).ok_or_else(AppError::not_found)?;
    let encoding = Encoding::negotiate(
        req.headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|value| value.to_str().ok()),
    );
    let (encoding, body) = asset.body(encoding);
    let etag = EntityTag::new_strong(format!("{}{}", asset.hash, encoding.etag_suffix()));
    let fingerprinted = req.query_string().split('&').any(|pair| {
        pair.strip_prefix("v=")
            .is_some_and(|v| !v.is_empty() && asset.hash.starts_with(v))
    });
    let cache_control = if fingerprinted {
        "public, max-age=31536000, immutable"
    } else {
        "public, no-cache"
    };

    let unchanged = match req.get_header::<IfNoneMatch>() {
        Some(IfNoneMatch::Any) => true,
        Some(IfNoneMatch::Items(tags)) => tags.iter().any(|tag| tag.weak_eq(&etag)),
        None => false,
    };
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header(header::ETag(etag))
        .insert_header((header::CACHE_CONTROL, cache_control));
    if asset.varies() {
        response.insert_header((header::VARY, "Accept-Encoding"));
    }
    // In its final coding already: the compression layers leave it alone.
    response.extensions_mut().insert(Negotiated);
    if unchanged {
        return Ok(response.finish());
    }
    if let Some(coding) = encoding.header_value() {
        response.insert_header((header::CONTENT_ENCODING, coding));
    }
    Ok(response.content_type(asset.mime.as_str()).body(body))
}
