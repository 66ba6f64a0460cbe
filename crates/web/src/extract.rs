//! Extractors whose rejections are `ApiError`s that name the field at fault.

use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, IF_MATCH};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A JSON body. Syntax errors are 400; a well-formed body of the wrong shape is 422 with
/// the path of the offending field (`key_results[0].target`).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with 'Content-Type: application/json'",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_unreadable", format!("could not read the body: {e}"))
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize(de) {
            Ok(v) => Ok(ApiJson(v)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if inner.is_syntax() || inner.is_eof() {
                    Err(ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {inner}")))
                } else {
                    let field = if path == "." { None } else { Some(path.clone()) };
                    let message = match &field {
                        Some(f) => format!("{f}: {inner}"),
                        None => inner.to_string(),
                    };
                    let err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message);
                    Err(match field {
                        Some(f) => err.with_field(f),
                        None => err,
                    })
                }
            }
        }
    }
}

/// Query parameters; a parameter of the wrong form is 400 naming it.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))
    }
}

/// Path parameters; an id that is not an id is 404 (it names nothing here).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state).await.map(|p| ApiPath(p.0)).map_err(|e| {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no such resource: {}", e.body_text()))
        })
    }
}

/// The version an editor saw, from `If-Match: "3"` (or `3`, or `W/"3"`).
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(raw) = parts.headers.get(IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let text = raw.to_str().unwrap_or_default().trim();
        let text = text.trim_start_matches("W/").trim_matches('"');
        text.parse::<i64>().map(|v| IfMatch(Some(v))).map_err(|_| {
            ApiError::bad_request("invalid_if_match", "If-Match must carry the record's version, e.g. If-Match: \"3\"")
                .with_field("If-Match")
        })
    }
}

impl IfMatch {
    /// The version an update is based on: If-Match or the body's `version`. One is required,
    /// so that no edit can silently overwrite another.
    pub fn require(self, body_version: Option<i64>) -> Result<i64, ApiError> {
        match (self.0, body_version) {
            (Some(h), Some(b)) if h != b => Err(ApiError::bad_request(
                "version_mismatch",
                format!("If-Match says version {h} but the body says {b}"),
            )
            .with_field("version")),
            (Some(v), _) | (None, Some(v)) => Ok(v),
            (None, None) => Err(ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "version_required",
                "send the version you edited, as If-Match: \"<version>\" or \"version\" in the body, so concurrent edits are caught",
            )
            .with_field("version")),
        }
    }
}

/// Deserialises a field that may be absent (no change), `null` (clear it) or a value.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}

/// An optional JSON body: absent (no Content-Type, empty body) is `None`.
impl<S: Send + Sync, T: DeserializeOwned> axum::extract::OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, ApiError> {
        if req.headers().get(CONTENT_TYPE).is_none() {
            return Ok(None);
        }
        <ApiJson<T> as FromRequest<S>>::from_request(req, state).await.map(Some)
    }
}
