//! One error type for every handler. Its status and public message are decided here;
//! `middleware::error_pages` turns it into a styled HTML page, or JSON under `/api/`.

use actix_web::error::BlockingError;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// An anonymous request to an admin page: answered with a redirect to the login form
    /// that comes back to `next` afterwards.
    #[error("you need to log in")]
    LoginRequired { next: String },
    /// An anonymous request to an admin JSON endpoint.
    #[error("you need to log in")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// A link that worked once and no longer does (used, withdrawn, expired).
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Well-formed input that can't be used (an empty or damaged upload).
    #[error("{0}")]
    Unprocessable(String),
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error("{0}")]
    Unavailable(String),
    #[error("database error")]
    Database(#[from] DieselError),
    #[error("database connection pool error")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("background task failed")]
    Blocking(#[from] BlockingError),
    #[error("template rendering failed")]
    Render(#[from] askama::Error),
    #[error("password hashing failed")]
    PasswordHash(#[from] bcrypt::BcryptError),
    #[error("session storage failed")]
    Session(#[source] BoxError),
    /// Something that should not happen, described by a message (no underlying error).
    #[error("{0}")]
    Internal(String),
    /// Something that should not happen, with the error that caused it: the log gets the
    /// whole chain (`detailed`), the page only the request id. See `AppError::internal`.
    #[error("{context}")]
    Failed {
        context: String,
        #[source]
        source: BoxError,
    },
}

/// Any error, kept as the cause of an `AppError`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl AppError {
    pub fn not_found() -> Self {
        Self::NotFound("The page you asked for does not exist.".into())
    }

    /// A 500 that keeps its cause: `.map_err(|e| AppError::internal("cannot store the
    /// file", e))`.
    pub fn internal(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Failed {
            context: context.into(),
            source: source.into(),
        }
    }

    /// The message with its whole cause chain, for logs and the operator's CLI.
    pub fn detailed(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }

    /// A short machine-readable name, used as `error.code` in JSON responses.
    pub fn code(&self) -> &'static str {
        code_for_status(self.status_code())
    }

    /// What the user may see: the message for 4xx, a generic sentence for 5xx
    /// (internals go to the log, with the request id).
    pub fn public_message(&self) -> String {
        match self {
            Self::Database(DieselError::NotFound) => {
                "The page you asked for does not exist.".into()
            }
            Self::Database(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                "That already exists: choose another value.".into()
            }
            Self::Pool(_) | Self::Unavailable(_) => {
                "The site cannot reach its database right now. Please try again in a moment.".into()
            }
            _ if self.status_code().is_server_error() => {
                "Something went wrong on our side. It has been logged.".into()
            }
            _ => self.to_string(),
        }
    }
}

pub fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        410 => "gone",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable_entity",
        429 => "too_many_requests",
        503 => "service_unavailable",
        s if s >= 500 => "internal_error",
        _ => "error",
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) | Self::Database(DieselError::NotFound) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::LoginRequired { .. } => StatusCode::SEE_OTHER,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Conflict(_)
            | Self::Database(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                StatusCode::CONFLICT
            }
            Self::Gone(_) => StatusCode::GONE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::Pool(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_)
            | Self::Blocking(_)
            | Self::Render(_)
            | Self::PasswordHash(_)
            | Self::Session(_)
            | Self::Internal(_)
            | Self::Failed { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A bare response; `middleware::error_pages` replaces the body with the styled page
    /// or JSON, keeping the status and headers set here.
    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::LoginRequired { next } => {
                let location = format!("/admin/login?next={}", urlencode(next));
                response.insert_header((header::LOCATION, location));
            }
            Self::TooManyRequests {
                retry_after_secs, ..
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        response
            .content_type(mime_text_plain())
            .body(self.public_message())
    }
}

fn mime_text_plain() -> &'static str {
    "text/plain; charset=utf-8"
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

impl From<actix_session::SessionInsertError> for AppError {
    fn from(err: actix_session::SessionInsertError) -> Self {
        Self::Session(Box::new(err))
    }
}

impl From<actix_session::SessionGetError> for AppError {
    fn from(err: actix_session::SessionGetError) -> Self {
        Self::Session(Box::new(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_never_show_internals() {
        let err = AppError::Internal("secret path /etc/folio".into());
        assert_eq!(err.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!err.public_message().contains("/etc/folio"));
    }

    #[test]
    fn internal_errors_keep_their_cause_for_the_log_only() {
        let cause = std::io::Error::other("disk full at /srv/folio/media");
        let err = AppError::internal("cannot store an upload", cause);
        assert_eq!(err.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(std::error::Error::source(&err).is_some());
        assert_eq!(
            err.detailed(),
            "cannot store an upload: disk full at /srv/folio/media"
        );
        assert!(!err.public_message().contains("/srv"));
        assert!(!err.error_response().status().is_success());
    }

    #[test]
    fn diesel_not_found_is_404_and_unique_violation_is_409() {
        assert_eq!(
            AppError::from(DieselError::NotFound).status_code(),
            StatusCode::NOT_FOUND
        );
        let unique = DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new(String::from("users.email")),
        );
        let err = AppError::from(unique);
        assert_eq!(err.status_code(), StatusCode::CONFLICT);
        assert_eq!(err.code(), "conflict");
    }

    #[test]
    fn login_required_redirects_back() {
        let response = AppError::LoginRequired {
            next: "/admin/posts?page=2".into(),
        }
        .error_response();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            response.headers().get(header::LOCATION).unwrap(),
            "/admin/login?next=%2Fadmin%2Fposts%3Fpage%3D2"
        );
    }
}
