//! KPI rows as both databases return them, and their conversion into records.

use crate::rows::{date, opt_word, time, word};
use quarterdeck_domain::kpi::definition::{KpiDirection, Target};
use quarterdeck_store::StoreError;
use quarterdeck_store::kpi::*;

pub const KPI_COLUMNS: &str = "id, version, created_at, updated_at, key, name, description, owner_id, unit_id, \
    unit_of_measure, formula, query, cadence, aggregation, direction, target_value, range_low, range_high, target_set_on, \
    baseline, caveats, class, timing, flow, nature, north_star, guardrail, guardrail_threshold, counterweight_id, \
    valid_min, valid_max, warning_from_pct, window_periods, first_point_at, last_point_at, current_period, current_value, \
    current_status, current_attainment_pct, guardrail_breached";

pub const PERIOD_COLUMNS: &str =
    "granularity, segment, period_start, count, sum, min_value, max_value, last_at, last_value, value";

pub const EDGE_COLUMNS: &str = "id, version, created_at, updated_at, parent_id, child_id, influence, confidence, sign";

pub const SOURCE_COLUMNS: &str = "id, version, created_at, updated_at, kpi_id, kind, url, query, header_name, header_value, \
    value_path, timestamp_field, value_field, segment_field, interval_seconds, timeout_seconds, enabled, next_run_at, \
    last_run_at, last_success_at, last_error, last_error_at, last_points";

fn opt_time(field: &str, v: Option<i64>) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
    v.map(|m| time(field, m)).transpose()
}

#[derive(sqlx::FromRow)]
pub struct KpiRow {
    pub id: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub key: String,
    pub name: String,
    pub description: String,
    pub owner_id: Option<String>,
    pub unit_id: Option<String>,
    pub unit_of_measure: String,
    pub formula: Option<String>,
    pub query: String,
    pub cadence: String,
    pub aggregation: String,
    pub direction: String,
    pub target_value: Option<f64>,
    pub range_low: Option<f64>,
    pub range_high: Option<f64>,
    pub target_set_on: Option<String>,
    pub baseline: Option<f64>,
    pub caveats: String,
    pub class: String,
    pub timing: String,
    pub flow: String,
    pub nature: String,
    pub north_star: bool,
    pub guardrail: bool,
    pub guardrail_threshold: Option<f64>,
    pub counterweight_id: Option<String>,
    pub valid_min: Option<f64>,
    pub valid_max: Option<f64>,
    pub warning_from_pct: f64,
    pub window_periods: i64,
    pub first_point_at: Option<i64>,
    pub last_point_at: Option<i64>,
    pub current_period: Option<String>,
    pub current_value: Option<f64>,
    pub current_status: Option<String>,
    pub current_attainment_pct: Option<f64>,
    pub guardrail_breached: bool,
}

pub fn target_of(value: Option<f64>, low: Option<f64>, high: Option<f64>) -> Option<Target> {
    match (value, low, high) {
        (_, Some(low), Some(high)) => Some(Target::Range { low, high }),
        (Some(value), _, _) => Some(Target::Value { value }),
        _ => None,
    }
}

/// (target_value, range_low, range_high) columns of a target.
pub fn target_columns(t: Option<Target>) -> (Option<f64>, Option<f64>, Option<f64>) {
    match t {
        Some(Target::Value { value }) => (Some(value), None, None),
        Some(Target::Range { low, high }) => (None, Some(low), Some(high)),
        None => (None, None, None),
    }
}

impl TryFrom<KpiRow> for Kpi {
    type Error = StoreError;
    fn try_from(r: KpiRow) -> Result<Self, StoreError> {
        let direction: KpiDirection = word("direction", &r.direction)?;
        Ok(Kpi {
            id: word("kpi id", &r.id)?,
            version: r.version,
            created_at: time("created_at", r.created_at)?,
            updated_at: time("updated_at", r.updated_at)?,
            key: r.key,
            name: r.name,
            description: r.description,
            owner_id: opt_word("owner_id", r.owner_id.as_deref())?,
            unit_id: opt_word("unit_id", r.unit_id.as_deref())?,
            unit_of_measure: r.unit_of_measure,
            formula: r.formula,
            query: r.query,
            cadence: word("cadence", &r.cadence)?,
            aggregation: word("aggregation", &r.aggregation)?,
            direction,
            target: target_of(r.target_value, r.range_low, r.range_high),
            target_set_on: r.target_set_on.as_deref().map(|d| date("target_set_on", d)).transpose()?,
            baseline: r.baseline,
            caveats: r.caveats,
            class: word("class", &r.class)?,
            timing: word("timing", &r.timing)?,
            flow: word("flow", &r.flow)?,
            nature: word("nature", &r.nature)?,
            north_star: r.north_star,
            guardrail: r.guardrail,
            guardrail_threshold: r.guardrail_threshold,
            counterweight_id: opt_word("counterweight_id", r.counterweight_id.as_deref())?,
            valid_min: r.valid_min,
            valid_max: r.valid_max,
            warning_from_pct: r.warning_from_pct,
            window_periods: r.window_periods,
            first_point_at: opt_time("first_point_at", r.first_point_at)?,
            last_point_at: opt_time("last_point_at", r.last_point_at)?,
            current_period: r.current_period.as_deref().map(|d| date("current_period", d)).transpose()?,
            current_value: r.current_value,
            current_status: opt_word("current_status", r.current_status.as_deref())?,
            current_attainment_pct: r.current_attainment_pct,
            guardrail_breached: r.guardrail_breached,
        })
    }
}

#[derive(sqlx::FromRow, Clone)]
pub struct PeriodRow {
    pub granularity: String,
    pub segment: String,
    pub period_start: String,
    pub count: i64,
    pub sum: f64,
    pub min_value: f64,
    pub max_value: f64,
    pub last_at: i64,
    pub last_value: f64,
    pub value: Option<f64>,
}

impl TryFrom<PeriodRow> for PeriodValue {
    type Error = StoreError;
    fn try_from(r: PeriodRow) -> Result<Self, StoreError> {
        Ok(PeriodValue {
            granularity: word("granularity", &r.granularity)?,
            start: date("period_start", &r.period_start)?,
            segment: (!r.segment.is_empty()).then_some(r.segment),
            count: r.count,
            sum: r.sum,
            min: r.min_value,
            max: r.max_value,
            last: r.last_value,
            value: r.value,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct EdgeRow {
    pub id: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub parent_id: String,
    pub child_id: String,
    pub influence: String,
    pub confidence: String,
    pub sign: String,
}

impl TryFrom<EdgeRow> for KpiEdge {
    type Error = StoreError;
    fn try_from(r: EdgeRow) -> Result<Self, StoreError> {
        Ok(KpiEdge {
            id: word("edge id", &r.id)?,
            version: r.version,
            created_at: time("created_at", r.created_at)?,
            updated_at: time("updated_at", r.updated_at)?,
            parent_id: word("parent_id", &r.parent_id)?,
            child_id: word("child_id", &r.child_id)?,
            influence: word("influence", &r.influence)?,
            confidence: word("confidence", &r.confidence)?,
            sign: word("sign", &r.sign)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct SourceRow {
    pub id: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub kpi_id: String,
    pub kind: String,
    pub url: String,
    pub query: Option<String>,
    pub header_name: Option<String>,
    pub header_value: Option<String>,
    pub value_path: Option<String>,
    pub timestamp_field: Option<String>,
    pub value_field: Option<String>,
    pub segment_field: Option<String>,
    pub interval_seconds: i64,
    pub timeout_seconds: i64,
    pub enabled: bool,
    pub next_run_at: i64,
    pub last_run_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub last_points: Option<i64>,
}

impl TryFrom<SourceRow> for DataSourceSecret {
    type Error = StoreError;
    fn try_from(r: SourceRow) -> Result<Self, StoreError> {
        let source = DataSource {
            id: word("data source id", &r.id)?,
            version: r.version,
            created_at: time("created_at", r.created_at)?,
            updated_at: time("updated_at", r.updated_at)?,
            kpi_id: word("kpi_id", &r.kpi_id)?,
            kind: r.kind,
            target: quarterdeck_redact::mask_url(&r.url),
            query: r.query,
            value_path: r.value_path,
            header_name: r.header_name,
            timestamp_field: r.timestamp_field,
            value_field: r.value_field,
            segment_field: r.segment_field,
            interval_seconds: r.interval_seconds,
            timeout_seconds: r.timeout_seconds,
            enabled: r.enabled,
            next_run_at: time("next_run_at", r.next_run_at)?,
            last_run_at: opt_time("last_run_at", r.last_run_at)?,
            last_success_at: opt_time("last_success_at", r.last_success_at)?,
            last_error: r.last_error,
            last_error_at: opt_time("last_error_at", r.last_error_at)?,
            last_points: r.last_points,
        };
        Ok(DataSourceSecret { source, url: r.url, header_value: r.header_value })
    }
}
