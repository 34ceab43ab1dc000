use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get};

use crate::auth::{self, CurrentUser};
use crate::error::AppResult;
use crate::views::{self, DashboardPage};

#[get("/admin")]
pub async fn dashboard(
    CurrentUser(user): CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    let csrf = auth::csrf_token(&session)?;
    views::html(StatusCode::OK, &DashboardPage { user, csrf })
}
