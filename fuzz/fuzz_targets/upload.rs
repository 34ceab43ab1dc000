//! The upload path behind `POST /admin/media` and the API: the multipart reader
//! (`upload::receive`) on a body of any bytes, arriving in chunks of any sizes, then
//! `media::prepare` on every file it kept (type sniffing against the allowlist, the name's
//! claim, image header checks, decoding and the resized variants). Property: a clear error
//! or prepared files, never a panic.
#![no_main]

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::web::Bytes;
use folio::media::images;
use folio::media::storage::MediaStorage;
use folio::media::{self, upload};
use libfuzzer_sys::fuzz_target;

const BOUNDARY: &str = "fuzzboundary";
/// The harness only: images larger than this are checked by header but not decoded, so
/// a run stays in milliseconds (the server decodes up to `images::MAX_PIXELS`).
const MAX_DECODED_PIXELS: u64 = 1_000_000;

thread_local! {
    static RUNTIME: actix_rt::SystemRunner = actix_rt::System::new();
}

fuzz_target!(|data: &[u8]| {
    // The first byte sets the size of the chunks the body arrives in.
    let Some((&chunk, body)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let dir = folio_fuzz::scratch();
    let Ok(storage) = MediaStorage::open(dir.path()) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("multipart/form-data; boundary=fuzzboundary"),
    );
    debug_assert!(BOUNDARY.len() < 70);
    let chunks: Vec<Result<Bytes, actix_web::error::PayloadError>> = body
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let multipart = actix_multipart::Multipart::new(&headers, futures_util::stream::iter(chunks));
    let received = RUNTIME.with(|rt| rt.block_on(upload::receive(multipart, &storage, 64 * 1024)));
    let Ok(form) = received else {
        return;
    };
    let _ = form.field("csrf_token");
    for file in form.files {
        let decodable = images::header_dimensions(file.file.path()).map_or(true, |d| {
            u64::from(d.width) * u64::from(d.height) <= MAX_DECODED_PIXELS
        });
        if decodable {
            let _ = media::prepare(&storage, file);
        }
    }
});
