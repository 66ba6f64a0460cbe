//! Measurement batches as clients send them (JSON or CSV), parsed row by row into checked
//! points and stored in one transaction. One bad row rejects the batch, with its row number
//! and reason; nothing of the batch is written.

use crate::{App, AppError, AppResult};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use quarterdeck_domain::access::Action;
use quarterdeck_domain::error::Code;
use quarterdeck_domain::ids::KpiId;
use quarterdeck_domain::kpi::definition::check_measurement;
use quarterdeck_domain::text::plain;
use quarterdeck_domain::zone::Zone;
use quarterdeck_store::StoreError;
use quarterdeck_store::kpi::{IngestReport, NewMeasurement};
use serde::Deserialize;
use std::collections::HashMap;

/// Most points one request may carry.
pub const MAX_POINTS: usize = 100_000;

/// One point of a batch. `kpi` (id or key) may be left out when the URL names the KPI.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PointIn {
    pub kpi: Option<String>,
    /// RFC 3339 time, or a date (midnight UTC).
    pub at: String,
    pub value: f64,
    pub segment: Option<String>,
}

/// A batch: `{"points": [...]}`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Batch {
    pub points: Vec<PointIn>,
}

/// How a batch arrived, for naming a bad row the way its sender counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchFormat {
    /// `points[i].field`, 0-based.
    Json,
    /// Data rows counted from 1 after the header row.
    Csv,
}

/// A row-level problem: the 1-based data row (0 for the CSV header) and the field at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub row: usize,
    pub field: &'static str,
    pub message: String,
}

impl RowError {
    pub fn into_app(self, format: BatchFormat) -> AppError {
        let field = match (format, self.row) {
            (_, 0) => "header".to_owned(),
            (BatchFormat::Json, row) => format!("points[{}].{}", row - 1, self.field),
            (BatchFormat::Csv, row) => format!("row {row}: {}", self.field),
        };
        AppError::new(Code::InvalidRow, self.to_string()).with_field(field)
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 {
            write!(f, "header: {}", self.message)
        } else {
            write!(f, "row {}: {}", self.row, self.message)
        }
    }
}

/// Reads `at` as RFC 3339, "YYYY-MM-DD HH:MM:SS" (UTC) or "YYYY-MM-DD" (the first moment of
/// that day in the organisation's time zone, so the point counts for that day).
pub fn parse_time(raw: &str, zone: Zone) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok().map(|t| t.and_utc()))
        .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|d| zone.start_of(d)))
}

/// Reads a JSON body of the shape `{"points": [...]}`. Syntax errors (and anything after
/// the document) are `malformed_json`; a well-formed body of the wrong shape names the path.
pub fn parse_json(body: &[u8]) -> AppResult<Vec<PointIn>> {
    let batch: Batch = from_json(body)?;
    Ok(batch.points)
}

/// Deserialises one JSON document and nothing after it, naming the field at fault.
/// Fields that carry secrets: an answer about them never repeats what was sent.
fn is_secret_field(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    ["password", "current_password", "code", "header_value", "client_secret"].contains(&last)
}

/// A parser's message with every quoted value (`…`) left out.
fn unquoted(message: &str) -> String {
    message.split('`').enumerate().map(|(i, part)| if i % 2 == 1 { "a value" } else { part }).collect()
}

pub fn from_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> AppResult<T> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            AppError::new(Code::MalformedJson, format!("the body is not valid JSON: {inner}"))
        } else {
            let field = (path != ".").then_some(path);
            let mut message = inner.to_string();
            if field.as_deref().is_some_and(is_secret_field) {
                message = unquoted(&message);
            }
            let message = match &field {
                Some(f) => format!("{f}: {message}"),
                None => message,
            };
            let err = AppError::new(Code::InvalidField, message);
            match field {
                Some(f) => err.with_field(f),
                None => err,
            }
        }
    })?;
    de.end()
        .map_err(|e| AppError::new(Code::MalformedJson, format!("the body holds more than one JSON document: {e}")))?;
    Ok(value)
}

#[cfg(test)]
mod secret_fields {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct SignIn {
        email: String,
        password: String,
    }

    #[test]
    fn a_wrong_password_value_is_not_repeated() {
        let e = super::from_json::<SignIn>(br#"{"email": "a@b.c", "password": 31415926535}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("password"));
        assert!(!e.message.contains("31415926535") && e.message.contains("expected a string"), "{}", e.message);
        let e = super::from_json::<SignIn>(br#"{"email": 27182818, "password": "x"}"#).unwrap_err();
        assert!(e.message.contains("27182818"), "other fields keep saying what came: {}", e.message);
    }
}

/// Parses CSV with a header row: `at,value[,segment]`, plus `kpi` when the URL does not name
/// the KPI. Columns may come in any order; at most `max_points` data rows.
pub fn parse_csv<R: std::io::Read>(input: R, max_points: usize) -> Result<Vec<PointIn>, RowError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| RowError { row: 0, field: "header", message: format!("the CSV header cannot be read: {e}") })?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(at), Some(value)) = (col("at").or(col("timestamp")), col("value")) else {
        return Err(RowError {
            row: 0,
            field: "header",
            message: format!(
                "the CSV header must name the columns at and value (and optionally kpi, segment); it has: {}",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        });
    };
    let (kpi, segment) = (col("kpi"), col("segment"));
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 1;
        let record = record.map_err(|e| RowError { row, field: "row", message: format!("unreadable CSV: {e}") })?;
        if out.len() >= max_points {
            return Err(RowError {
                row,
                field: "row",
                message: format!("a batch holds at most {max_points} points; split the file"),
            });
        }
        let raw_value = record.get(value).unwrap_or_default();
        let v: f64 = raw_value.parse().map_err(|_| RowError {
            row,
            field: "value",
            message: format!("value '{}' is not a number", raw_value.escape_debug()),
        })?;
        out.push(PointIn {
            kpi: kpi.and_then(|c| record.get(c)).map(str::to_owned).filter(|s| !s.is_empty()),
            at: record.get(at).unwrap_or_default().to_owned(),
            value: v,
            segment: segment.and_then(|c| record.get(c)).map(str::to_owned).filter(|s| !s.is_empty()),
        });
    }
    Ok(out)
}

impl App {
    /// Checks each point, resolves KPI keys to ids (one lookup per distinct key) and stores
    /// the whole batch in one transaction: all of it, or — on any bad row — none of it.
    /// `default_kpi` is the KPI a URL (or `--kpi`) names; `max_points` bounds the batch.
    pub async fn ingest(
        &self,
        points: Vec<PointIn>,
        default_kpi: Option<&str>,
        format: BatchFormat,
        max_points: usize,
    ) -> AppResult<IngestReport> {
        let default_kpi = match default_kpi {
            Some(raw) => Some(self.resolve_kpi(raw).await?),
            None => None,
        };
        if let Some(k) = &default_kpi
            && k.aggregation.is_derived()
        {
            return Err(quarterdeck_domain::DomainError::DerivedKpi { kpi: k.key.clone() }.into());
        }
        let checked = self.check_points(points, default_kpi.map(|k| k.id), max_points).await.map_err(|e| match e {
            Checked::Row(r) => r.into_app(format),
            Checked::App(a) => a,
        })?;
        let kpis: std::collections::BTreeSet<KpiId> = checked.iter().map(|m| m.kpi_id).collect();
        for kpi in kpis {
            self.may(|target| Action::PushMeasurements { kpi, target }, self.kpi_target(kpi)).await?;
        }
        Ok(self.store().ingest(&self.ctx(), checked).await?)
    }

    async fn check_points(
        &self,
        points: Vec<PointIn>,
        default_kpi: Option<KpiId>,
        max_points: usize,
    ) -> Result<Vec<NewMeasurement>, Checked> {
        if points.len() > max_points {
            return Err(Checked::Row(RowError {
                row: max_points + 1,
                field: "points",
                message: format!("a batch holds at most {max_points} points; split it"),
            }));
        }
        let now = self.now();
        let zone = self.zone();
        let row_error = |row, field, message: String| Checked::Row(RowError { row, field, message });
        let mut ids: HashMap<String, KpiId> = HashMap::new();
        let mut out = Vec::with_capacity(points.len());
        for (i, p) in points.into_iter().enumerate() {
            let row = i + 1;
            let kpi_id = match (p.kpi.as_deref(), default_kpi) {
                (None, Some(k)) => k,
                (None, None) => return Err(row_error(row, "kpi", "kpi is missing: give the KPI's key or id".into())),
                (Some(raw), _) => match ids.get(raw) {
                    Some(id) => *id,
                    None => {
                        plain("kpi", raw).map_err(|e| row_error(row, "kpi", e.to_string()))?;
                        let found = match raw.parse::<KpiId>() {
                            Ok(id) => self.store().get_kpi(id).await,
                            Err(_) => self.store().find_kpi_by_key(raw).await,
                        };
                        let kpi = match found {
                            Ok(k) => k,
                            Err(StoreError::NotFound { .. }) => {
                                return Err(row_error(
                                    row,
                                    "kpi",
                                    format!("no KPI with key or id '{}'", raw.escape_debug()),
                                ));
                            }
                            Err(e) => return Err(Checked::App(e.into())),
                        };
                        if default_kpi.is_some_and(|d| d != kpi.id) {
                            return Err(row_error(row, "kpi", "this URL takes points of its own KPI only".into()));
                        }
                        if kpi.aggregation.is_derived() {
                            return Err(row_error(
                                row,
                                "kpi",
                                format!("KPI '{}' is computed by its formula; send points to its inputs", kpi.key),
                            ));
                        }
                        ids.insert(raw.to_owned(), kpi.id);
                        kpi.id
                    }
                },
            };
            let at = parse_time(&p.at, zone).ok_or_else(|| {
                row_error(
                    row,
                    "at",
                    format!(
                        "at '{}' is not a time (use RFC 3339 like 2026-11-24T09:00:00Z, or a date)",
                        p.at.escape_debug()
                    ),
                )
            })?;
            let segment = p.segment.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            check_measurement(at, p.value, segment.as_deref(), now)
                .map_err(|e| row_error(row, e.field().unwrap_or("value"), e.to_string()))?;
            out.push(NewMeasurement { kpi_id, at, value: p.value, segment });
        }
        Ok(out)
    }
}

enum Checked {
    Row(RowError),
    App(AppError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_any_column_order() {
        let rows =
            parse_csv(&b"value,at,segment\n4.5,2026-11-24,emea\n3,2026-11-24T10:00:00Z,\n"[..], MAX_POINTS).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].value, rows[0].segment.as_deref()), (4.5, Some("emea")));
        assert_eq!(rows[1].segment, None);
        let err = parse_csv(&b"at,value\n2026-11-24,abc\n"[..], MAX_POINTS).unwrap_err();
        assert_eq!((err.row, err.field), (1, "value"));
        let header = parse_csv(&b"when,value\n"[..], MAX_POINTS).unwrap_err();
        assert!(header.message.contains("at and value"));
        assert!(header.to_string().starts_with("header: "), "not 'row 0': {header}");
        assert_eq!(header.into_app(BatchFormat::Csv).field.as_deref(), Some("header"));
        assert!(parse_csv(&b"at,value\n2026-11-24,1,extra\n"[..], MAX_POINTS).is_err());
    }

    #[test]
    fn json_documents_end_where_they_end() {
        assert_eq!(parse_json(br#"{"points": []}"#).unwrap().len(), 0);
        assert_eq!(parse_json(br#"{"points": []} xyz"#).unwrap_err().code, Code::MalformedJson);
        assert_eq!(parse_json(br#"{"points": [1]}"#).unwrap_err().field.as_deref(), Some("points[0]"));
    }

    #[test]
    fn times() {
        let utc = Zone::default();
        let oslo = Zone::parse("Europe/Oslo").unwrap();
        assert_eq!(parse_time("2026-11-24T09:00:00+01:00", utc).unwrap().to_rfc3339(), "2026-11-24T08:00:00+00:00");
        assert_eq!(parse_time("2026-11-24 09:00:00", oslo).unwrap().to_rfc3339(), "2026-11-24T09:00:00+00:00");
        assert_eq!(parse_time("2026-11-24", utc).unwrap().to_rfc3339(), "2026-11-24T00:00:00+00:00");
        // A bare date is that day in the organisation's zone, so it counts for that day there.
        assert_eq!(parse_time("2026-11-24", oslo).unwrap().to_rfc3339(), "2026-11-23T23:00:00+00:00");
        assert!(parse_time("24/11/2026", utc).is_none());
    }
}
