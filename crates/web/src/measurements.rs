//! Measurement batches as clients send them (JSON or CSV), parsed row by row into checked
//! points. One bad row rejects the batch, with its row number and reason.

use crate::error::ApiError;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use quarterdeck_domain::ids::KpiId;
use quarterdeck_domain::kpi::definition::check_measurement;
use quarterdeck_store::Store;
use quarterdeck_store::StoreError;
use quarterdeck_store::kpi::NewMeasurement;
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// Most points one request may carry.
pub const MAX_POINTS: usize = 100_000;

/// One point of a batch. `kpi` (id or key) may be left out when the URL names the KPI.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointIn {
    pub kpi: Option<String>,
    /// RFC 3339 time, or a date (midnight UTC).
    pub at: String,
    pub value: f64,
    pub segment: Option<String>,
}

/// A batch: `{"points": [...]}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    pub points: Vec<PointIn>,
}

/// A row-level problem: 1-based row and the field at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub row: usize,
    pub field: &'static str,
    pub message: String,
}

impl RowError {
    pub fn into_api(self, json: bool) -> ApiError {
        let field = if json {
            format!("points[{}].{}", self.row - 1, self.field)
        } else {
            format!("row {}: {}", self.row, self.field)
        };
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_row", format!("row {}: {}", self.row, self.message))
            .with_field(field)
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}: {}", self.row, self.message)
    }
}

/// Reads `at` as RFC 3339, "YYYY-MM-DD HH:MM:SS" (UTC) or "YYYY-MM-DD" (midnight UTC).
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok().map(|t| t.and_utc()))
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        })
}

/// Parses a CSV body with a header row: `at,value[,segment]`, plus `kpi` when the URL does
/// not name the KPI. Columns may come in any order.
pub fn parse_csv(body: &[u8]) -> Result<Vec<PointIn>, RowError> {
    parse_csv_from(body, MAX_POINTS)
}

/// Like [`parse_csv`] from any reader (a file being imported), with its own row limit.
pub fn parse_csv_from<R: std::io::Read>(input: R, max_points: usize) -> Result<Vec<PointIn>, RowError> {
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
            message: format!("value '{raw_value}' is not a number"),
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

/// Checks each point and resolves KPI keys to ids (one lookup per distinct key).
pub async fn resolve(
    store: &dyn Store,
    points: Vec<PointIn>,
    default_kpi: Option<KpiId>,
    now: DateTime<Utc>,
    max_points: usize,
) -> Result<Vec<NewMeasurement>, ResolveError> {
    if points.len() > max_points {
        return Err(ResolveError::Row(RowError {
            row: max_points + 1,
            field: "points",
            message: format!("a batch holds at most {max_points} points"),
        }));
    }
    let mut ids: HashMap<String, KpiId> = HashMap::new();
    let mut out = Vec::with_capacity(points.len());
    for (i, p) in points.into_iter().enumerate() {
        let row = i + 1;
        let kpi_id = match (p.kpi.as_deref(), default_kpi) {
            (None, Some(k)) => k,
            (None, None) => {
                return Err(ResolveError::Row(RowError {
                    row,
                    field: "kpi",
                    message: "kpi is missing: give the KPI's key or id".into(),
                }));
            }
            (Some(raw), _) => match ids.get(raw) {
                Some(id) => *id,
                None => {
                    let found = match raw.parse::<KpiId>() {
                        Ok(id) => store.get_kpi(id).await.map(|k| k.id),
                        Err(_) => store.find_kpi_by_key(raw).await.map(|k| k.id),
                    };
                    let id = match found {
                        Ok(id) => id,
                        Err(StoreError::NotFound { .. }) => {
                            return Err(ResolveError::Row(RowError {
                                row,
                                field: "kpi",
                                message: format!("no KPI with key or id '{raw}'"),
                            }));
                        }
                        Err(e) => return Err(ResolveError::Store(e)),
                    };
                    if default_kpi.is_some_and(|d| d != id) {
                        return Err(ResolveError::Row(RowError {
                            row,
                            field: "kpi",
                            message: "this URL takes points of its own KPI only".into(),
                        }));
                    }
                    ids.insert(raw.to_owned(), id);
                    id
                }
            },
        };
        let at = parse_time(&p.at).ok_or_else(|| {
            ResolveError::Row(RowError {
                row,
                field: "at",
                message: format!("at '{}' is not a time (use RFC 3339 like 2026-11-24T09:00:00Z, or a date)", p.at),
            })
        })?;
        let segment = p.segment.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        check_measurement(at, p.value, segment.as_deref(), now).map_err(|e| {
            ResolveError::Row(RowError { row, field: e.field().unwrap_or("value"), message: e.to_string() })
        })?;
        out.push(NewMeasurement { kpi_id, at, value: p.value, segment });
    }
    Ok(out)
}

#[derive(Debug)]
pub enum ResolveError {
    Row(RowError),
    Store(StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_any_column_order() {
        let rows = parse_csv(b"value,at,segment\n4.5,2026-11-24,emea\n3,2026-11-24T10:00:00Z,\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].value, rows[0].segment.as_deref()), (4.5, Some("emea")));
        assert_eq!(rows[1].segment, None);
        let err = parse_csv(b"at,value\n2026-11-24,abc\n").unwrap_err();
        assert_eq!((err.row, err.field), (1, "value"));
        assert!(parse_csv(b"when,value\n").unwrap_err().message.contains("at and value"));
        assert!(parse_csv(b"at,value\n2026-11-24,1,extra\n").is_err());
    }

    #[test]
    fn times() {
        assert!(parse_time("2026-11-24T09:00:00+01:00").is_some());
        assert!(parse_time("2026-11-24 09:00:00").is_some());
        assert!(parse_time("2026-11-24").is_some());
        assert!(parse_time("24/11/2026").is_none());
    }
}
