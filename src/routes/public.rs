use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get};

use crate::error::AppResult;
use crate::views::{self, HomePage};

#[get("/")]
pub async fn home() -> AppResult<HttpResponse> {
    views::html(StatusCode::OK, &HomePage)
}
