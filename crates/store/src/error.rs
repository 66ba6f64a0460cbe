use quarterdeck_domain::DomainError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("no {entity} with id {id}")]
    NotFound { entity: &'static str, id: String },
    /// An id in the input points at nothing.
    #[error("{field}: no {entity} with id {id}")]
    UnknownReference { field: &'static str, entity: &'static str, id: String },
    /// The writer's version is not the record's: someone else changed it first, or the
    /// version sent was never one the record had.
    #[error("{}", stale_message(entity, id, *sent, *current_version))]
    Stale { entity: &'static str, id: String, sent: i64, current_version: i64 },
    #[error("{field} '{value}' is already taken")]
    Duplicate { field: &'static str, value: String },
    /// A rule of the method, checked against stored state (a check-in on a killed key
    /// result, a write to a closed cycle).
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("cursor is not one this server handed out; start again without it")]
    InvalidCursor,
    /// The database does not answer (down, or every connection busy past the timeout).
    #[error("the database does not answer: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Backend(String),
}

fn stale_message(entity: &str, id: &str, sent: i64, current: i64) -> String {
    if sent > current {
        format!(
            "{entity} {id} is at version {current} and has never had version {sent}; reload it and apply your edit to what it holds now"
        )
    } else {
        format!(
            "{entity} {id} was changed by someone else (now at version {current}); reload it and apply your edit again"
        )
    }
}
