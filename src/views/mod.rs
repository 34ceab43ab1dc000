//! askama template structs, one per page, and the helpers to send them.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::error::AppResult;
use crate::store::users::User;

/// Sends a rendered page with the given status.
pub fn html(status: StatusCode, page: &impl Template) -> AppResult<HttpResponse> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

/// Per-field validation messages of a form, in the order the fields appear.
#[derive(Debug, Default)]
pub struct FormErrors(Vec<(&'static str, String)>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &(&'static str, String)> {
        self.0.iter()
    }
}

#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub title: String,
    pub message: String,
    pub request_id: Option<String>,
}

#[derive(Template)]
#[template(path = "site/home.html")]
pub struct HomePage;

#[derive(Template)]
#[template(path = "admin/setup.html")]
pub struct SetupPage {
    pub token: String,
    pub csrf: String,
    pub email: String,
    pub name: String,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "admin/login.html")]
pub struct LoginPage {
    pub csrf: String,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage {
    pub user: User,
    pub csrf: String,
}
