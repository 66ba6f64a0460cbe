//! One error type for every handler. Store and domain errors map here, in one place:
//! NotFound → 404, Stale/Duplicate/CycleClosed → 409, validation → 422, bad syntax → 400.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quarterdeck_domain::DomainError;
use quarterdeck_store::StoreError;
use quarterdeck_store::page::CursorError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `kr_target_equals_baseline`.
    pub error: String,
    /// What went wrong and what to do, for people.
    pub message: String,
    /// The input field at fault, when there is one (`target`, `key_results[0].weight`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// On 409 Conflict: the record as it is now, to merge an edit into.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<serde_json::Value>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody { error: code.to_owned(), message: message.into(), field: None, current: None },
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.body.field = Some(field.into());
        self
    }

    pub fn with_current(mut self, current: impl Serialize) -> Self {
        self.body.current = serde_json::to_value(current).ok();
        self
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: &str, field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).with_field(field)
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("no {what} with id {id}"))
    }

    pub fn is_stale(&self) -> bool {
        self.status == StatusCode::CONFLICT && self.body.error == "version_conflict"
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string());
        if let Some(f) = e.field() {
            err = err.with_field(f);
        }
        err
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let message = e.to_string();
        match e {
            StoreError::NotFound { .. } => ApiError::new(StatusCode::NOT_FOUND, "not_found", message),
            StoreError::UnknownReference { field, .. } => ApiError::unprocessable("unknown_reference", field, message),
            StoreError::Stale { .. } => ApiError::new(StatusCode::CONFLICT, "version_conflict", message),
            StoreError::Duplicate { field, .. } => {
                ApiError::new(StatusCode::CONFLICT, "duplicate", message).with_field(field)
            }
            StoreError::CycleClosed => ApiError::new(StatusCode::CONFLICT, "cycle_closed", message),
            StoreError::Domain(d) => d.into(),
            StoreError::Rule { code, field, .. } => {
                let err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message);
                match field {
                    Some(f) => err.with_field(f),
                    None => err,
                }
            }
            StoreError::Backend(detail) => {
                // The details go to the log, never to the client.
                tracing::error!(%detail, "store failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server could not complete the request; nothing was changed. Try again, and tell the administrator if it persists",
                )
            }
        }
    }
}

impl From<CursorError> for ApiError {
    fn from(e: CursorError) -> Self {
        let field = match e {
            CursorError::Limit => "limit",
            CursorError::Cursor => "cursor",
        };
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_page", e.to_string()).with_field(field)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
