//! Content coding for every response that doesn't choose its own (admin pages, the API,
//! `/site.css`, error pages, everything when the page cache is off): this layer picks the
//! coding once with `compression::Encoding::negotiate` and hands actix-web's `Compress`
//! (inside it) a request that accepts exactly that one, so both agree with the page cache
//! and the static files; then it fixes what `Compress` leaves out:
//! - media (`/media/…`) are never compressed (images and PDFs are compressed already, and
//!   byte ranges must keep addressing the file);
//! - an ETag of a body `Compress` encoded becomes weak (the encoded bytes differ from the
//!   identity ones the tag was made for);
//! - a compressible response that went out uncompressed still says
//!   `Vary: Accept-Encoding`.
//!
//! Responses marked `compression::Negotiated` (cached pages, static files) are left alone.

use actix_web::Error;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, EntityTag, HeaderMap, HeaderValue};
use actix_web::middleware::Next;

use crate::compression::{self, Encoding, Negotiated};

pub async fn negotiate_encoding(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let media = req.path().starts_with("/media/");
    let encoding = if media {
        Encoding::Identity
    } else {
        Encoding::negotiate(
            req.headers()
                .get(header::ACCEPT_ENCODING)
                .and_then(|value| value.to_str().ok()),
        )
    };
    let headers = req.headers_mut();
    match encoding.header_value() {
        Some(coding) => {
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(coding));
        }
        None => {
            headers.remove(header::ACCEPT_ENCODING);
        }
    }

    let mut res = next.call(req).await?.map_into_boxed_body();
    if media || res.response().extensions().contains::<Negotiated>() {
        return Ok(res);
    }
    let headers = res.headers_mut();
    let compressible = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(compression::is_compressible);
    if !compressible {
        return Ok(res);
    }
    if headers.contains_key(header::CONTENT_ENCODING) {
        weaken_etag(headers);
    }
    if !varies_by_encoding(headers) {
        headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    Ok(res)
}

fn weaken_etag(headers: &mut HeaderMap) {
    let Some(tag) = headers
        .get(header::ETAG)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<EntityTag>().ok())
    else {
        return;
    };
    if tag.weak {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(&EntityTag::new_weak(tag.tag().to_owned()).to_string())
    {
        headers.insert(header::ETAG, value);
    }
}

fn varies_by_encoding(headers: &HeaderMap) -> bool {
    headers.get_all(header::VARY).any(|value| {
        value.to_str().is_ok_and(|names| {
            names
                .split(',')
                .map(str::trim)
                .any(|name| name == "*" || name.eq_ignore_ascii_case("accept-encoding"))
        })
    })
}
