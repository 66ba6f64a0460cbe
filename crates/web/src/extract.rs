//! Extractors whose rejections are `ApiError`s that name the field at fault.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{CONTENT_TYPE, IF_MATCH};
use axum::http::request::Parts;
use quarterdeck_app::measurements::from_json;
use quarterdeck_domain::error::Code;
use serde::de::DeserializeOwned;

/// Whether the body is declared JSON: `application/json` or an `application/…+json` type,
/// parameters aside. Never `text/plain`, whatever its parameters say: a web page may send
/// `text/plain` to any site without asking first, so reading it as JSON would let any page
/// a user visits write here.
fn is_json(req: &Request) -> bool {
    req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(is_json_type)
}

fn is_json_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json"
        || essence.strip_prefix("application/").is_some_and(|sub| sub.len() > 5 && sub.ends_with("+json"))
}

/// The body's bytes, up to the router's limit; past it, 413 in the JSON error shape.
pub struct ApiBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state).await.map(ApiBytes).map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    Code::BodyTooLarge,
                    format!("the body is larger than {} MiB; split it", crate::MAX_BODY_BYTES / (1024 * 1024)),
                )
            } else {
                ApiError::new(Code::BodyUnreadable, format!("could not read the body: {e}"))
            }
        })
    }
}

/// A JSON body. Syntax errors (and bytes after the document) are 400; a well-formed body of
/// the wrong shape is 422 with the path of the offending field (`key_results[0].target`).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(&req) {
            return Err(ApiError::new(
                Code::UnsupportedMediaType,
                "send the body as JSON with 'Content-Type: application/json'",
            ));
        }
        let ApiBytes(bytes) = ApiBytes::from_request(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(Code::MalformedJson, "the body is empty; send a JSON object"));
        }
        Ok(ApiJson(from_json(&bytes)?))
    }
}

/// An optional JSON body: absent (no Content-Type, or an empty body) is `None`.
impl<S: Send + Sync, T: DeserializeOwned> axum::extract::OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, ApiError> {
        if req.headers().get(CONTENT_TYPE).is_none() {
            return Ok(None);
        }
        let json = is_json(&req);
        let ApiBytes(bytes) = ApiBytes::from_request(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if !json {
            return Err(ApiError::new(
                Code::UnsupportedMediaType,
                "send the body as JSON with 'Content-Type: application/json'",
            ));
        }
        Ok(Some(ApiJson(from_json(&bytes)?)))
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
            .map_err(|e| ApiError::new(Code::InvalidQuery, e.body_text()))
    }
}

/// Path parameters; an id that is not an id is 404 (it names nothing here).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| ApiError::new(Code::NotFound, format!("no such resource: {}", e.body_text())))
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
            ApiError::new(Code::InvalidIfMatch, "If-Match must carry the record's version, e.g. If-Match: \"3\"")
                .with_field("If-Match")
        })
    }
}

impl IfMatch {
    /// The version an update is based on: If-Match or the body's `version`. One is required,
    /// so that no edit can silently overwrite another.
    pub fn require(self, body_version: Option<i64>) -> Result<i64, ApiError> {
        match (self.0, body_version) {
            (Some(h), Some(b)) if h != b => Err(ApiError::new(
                Code::VersionMismatch,
                format!("If-Match says version {h} but the body says {b}"),
            )
            .with_field("version")),
            (Some(v), _) | (None, Some(v)) => Ok(v),
            (None, None) => Err(ApiError::new(
                Code::VersionRequired,
                "send the version you edited, as If-Match: \"<version>\" or \"version\" in the body, so concurrent edits are caught",
            )
            .with_field("version")),
        }
    }

    /// The version seen, when the state machine already guards the move and it may be left out.
    pub fn or(self, body_version: Option<i64>) -> Option<i64> {
        self.0.or(body_version)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_json_media_types_are_json() {
        for yes in
            ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"]
        {
            assert!(super::is_json_type(yes), "{yes}");
        }
        for no in [
            "text/plain; charset=+json",
            "text/plain",
            "application/jsonp",
            "text/x+json",
            "application/+json",
            "multipart/form-data; boundary=+json",
        ] {
            assert!(!super::is_json_type(no), "{no}");
        }
    }
}
