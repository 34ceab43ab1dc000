use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get};

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::views::{self, AdminNav, DashboardPage};

#[get("/admin")]
pub async fn dashboard(
    CurrentUser(user): CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    let nav = AdminNav::new(&user, &session)?;
    views::html(StatusCode::OK, &DashboardPage { nav, user })
}
