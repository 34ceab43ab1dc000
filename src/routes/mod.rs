//! HTTP routes, one file per area. Handlers are thin: parse, authorise, call the store,
//! render.

pub mod admin;
pub mod api;
pub mod assets;
pub mod health;
pub mod login;
pub mod public;
pub mod setup;

use actix_web::web;

use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(assets::serve)
        .service(setup::show)
        .service(setup::submit)
        .service(login::show)
        .service(login::submit)
        .service(login::logout)
        .service(admin::dashboard)
        .service(api::session)
        .service(public::home);
}

/// Everything no route claimed: the styled 404 page (JSON under `/api/`).
pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::not_found())
}
