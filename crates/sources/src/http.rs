//! HTTP sources: one GET that answers JSON, and a path to the numbers inside it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, HeaderName, HeaderValue};
use serde_json::Value;

use crate::json_path::{JsonPath, kind};
use crate::reach::{Reach, is_internal};
use crate::{MAX_POINTS, NO_CONNECTION, RawPoint, SourceError, mask_url, scrub, timestamp};
use std::net::SocketAddr;

/// KPI documents are small; a bigger answer is the wrong endpoint, and reading it all would
/// cost the server memory for nothing.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
const MAX_REDIRECTS: usize = 5;

pub(crate) struct Request<'a> {
    pub url: &'a str,
    pub header: Option<(&'a str, &'a str)>,
    pub timeout: Duration,
}

/// The field names an array element's object uses.
pub(crate) struct PointFields<'a> {
    pub timestamp: &'a str,
    pub value: &'a str,
    pub segment: Option<&'a str>,
}

pub(crate) async fn fetch(
    request: &Request<'_>,
    reach: &Reach,
    value_path: &str,
    fields: &PointFields<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<RawPoint>, SourceError> {
    // A typo in the path is found before anyone is asked for anything.
    let path =
        JsonPath::parse(value_path).map_err(|message| SourceError::BadPath { path: value_path.to_owned(), message })?;
    let document = get_json(request, reach).await?;
    let target = path.lookup(&document).map_err(|not_found| SourceError::PathNotFound {
        path: value_path.to_owned(),
        problem: not_found.to_string(),
    })?;
    points(target, value_path, fields, now)
}

async fn get_json(request: &Request<'_>, reach: &Reach) -> Result<Value, SourceError> {
    let url = reqwest::Url::parse(request.url)
        .map_err(|error| SourceError::InvalidUrl { url: mask_url(request.url), message: error.to_string() })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(SourceError::UnsupportedScheme { scheme: url.scheme().to_owned() });
    }
    let mut client = reqwest::Client::builder()
        .timeout(request.timeout)
        // A port that refuses and one that never answers fail alike, within the fetch's time.
        .connect_timeout(request.timeout / 2)
        .redirect(same_host_redirects())
        .user_agent(concat!("quarterdeck-sources/", env!("CARGO_PKG_VERSION")));
    if let Some((name, addresses)) = checked_addresses(&url, request, reach).await? {
        // Connect to the addresses checked, not to what the name resolves to a moment later.
        client = client.resolve_to_addrs(&name, &addresses);
    }
    let client = client.build().map_err(|error| transport_error(request, &error))?;
    let mut builder = client.get(url).header(ACCEPT, "application/json");
    if let Some((name, value)) = request.header {
        builder = builder.header(header_name(name)?, header_value(name, value)?);
    }

    let exchange = async {
        let mut response = builder.send().await.map_err(|error| transport_error(request, &error))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(SourceError::HttpStatus {
                status: status.as_u16(),
                detail: "a redirect to another host (or from https to http) was not followed; \
                         point the source at the final URL"
                    .to_owned(),
            });
        }
        if !status.is_success() {
            return Err(SourceError::HttpStatus { status: status.as_u16(), detail: String::new() });
        }
        let (body, complete) =
            read_capped(&mut response, MAX_BODY_BYTES).await.map_err(|error| transport_error(request, &error))?;
        if !complete {
            return Err(SourceError::ResponseTooLarge { limit: MAX_BODY_BYTES });
        }
        serde_json::from_slice(&body).map_err(|error| SourceError::NotJson { message: error.to_string() })
    };
    // reqwest's own timeout already covers the exchange; this one makes the promise
    // independent of how reqwest counts.
    tokio::time::timeout(request.timeout, exchange)
        .await
        .unwrap_or(Err(SourceError::Timeout { after: request.timeout }))
}

/// Checks where the URL points. An address in the URL is checked as it is; a name is resolved
/// here and every address it has is checked, and the name with those addresses is returned
/// for the connection to use. Hosts the operator allowed are not checked (`None`).
async fn checked_addresses(
    url: &reqwest::Url,
    request: &Request<'_>,
    reach: &Reach,
) -> Result<Option<(String, Vec<SocketAddr>)>, SourceError> {
    let internal = || SourceError::InternalAddress { target: mask_url(request.url) };
    let host = url.host_str().unwrap_or_default();
    if reach.allows_host(host) {
        return Ok(None);
    }
    // The URL parser has already read every spelling of an address (`2130706433`,
    // `0x7f.1`, `[::ffff:127.0.0.1]`) into its plain form.
    match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        Ok(ip) if is_internal(ip) => Err(internal()),
        Ok(_) => Ok(None),
        Err(_) if host.is_empty() => Ok(None),
        Err(_) => {
            let name = host;
            let port = url.port_or_known_default().unwrap_or(80);
            let unresolved = || SourceError::Connect {
                target: mask_url(request.url),
                message: "the host name does not resolve".to_owned(),
            };
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((name, port)).await.map_err(|_| unresolved())?.collect();
            if addresses.is_empty() {
                return Err(unresolved());
            }
            if addresses.iter().any(|a| is_internal(a.ip())) {
                return Err(internal());
            }
            Ok(Some((name.to_owned(), addresses)))
        }
    }
}

/// The header often carries a token meant for one API; following a redirect to another host
/// would hand it over, so only redirects that stay on the host are followed.
fn same_host_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = &attempt.previous()[0];
        let same_host = attempt.url().host_str() == first.host_str() && attempt.url().port() == first.port();
        let no_downgrade = !(first.scheme() == "https" && attempt.url().scheme() == "http");
        if attempt.previous().len() <= MAX_REDIRECTS && same_host && no_downgrade {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

fn header_name(name: &str) -> Result<HeaderName, SourceError> {
    HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| SourceError::BadHeader {
        name: name.to_owned(),
        message: "a header name is letters, digits and - only".to_owned(),
    })
}

fn header_value(name: &str, value: &str) -> Result<HeaderValue, SourceError> {
    // The value is usually a secret, so the message never quotes it.
    let mut value = HeaderValue::from_str(value.trim()).map_err(|_| SourceError::BadHeader {
        name: name.to_owned(),
        message: "the value holds characters a header cannot carry, such as a line break".to_owned(),
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Reads at most `limit` bytes; says whether that was the whole body.
async fn read_capped(response: &mut reqwest::Response, limit: usize) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            body.extend_from_slice(&chunk[..limit - body.len()]);
            return Ok((body, false));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, true))
}

fn transport_error(request: &Request<'_>, error: &reqwest::Error) -> SourceError {
    if error.is_connect() {
        // One answer whether the port refused, was filtered or timed out: the wording must
        // not tell which ports of a host are open.
        return SourceError::Connect { target: mask_url(request.url), message: NO_CONNECTION.to_owned() };
    }
    if error.is_timeout() {
        return SourceError::Timeout { after: request.timeout };
    }
    // reqwest's own message names the URL, password and all; its causes say what happened.
    let mut message = String::new();
    let mut cause: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = cause {
        let text = current.to_string();
        let text = match current.downcast_ref::<reqwest::Error>() {
            Some(_) if text.contains(" for url (") => text[..text.find(" for url (").unwrap_or(text.len())].to_owned(),
            _ => text,
        };
        if !message.ends_with(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
        cause = current.source();
    }
    SourceError::Connect { target: mask_url(request.url), message: scrub(&message, request.url) }
}

fn points(
    target: &Value,
    path: &str,
    fields: &PointFields<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<RawPoint>, SourceError> {
    match target {
        Value::Number(_) | Value::String(_) => match number(target) {
            Some(value) => Ok(vec![RawPoint { at: now, value, segment: None }]),
            None => Err(SourceError::PathWrongType { path: path.to_owned(), found: format!("the string {target}") }),
        },
        Value::Array(items) if items.len() > MAX_POINTS => Err(SourceError::TooManyRows { limit: MAX_POINTS }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                point(item, fields).map_err(|problem| SourceError::BadValue { row: index + 1, problem })
            })
            .collect(),
        other => Err(SourceError::PathWrongType { path: path.to_owned(), found: kind(other).to_owned() }),
    }
}

fn point(item: &Value, fields: &PointFields<'_>) -> Result<RawPoint, String> {
    let (at, value, segment) = match item {
        Value::Object(object) => {
            let field = |name: &str| object.get(name).ok_or_else(|| format!("the element has no field {name:?}"));
            (field(fields.timestamp)?, field(fields.value)?, fields.segment.and_then(|name| object.get(name)))
        }
        Value::Array(parts) if (2..=3).contains(&parts.len()) => (&parts[0], &parts[1], parts.get(2)),
        Value::Array(parts) => {
            return Err(format!(
                "an array element must be [timestamp, value] or [timestamp, value, segment]; this one has {} elements",
                parts.len()
            ));
        }
        other => {
            return Err(format!("the element is {}; expected an object or a [timestamp, value] array", kind(other)));
        }
    };
    Ok(RawPoint { at: point_timestamp(at)?, value: point_value(value)?, segment: point_segment(segment)? })
}

fn point_timestamp(at: &Value) -> Result<DateTime<Utc>, String> {
    let parsed = match at {
        Value::String(text) => timestamp::parse_text(text),
        Value::Number(epoch) => epoch.as_f64().and_then(timestamp::from_epoch_number),
        other => return Err(format!("timestamp is {}", kind(other))),
    };
    parsed.ok_or_else(|| format!("timestamp {at} is unreadable; use RFC 3339, YYYY-MM-DD or epoch seconds"))
}

fn point_value(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(_) | Value::String(_) => number(value).ok_or_else(|| format!("value {value} is not numeric")),
        other => Err(format!("value is {}, not a number", kind(other))),
    }
}

fn point_segment(segment: Option<&Value>) -> Result<Option<String>, String> {
    match segment {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(scalar @ (Value::Number(_) | Value::Bool(_))) => Ok(Some(scalar.to_string())),
        Some(other) => Err(format!("segment is {}; expected text", kind(other))),
    }
}

/// A JSON number, or a string holding one ("12.5"): some APIs quote numbers to keep decimals.
fn number(value: &Value) -> Option<f64> {
    let number = match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    }?;
    number.is_finite().then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELDS: PointFields<'static> = PointFields { timestamp: "timestamp", value: "value", segment: Some("team") };

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z").unwrap().to_utc()
    }

    #[test]
    fn a_number_or_numeric_string_is_one_point_now() {
        for target in [json!(41.5), json!("41.5"), json!(" 41.5 ")] {
            let points = points(&target, "$.v", &FIELDS, now()).unwrap();
            assert_eq!(points, vec![RawPoint { at: now(), value: 41.5, segment: None }]);
        }
    }

    #[test]
    fn other_targets_are_the_wrong_type() {
        for target in [json!("n/a"), json!("NaN"), json!({}), json!(null), json!(true)] {
            let error = points(&target, "$.v", &FIELDS, now()).unwrap_err();
            assert_eq!(error.code(), "source_path_wrong_type", "{target}");
        }
    }

    #[test]
    fn array_elements_become_points() {
        let target = json!([
            {"timestamp": "2024-04-01", "value": 1, "team": "north"},
            {"timestamp": 1711929600, "value": "2.5"},
            ["2024-04-01T00:00:00Z", 3, "south"],
            [1711929600000_u64, 4],
            [1711929600, 5, 7]
        ]);
        let points = points(&target, "$", &FIELDS, now()).unwrap();
        let april = DateTime::parse_from_rfc3339("2024-04-01T00:00:00Z").unwrap().to_utc();
        assert!(points.iter().all(|point| point.at == april));
        let values: Vec<f64> = points.iter().map(|point| point.value).collect();
        assert_eq!(values, [1.0, 2.5, 3.0, 4.0, 5.0]);
        let segments: Vec<Option<&str>> = points.iter().map(|point| point.segment.as_deref()).collect();
        assert_eq!(segments, [Some("north"), None, Some("south"), None, Some("7")]);
    }

    #[test]
    fn a_bad_element_names_its_row() {
        let cases = [
            (json!([[1, 2], {"timestamp": 1}]), 2, "no field \"value\""),
            (json!([[1, null]]), 1, "value is null"),
            (json!([[1, "lots"]]), 1, "is not numeric"),
            (json!([["someday", 1]]), 1, "unreadable"),
            (json!([[1]]), 1, "this one has 1 elements"),
            (json!([5]), 1, "the element is a number"),
        ];
        for (target, row, words) in cases {
            match points(&target, "$", &FIELDS, now()) {
                Err(SourceError::BadValue { row: got, problem }) => {
                    assert_eq!(got, row, "{target}");
                    assert!(problem.contains(words), "{target}: {problem}");
                }
                other => panic!("{target}: {other:?}"),
            }
        }
    }
}
