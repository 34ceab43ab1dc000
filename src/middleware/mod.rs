//! Middleware, outermost first: request span and id (tracing-actix-web), access log and
//! `X-Request-Id`, security headers, error pages, session.

pub mod csrf;
pub mod error_pages;
pub mod request_log;
pub mod security_headers;
