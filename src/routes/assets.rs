use actix_web::http::header::{self, EntityTag, IfNoneMatch};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, web};

use crate::assets::{self, StaticFiles};
use crate::error::{AppError, AppResult};

/// Embedded static files with a strong ETag. A request carrying the current fingerprint
/// (`?v=…`, as templates link them) may be cached for a year; others revalidate.
#[get("/static/{path:.*}")]
pub async fn serve(req: HttpRequest, path: web::Path<String>) -> AppResult<HttpResponse> {
    let path = path.into_inner();
    let file = StaticFiles::get(&path).ok_or_else(AppError::not_found)?;
    let hash = assets::content_hash(&path).ok_or_else(AppError::not_found)?;
    let etag = EntityTag::new_strong(hash.clone());
    let fingerprinted = req.query_string().split('&').any(|pair| {
        pair.strip_prefix("v=")
            .is_some_and(|v| !v.is_empty() && hash.starts_with(v))
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
    if unchanged {
        return Ok(response.finish());
    }
    Ok(response
        .content_type(file.metadata.mimetype())
        .body(file.data.into_owned()))
}
