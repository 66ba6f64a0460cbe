//! The application's one error type. Every failure carries a code of the domain's catalogue
//! (the API contract), words for people and, where there is one, the input field at fault.
//! Front ends map the code's kind to their answer (an HTTP status, an exit code) in one place.

use quarterdeck_domain::DomainError;
use quarterdeck_domain::error::{Code, Kind};
use quarterdeck_store::StoreError;
use quarterdeck_store::page::CursorError;
use serde::Serialize;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: Code,
    pub message: String,
    /// The input field at fault (`target`, `points[3].value`).
    pub field: Option<String>,
    /// On a version conflict: the record as it is now, to merge an edit into.
    pub current: Option<serde_json::Value>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        AppError { code, message: message.into(), field: None, current: None }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_current(mut self, current: impl Serialize) -> Self {
        self.current = serde_json::to_value(current).ok();
        self
    }

    pub fn kind(&self) -> Kind {
        self.code.kind()
    }

    pub fn not_found(what: &str, name: &str) -> Self {
        AppError::new(Code::NotFound, format!("no {what} with id {name}"))
    }

    /// A query parameter that cannot be read.
    pub fn bad_query(field: &str, message: impl Into<String>) -> Self {
        AppError::new(Code::InvalidQuery, message).with_field(field)
    }

    pub fn is_stale(&self) -> bool {
        self.code == Code::VersionConflict
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        let err = AppError::new(e.code(), e.to_string());
        match e.field() {
            Some(f) => err.with_field(f),
            None => err,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        let message = e.to_string();
        match e {
            StoreError::NotFound { .. } => AppError::new(Code::NotFound, message),
            StoreError::UnknownReference { field, .. } => {
                AppError::new(Code::UnknownReference, message).with_field(field)
            }
            StoreError::Stale { .. } => AppError::new(Code::VersionConflict, message),
            StoreError::Duplicate { field, .. } => AppError::new(Code::Duplicate, message).with_field(field),
            StoreError::Domain(d) => d.into(),
            StoreError::InvalidCursor => AppError::new(Code::InvalidPage, message).with_field("cursor"),
            StoreError::Unavailable(detail) => {
                // The details go to the log, never to the client.
                tracing::warn!(%detail, "database unavailable");
                AppError::new(
                    Code::Unavailable,
                    "the database does not answer; nothing was changed. Try again in a moment",
                )
            }
            StoreError::Backend(detail) => {
                tracing::error!(%detail, "store failure");
                AppError::new(
                    Code::Internal,
                    "the server could not complete the request; nothing was changed. Try again, and tell the administrator if it persists",
                )
            }
        }
    }
}

impl From<CursorError> for AppError {
    fn from(e: CursorError) -> Self {
        let field = match e {
            CursorError::Limit => "limit",
            CursorError::Cursor => "cursor",
        };
        AppError::new(Code::InvalidPage, e.to_string()).with_field(field)
    }
}
