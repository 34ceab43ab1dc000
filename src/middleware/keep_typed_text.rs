//! Forms never lose typed text to a database failure. When a URL-encoded admin form (one
//! with its `csrf_token` field: a page's form, not the editor's script) gets an error that
//! is the database's fault — it can't be reached, or it refused the write (disk full,
//! read-only) — the answer is not the generic error page but a page with every field
//! sent, as typed, in a form that sends them to the same address again, under a message
//! saying what happened (503, `Retry-After`). One place for every form (the editor, its
//! autosave fallback, settings, profile, tags, media alt text, users, invitations…),
//! whichever step failed: loading the user of the session fails first when the database
//! is down, before any handler could see the form.
//!
//! Runs inside `csrf` (which has read and checked the form), next to the handlers.
//! Passwords are never shown again.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpResponse};

use crate::error::AppError;
use crate::state::AppState;
use crate::views::forms::{KeptField, KeptFormPage};

/// Seconds a browser or script is told to wait before sending again.
const RETRY_AFTER_SECS: u32 = 5;

pub async fn keep_typed_text(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let is_admin_form =
        *req.method() == Method::POST && req.path().starts_with("/admin/") && is_urlencoded(&req);
    if !is_admin_form {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    // The body is bounded by the app's `PayloadConfig` (and `csrf` has read it already:
    // this takes the same bytes again and hands them on).
    let body = req.extract::<Bytes>().await?;
    req.set_payload(body.clone().into());
    let action = match req.query_string() {
        "" => req.path().to_owned(),
        query => format!("{}?{query}", req.path()),
    };
    let site = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.peek());

    let res = next.call(req).await?;
    let Some(error) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
    else {
        return Ok(res.map_into_boxed_body());
    };
    let Some(trouble) = error.database_trouble() else {
        return Ok(res.map_into_boxed_body());
    };
    let fields = kept_fields(&body);
    if !fields
        .iter()
        .any(|f| f.name == crate::middleware::csrf::FIELD)
    {
        return Ok(res.map_into_boxed_body());
    }
    tracing::warn!(
        cause = error.detailed(),
        path = res.request().path(),
        "database failure: the form came back with its text"
    );
    let page = KeptFormPage {
        site: site.unwrap_or_default(),
        message: trouble.form_message(),
        action,
        fields,
    };
    let (req, _) = res.into_parts();
    let response = match crate::views::html(StatusCode::SERVICE_UNAVAILABLE, &page) {
        Ok(mut response) => {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(RETRY_AFTER_SECS),
            );
            response
        }
        Err(err) => HttpResponse::from_error(err),
    };
    Ok(ServiceResponse::new(req, response).map_into_boxed_body())
}

fn is_urlencoded(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The fields of the form, in the order sent, without passwords.
fn kept_fields(body: &[u8]) -> Vec<KeptField> {
    url::form_urlencoded::parse(body)
        .filter(|(name, _)| !name.contains("password"))
        .map(|(name, value)| KeptField::new(name.into_owned(), value.into_owned()))
        .collect()
}
