//! Middleware, outermost first: request span and id (tracing-actix-web), access log and
//! `X-Request-Id`, security headers, HTTP caching (ETag, 304, HEAD), error pages, session,
//! CSRF.

pub mod csrf;
pub mod error_pages;
pub mod http_cache;
pub mod request_log;
pub mod security_headers;
