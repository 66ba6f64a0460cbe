//! Live data sources: pull KPI measurements from a customer's own systems, either a SQL query
//! against their database or a JSON document from an HTTP API. This crate knows nothing of the
//! rest of Quarterdeck; it turns a [`SourceSpec`] into [`RawPoint`]s or a [`SourceError`] that
//! says what went wrong in words a KPI owner can act on.

#![forbid(unsafe_code)]

mod http;
mod json_path;
mod reach;
mod sql;
mod timestamp;

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use quarterdeck_redact::mask_url;
use quarterdeck_redact::scrub;
pub use reach::Reach;

/// The most points one fetch may return. A KPI series is a few thousand points at most; more
/// than this is a query that forgot its `GROUP BY`, and holding it would risk the server.
pub const MAX_POINTS: usize = 1_000_000;

/// What a failed connection says, for a port that refused and one that never answered alike:
/// the wording must not tell which ports of a host are open.
pub(crate) const NO_CONNECTION: &str = "no connection: the host refused it or did not answer";

/// One measurement as the source reported it, before any aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct RawPoint {
    pub at: DateTime<Utc>,
    pub value: f64,
    pub segment: Option<String>,
}

/// Where to pull measurements from.
#[derive(Clone, PartialEq)]
pub enum SourceSpec {
    /// A SQL query run against an external database. `url` is postgres://…, postgresql://…,
    /// mysql://… or mariadb://… (treated as mysql://), or sqlite:PATH / sqlite://PATH.
    /// The query returns (timestamp, value[, segment]) columns, by position.
    Sql { url: String, query: String, timeout: Duration },
    /// An HTTP GET returning JSON.
    Http {
        url: String,
        /// Optional header, e.g. ("Authorization", "Bearer xyz").
        header: Option<(String, String)>,
        /// Path into the JSON document, like `$.data.total` or `data.items` or
        /// `$.series[0].points`. If it points at a number (or a numeric string), that is one
        /// point at `now`. If it points at an array, each element is a point: an object with
        /// fields named by `timestamp_field` (default "timestamp"), `value_field` (default
        /// "value") and optional `segment_field`, or a 2- or 3-element array
        /// [timestamp, value, segment?].
        value_path: String,
        timestamp_field: Option<String>,
        value_field: Option<String>,
        segment_field: Option<String>,
        timeout: Duration,
    },
}

// Specs end up in logs through `{:?}`; the password and the header's secret must not.
impl fmt::Debug for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Sql { url, query, timeout } => f
                .debug_struct("Sql")
                .field("url", &mask_url(url))
                .field("query", query)
                .field("timeout", timeout)
                .finish(),
            SourceSpec::Http { url, header, value_path, timestamp_field, value_field, segment_field, timeout } => f
                .debug_struct("Http")
                .field("url", &mask_url(url))
                .field("header", &header.as_ref().map(|(name, _)| (name, "***")))
                .field("value_path", value_path)
                .field("timestamp_field", timestamp_field)
                .field("value_field", value_field)
                .field("segment_field", segment_field)
                .field("timeout", timeout)
                .finish(),
        }
    }
}

/// Why a fetch failed. [`SourceError::code`] is a stable machine code; the message is for
/// people and never contains a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error(
        "unsupported URL scheme {scheme:?}: use postgres://, postgresql://, mysql://, mariadb://, sqlite:, http:// or https://"
    )]
    UnsupportedScheme { scheme: String },

    #[error("invalid URL {url}: {message}")]
    InvalidUrl { url: String, message: String },

    /// `target` is the URL with its password masked.
    #[error("cannot connect to {target}: {message}")]
    Connect { target: String, message: String },

    #[error("the query failed: {message}")]
    QueryFailed { message: String },

    /// `target` is the URL with its password masked.
    #[error(
        "{target} is a Quarterdeck database (this server's own, a copy, or another installation's): it holds every \
         data source's credentials, so no source may read it; point the source at your own systems"
    )]
    QuarterdeckDatabase { target: String },

    #[error("timed out after {}", seconds(*after))]
    Timeout { after: Duration },

    #[error("the query must return (timestamp, value[, segment]) columns; it returned {}", describe_columns(columns))]
    WrongColumns { columns: Vec<String> },

    /// `row` counts from 1: the row of the query result, or the element of the JSON array.
    #[error("bad value in row {row}: {problem}")]
    BadValue { row: usize, problem: String },

    #[error("the source returned more than {limit} rows; aggregate in the query instead")]
    TooManyRows { limit: usize },

    #[error("invalid header {name:?}: {message}")]
    BadHeader { name: String, message: String },

    /// `detail` is in our words: a response is never quoted into an error (it may be an
    /// internal page, or echo the request's secrets).
    #[error("HTTP status {status}{}", detail_suffix(detail))]
    HttpStatus { status: u16, detail: String },

    /// `target` is the URL with its password masked.
    #[error(
        "{target} is an internal address (loopback, private, link-local or reserved): a source reaches public \
         hosts only, unless an administrator allows this host in QUARTERDECK_SOURCE_ALLOWED_HOSTS"
    )]
    InternalAddress { target: String },

    #[error("the response is larger than {limit} bytes")]
    ResponseTooLarge { limit: usize },

    #[error("the response is not JSON ({message})")]
    NotJson { message: String },

    #[error("invalid JSON path {path:?}: {message}")]
    BadPath { path: String, message: String },

    #[error("JSON path {path:?} not found: {problem}")]
    PathNotFound { path: String, problem: String },

    #[error("JSON path {path:?} points at {found}, which is neither a number nor an array")]
    PathWrongType { path: String, found: String },
}

impl SourceError {
    /// A stable code for APIs and stored fetch results.
    pub fn code(&self) -> &'static str {
        match self {
            SourceError::UnsupportedScheme { .. } => "source_unsupported_scheme",
            SourceError::InvalidUrl { .. } => "source_invalid_url",
            SourceError::Connect { .. } => "source_connect_failed",
            SourceError::QueryFailed { .. } => "source_query_failed",
            SourceError::QuarterdeckDatabase { .. } => "source_quarterdeck_database",
            SourceError::Timeout { .. } => "source_timeout",
            SourceError::WrongColumns { .. } => "source_wrong_columns",
            SourceError::BadValue { .. } => "source_bad_value",
            SourceError::TooManyRows { .. } => "source_too_many_rows",
            SourceError::BadHeader { .. } => "source_bad_header",
            SourceError::HttpStatus { .. } => "source_http_status",
            SourceError::InternalAddress { .. } => "source_internal_address",
            SourceError::ResponseTooLarge { .. } => "source_response_too_large",
            SourceError::NotJson { .. } => "source_not_json",
            SourceError::BadPath { .. } => "source_bad_path",
            SourceError::PathNotFound { .. } => "source_path_not_found",
            SourceError::PathWrongType { .. } => "source_path_wrong_type",
        }
    }
}

fn seconds(duration: Duration) -> String {
    let text = format!("{:.3}", duration.as_secs_f64());
    format!("{} s", text.trim_end_matches('0').trim_end_matches('.'))
}

fn describe_columns(columns: &[String]) -> String {
    match columns.len() {
        0 => "no columns".to_owned(),
        1 => format!("1 column: {}", columns[0]),
        n => format!("{n} columns: {}", columns.join(", ")),
    }
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() { String::new() } else { format!(": {detail}") }
}

/// Pulls the points a source reports now. `reach` says which hosts an HTTP source may
/// connect to; `now` stamps a single-number HTTP answer.
pub async fn fetch(spec: &SourceSpec, reach: &Reach, now: DateTime<Utc>) -> Result<Vec<RawPoint>, SourceError> {
    match spec {
        SourceSpec::Sql { url, query, timeout } => sql::fetch(url, query, *timeout).await,
        SourceSpec::Http { url, header, value_path, timestamp_field, value_field, segment_field, timeout } => {
            let request = http::Request {
                url,
                header: header.as_ref().map(|(name, value)| (name.as_str(), value.as_str())),
                timeout: *timeout,
            };
            let fields = http::PointFields {
                timestamp: timestamp_field.as_deref().unwrap_or("timestamp"),
                value: value_field.as_deref().unwrap_or("value"),
                segment: segment_field.as_deref(),
            };
            http::fetch(&request, reach, value_path, &fields, now).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_well() {
        let error = SourceError::WrongColumns { columns: vec!["total".into()] };
        assert_eq!(
            error.to_string(),
            "the query must return (timestamp, value[, segment]) columns; it returned 1 column: total"
        );
        assert_eq!(error.code(), "source_wrong_columns");
        let timeout = SourceError::Timeout { after: Duration::from_millis(1500) };
        assert_eq!(timeout.to_string(), "timed out after 1.5 s");
        assert_eq!(SourceError::Timeout { after: Duration::from_secs(1) }.to_string(), "timed out after 1 s");
    }

    #[test]
    fn debug_masks_secrets() {
        let spec = SourceSpec::Http {
            url: "https://u:pw@h/x".into(),
            header: Some(("Authorization".into(), "Bearer xyz".into())),
            value_path: "$.v".into(),
            timestamp_field: None,
            value_field: None,
            segment_field: None,
            timeout: Duration::from_secs(1),
        };
        let shown = format!("{spec:?}");
        assert!(!shown.contains("pw@") && !shown.contains("xyz"), "{shown}");
    }
}
