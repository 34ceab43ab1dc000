//! Middleware. Outermost first, as `startup` wraps the App (actix runs the last `.wrap`
//! first):
//! 1. `http_cache::cached_pages`: a page this node has cached is answered here at once;
//! 2. the request span and id (tracing-actix-web, `telemetry::RequestSpan`);
//! 3. `request_log`: the access log and `X-Request-Id`;
//! 4. `security_headers`;
//! 5. `http_cache::http_cache`: ETag, 304, HEAD, `Cache-Control`, filling the page cache;
//! 6. `error_pages`: every error response as the styled page (JSON under `/api/`);
//! 7. the session (actix-session, encrypted cookie);
//! 8. `csrf`: the token check of state-changing requests, next to the handlers.

pub mod csrf;
pub mod error_pages;
pub mod http_cache;
pub mod request_log;
pub mod security_headers;
