use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use askama::Template;

use crate::error::{AppError, code_for_status};
use crate::telemetry::RequestId;
use crate::views::ErrorPage;

/// Turns every error response into the styled page (or JSON under `/api/`): errors from
/// handlers (`AppError`), from extractors (a malformed form), and actix's bare 404/405.
/// Responses a handler rendered itself (a form re-shown with messages) pass untouched.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // An `Err` here (only middleware further in produces one) has no request left to
    // render with; actix turns it into a plain response.
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    let has_error = res.response().error().is_some();
    if status.as_u16() < 400 || (!has_error && res.headers().contains_key(header::CONTENT_TYPE)) {
        return Ok(res);
    }

    let request_id = res
        .request()
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone());
    let (code, message) = describe(&res, status);
    if status.is_server_error() {
        let cause = res.response().error().map(cause_chain).unwrap_or_default();
        tracing::error!(status = status.as_u16(), cause, "request failed");
    }

    let is_api = res.request().path().starts_with("/api/");
    let (content_type, body) = if is_api {
        let json = serde_json::json!({ "error": { "code": code, "message": message } });
        ("application/json", json.to_string())
    } else {
        let site = res
            .request()
            .app_data::<actix_web::web::Data<crate::state::AppState>>()
            .map(|state| state.settings.peek())
            .unwrap_or_default();
        let page = ErrorPage {
            site,
            status: status.as_u16(),
            title: title_for(status),
            message,
            request_id: status.is_server_error().then_some(request_id).flatten(),
        };
        match page.render() {
            Ok(html) => ("text/html; charset=utf-8", html),
            Err(err) => {
                tracing::error!(error = %err, "error page failed to render");
                ("text/plain; charset=utf-8", page.message)
            }
        }
    };
    let (req, mut response) = res.into_parts();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let response = response.set_body(BoxBody::new(body));
    Ok(ServiceResponse::new(req, response))
}

fn describe(res: &ServiceResponse, status: StatusCode) -> (&'static str, String) {
    match res.response().error() {
        Some(err) => match err.as_error::<AppError>() {
            Some(app) => (app.code(), app.public_message()),
            None if status.is_client_error() => {
                (code_for_status(status), sentence(err.to_string()))
            }
            None => (code_for_status(status), generic_message(status)),
        },
        None => (code_for_status(status), generic_message(status)),
    }
}

fn generic_message(status: StatusCode) -> String {
    match status {
        StatusCode::NOT_FOUND => "The page you asked for does not exist.".into(),
        StatusCode::METHOD_NOT_ALLOWED => {
            "This address does not accept that kind of request.".into()
        }
        s if s.is_server_error() => "Something went wrong on our side. It has been logged.".into(),
        s => s
            .canonical_reason()
            .unwrap_or("The request was refused.")
            .to_owned(),
    }
}

fn title_for(status: StatusCode) -> String {
    match status {
        StatusCode::NOT_FOUND => "Page not found".into(),
        StatusCode::FORBIDDEN => "Not allowed".into(),
        s if s.is_server_error() => "Something went wrong".into(),
        s => s.canonical_reason().unwrap_or("Error").to_owned(),
    }
}

/// Extractor errors read like "Parse error: missing field `email`"; make them a sentence.
fn sentence(mut text: String) -> String {
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

fn cause_chain(err: &actix_web::Error) -> String {
    match err.as_error::<AppError>() {
        Some(app) => app.detailed(),
        None => err.to_string(),
    }
}
