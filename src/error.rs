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
    /// A user whose role must sign in with a second factor, without one yet: answered
    /// with a redirect to the page that sets it up.
    #[error("set up two-factor sign-in first")]
    TwoFactorSetupRequired,
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
    /// The last attempt to connect failed moments ago: failed at once, without waiting
    /// (see `db::DbPool::get`).
    #[error("the database cannot be reached (failing fast)")]
    DatabaseUnreachable,
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
    /// Whether this is the database failing rather than the request: it can't be reached
    /// (no connection, the connection lost, the pool timed out) or it refused a write for
    /// its own reasons (disk full, read-only file or transaction, I/O error). Not a missing
    /// row or a broken rule (unique, foreign key…), which the user can fix. Forms that
    /// carry typed text answer these with the text kept (`middleware::keep_typed_text`).
    pub fn is_database_unavailable(&self) -> bool {
        self.database_trouble().is_some()
    }

    /// What went wrong with the database, for the message the user sees.
    pub fn database_trouble(&self) -> Option<DatabaseTrouble> {
        match self {
            Self::Pool(_) | Self::DatabaseUnreachable => Some(DatabaseTrouble::Unreachable),
            Self::Database(DieselError::DatabaseError(kind, info)) => match kind {
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    Some(DatabaseTrouble::Unreachable)
                }
                DatabaseErrorKind::ReadOnlyTransaction => Some(DatabaseTrouble::WriteRefused),
                DatabaseErrorKind::Unknown => classify_unknown(info.message()),
                _ => None,
            },
            _ => None,
        }
    }

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
            Self::Pool(_) | Self::Unavailable(_) | Self::DatabaseUnreachable => {
                "The site cannot reach its database right now. Please try again in a moment.".into()
            }
            _ if self.database_trouble() == Some(DatabaseTrouble::Unreachable) => {
                "The site cannot reach its database right now. Please try again in a moment.".into()
            }
            _ if self.is_database_unavailable() => {
                "The site's database cannot save changes right now. Please try again in a moment."
                    .into()
            }
            _ if self.status_code().is_server_error() => {
                "Something went wrong on our side. It has been logged.".into()
            }
            _ => self.to_string(),
        }
    }
}

/// The two ways the database fails a request (see [`AppError::database_trouble`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseTrouble {
    /// No connection: the server is down or unreachable, or the pool timed out.
    Unreachable,
    /// Connected, but the write failed: disk full, read-only, I/O error, locked.
    WriteRefused,
}

impl DatabaseTrouble {
    /// The sentence shown above a form whose text was kept.
    pub fn form_message(self) -> &'static str {
        match self {
            Self::Unreachable => {
                "The database can't be reached, so nothing was saved. Your text is below; try again in a moment."
            }
            Self::WriteRefused => {
                "The database refused to save (its disk may be full or read-only), so nothing was saved. Your text is below; try again in a moment."
            }
        }
    }
}

/// An error the database reported without a diesel kind, by its message: the connection
/// lost (PostgreSQL shutting down or the connection cut) or a write refused (SQLite: disk
/// full, read-only file, I/O error, locked; PostgreSQL: no space, read-only transaction).
/// Anything else is not the database's fault but ours (a bug): the generic 500.
fn classify_unknown(message: &str) -> Option<DatabaseTrouble> {
    let message = message.to_ascii_lowercase();
    let lost = [
        "terminating connection",
        "server closed the connection",
        "no connection to the server",
        "connection refused",
        "could not connect",
        "the database system is",
        "unable to open database file",
    ];
    let refused = [
        "disk i/o error",
        "readonly database",
        "read-only transaction",
        "database or disk is full",
        "no space left",
        "could not extend file",
        "could not write",
        "database is locked",
    ];
    if lost.iter().any(|needle| message.contains(needle)) {
        Some(DatabaseTrouble::Unreachable)
    } else if refused.iter().any(|needle| message.contains(needle)) {
        Some(DatabaseTrouble::WriteRefused)
    } else {
        None
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
            Self::LoginRequired { .. } | Self::TwoFactorSetupRequired => StatusCode::SEE_OTHER,
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
            Self::Unavailable(_) | Self::Pool(_) | Self::DatabaseUnreachable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Database(_) if self.is_database_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
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
            Self::TwoFactorSetupRequired => {
                response.insert_header((header::LOCATION, "/admin/profile/two-factor"));
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
    fn database_failures_are_503_and_rule_breaks_are_not() {
        let full = AppError::from(DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(String::from("database or disk is full")),
        ));
        assert_eq!(full.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(full.database_trouble(), Some(DatabaseTrouble::WriteRefused));
        let gone = AppError::from(DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(String::from(
                "terminating connection due to administrator command",
            )),
        ));
        assert_eq!(gone.database_trouble(), Some(DatabaseTrouble::Unreachable));
        assert_eq!(
            AppError::DatabaseUnreachable.status_code(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let unique = AppError::from(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new(String::from("users.email")),
        ));
        assert!(!unique.is_database_unavailable());
        assert!(!AppError::from(DieselError::NotFound).is_database_unavailable());
        let bug = AppError::from(DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(String::from("no such column: titel")),
        ));
        assert_eq!(bug.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
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
