//! Middleware. Outermost first, as `startup` wraps the App (actix runs the last `.wrap`
//! first):
//! 0. `metrics::count_requests`: counts and times every request, cache hits included;
//! 1. `http_cache::cached_pages`: a page this node has cached is answered here at once;
//! 2. `encoding::negotiate_encoding`: picks the content coding once; fixes ETag and `Vary`
//!    of what the next layer compressed;
//! 3. actix-web's `Compress`: compresses whatever isn't in its coding already;
//! 4. the request span and id (tracing-actix-web, `telemetry::RequestSpan`);
//! 5. `request_log`: the access log and `X-Request-Id`;
//! 6. `security_headers`;
//! 7. `http_cache::http_cache`: ETag, 304, HEAD, `Cache-Control`, compressed pages, filling
//!    the page cache (one render per page at a time);
//! 8. `error_pages`: every error response as the styled page (JSON under `/api/`);
//! 9. the session (actix-session, encrypted cookie);
//! 10. `csrf`: the token check of state-changing requests;
//! 11. `keep_typed_text`: an admin form the database failed comes back with its text,
//!     next to the handlers.

pub mod csrf;
pub mod encoding;
pub mod error_pages;
pub mod http_cache;
pub mod keep_typed_text;
pub mod metrics;
pub mod request_log;
pub mod security_headers;
