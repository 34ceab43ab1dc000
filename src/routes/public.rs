use actix_web::http::StatusCode;
use actix_web::http::header::{self, EntityTag, IfNoneMatch};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, web};

use crate::error::AppResult;
use crate::startup::AppState;
use crate::views::{self, HomePage};

#[get("/")]
pub async fn home(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let site = state.settings.get(&state.pool).await?;
    views::html(StatusCode::OK, &HomePage { site })
}

/// The accent colour and the admin's custom CSS as a stylesheet (no inline styles under
/// the CSP); linked with its fingerprint, so it can be cached for a year.
#[get("/site.css")]
pub async fn site_css(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let site = state.settings.get(&state.pool).await?;
    let etag = EntityTag::new_strong(site.css_version.clone());
    let fingerprinted = req.query_string() == format!("v={}", site.css_version);
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
    response.insert_header(header::ETag(etag)).insert_header((
        header::CACHE_CONTROL,
        if fingerprinted {
            "public, max-age=31536000, immutable"
        } else {
            "public, no-cache"
        },
    ));
    if unchanged {
        return Ok(response.finish());
    }
    Ok(response
        .content_type("text/css; charset=utf-8")
        .body(site.settings.stylesheet()))
}
