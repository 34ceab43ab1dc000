use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// Public pages may show images from anywhere (Markdown can link them) and the video
/// embeds the sanitiser allows (`render::sanitize::IFRAME_PREFIXES`), but run only our own
/// scripts and styles.
const SITE_CSP: &str = "default-src 'self'; img-src 'self' data: https:; media-src 'self' https:; \
     frame-src https://www.youtube-nocookie.com https://www.youtube.com https://player.vimeo.com; \
     style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'self'";
/// The admin (whose preview shows the same embeds) can never be framed (clickjacking).
const ADMIN_CSP: &str = "default-src 'self'; img-src 'self' data: https:; media-src 'self' https:; \
     frame-src https://www.youtube-nocookie.com https://www.youtube.com https://player.vimeo.com; \
     style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

// Built once: `HeaderValue::from_static` checks every byte of a policy each time it runs.
static SITE_CSP_VALUE: HeaderValue = HeaderValue::from_static(SITE_CSP);
static ADMIN_CSP_VALUE: HeaderValue = HeaderValue::from_static(ADMIN_CSP);
static NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
static REFERRER: HeaderValue = HeaderValue::from_static("strict-origin-when-cross-origin");
static DENY: HeaderValue = HeaderValue::from_static("DENY");
static NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// Adds the security baseline of DESIGN.md to every response, unless a handler chose a
/// header itself.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let is_admin = req.path() == "/admin" || req.path().starts_with("/admin/");
    let mut res = next.call(req).await?;
    apply(res.headers_mut(), is_admin);
    Ok(res)
}

/// Sets the baseline headers a response doesn't already have.
pub fn apply(headers: &mut actix_web::http::header::HeaderMap, is_admin: bool) {
    let mut set_default = |name: HeaderName, value: &HeaderValue| {
        if !headers.contains_key(&name) {
            headers.insert(name, value.clone());
        }
    };
    set_default(
        header::CONTENT_SECURITY_POLICY,
        if is_admin {
            &ADMIN_CSP_VALUE
        } else {
            &SITE_CSP_VALUE
        },
    );
    set_default(header::X_CONTENT_TYPE_OPTIONS, &NOSNIFF);
    set_default(header::REFERRER_POLICY, &REFERRER);
    if is_admin {
        set_default(header::X_FRAME_OPTIONS, &DENY);
        set_default(header::CACHE_CONTROL, &NO_STORE);
    }
}
