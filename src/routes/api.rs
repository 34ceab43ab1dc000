//! JSON endpoints for the admin's JavaScript. Anonymous calls answer 401 (not a redirect).

use actix_session::Session;
use actix_web::{HttpResponse, get};
use serde_json::json;

use crate::auth::{self, CurrentUser};
use crate::error::AppResult;

/// Who is logged in, and the CSRF token to send in `X-CSRF-Token`.
#[get("/api/admin/session")]
pub async fn session(CurrentUser(user): CurrentUser, session: Session) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(json!({
        "user": { "id": user.id, "name": user.display_name, "email": user.email, "role": user.role },
        "csrf_token": auth::csrf_token(&session)?,
    })))
}
