//! Answers that many handlers end with: the redirect after a form, and logging a user in
//! again after their sessions were revoked.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use crate::auth;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::users;

/// `303 See Other` to `location`: the answer to a form that worked.
pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// Logs `user_id` in again after their sessions were revoked (e.g. own role change).
pub async fn relogin(
    state: &AppState,
    req: &HttpRequest,
    session: &Session,
    user_id: i32,
    location: &str,
) -> AppResult<HttpResponse> {
    let user = db::run(&state.pool, move |conn| {
        users::find(conn, user_id)?.ok_or_else(AppError::not_found)
    })
    .await?;
    auth::log_in(req, session, &user).await?;
    Ok(redirect(location))
}
