//! Helpers for the inputs of use cases. Inputs are plain serde types: the JSON API reads
//! them from request bodies, the command line builds them from flags, and the use case
//! parses them into domain values, so every front end gets the same checks.

/// Deserialises a field that may be absent (no change), `null` (clear it) or a value.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}

/// A required value that was left out.
pub fn required<T>(field: &'static str, v: Option<T>) -> Result<T, quarterdeck_domain::DomainError> {
    v.ok_or(quarterdeck_domain::DomainError::Missing { field })
}
