use quarterdeck_domain::DomainError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("no {entity} with id {id}")]
    NotFound { entity: &'static str, id: String },
    /// An id in the input points at nothing.
    #[error("{field}: no {entity} with id {id}")]
    UnknownReference { field: &'static str, entity: &'static str, id: String },
    #[error(
        "{entity} {id} was changed by someone else (now at version {current_version}); reload it and apply your edit again"
    )]
    Stale { entity: &'static str, id: String, current_version: i64 },
    #[error("{field} '{value}' is already taken")]
    Duplicate { field: &'static str, value: String },
    #[error("the cycle is closed: its OKRs are graded and read-only")]
    CycleClosed,
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A rule that needs stored state to check (a check-in on a killed key result, a date
    /// outside the cycle).
    #[error("{message}")]
    Rule { code: &'static str, field: Option<&'static str>, message: String },
    #[error("database error: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn rule(code: &'static str, field: Option<&'static str>, message: impl Into<String>) -> Self {
        StoreError::Rule { code, field, message: message.into() }
    }
}
