//! Records and inputs of the KPI half of the storage port: the metric dictionary,
//! measurements and period values, driver trees, KRAs, guardrails and data sources. Separate
//! from the OKR half; they meet through key results linked to KPIs and guardrails linked to
//! objectives.

use chrono::{DateTime, NaiveDate, Utc};
use quarterdeck_domain::ids::*;
use quarterdeck_domain::kpi::definition::*;
use quarterdeck_domain::kpi::health::HealthStatus;
use quarterdeck_domain::kpi::period::Granularity;
pub use quarterdeck_domain::kpi::source::DataSourceSpec;
use quarterdeck_domain::kpi::tree::{EdgeSign, Influence};
use quarterdeck_domain::text::{LongText, Name, UnitOfMeasure};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Kpi {
    pub id: KpiId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The name formulas use (`win_rate`).
    pub key: String,
    pub name: String,
    pub description: String,
    /// A person with authority over the number.
    pub owner_id: Option<PersonId>,
    pub unit_id: Option<UnitId>,
    pub unit_of_measure: String,
    /// For derived KPIs: the formula over other KPIs' keys.
    pub formula: Option<String>,
    /// How the number is computed, for people (the query, the definition).
    pub query: String,
    pub cadence: Cadence,
    pub aggregation: Aggregation,
    pub direction: KpiDirection,
    pub target: Option<Target>,
    pub target_set_on: Option<NaiveDate>,
    pub baseline: Option<f64>,
    pub caveats: String,
    pub class: KpiClass,
    pub timing: Timing,
    pub flow: Flow,
    pub nature: Nature,
    pub north_star: bool,
    pub guardrail: bool,
    /// Guardrail threshold: breached below it (higher is better) or above it (lower is better).
    pub guardrail_threshold: Option<f64>,
    pub counterweight_id: Option<KpiId>,
    /// Declared bounds of valid values (the trust badge's "valid").
    pub valid_min: Option<f64>,
    pub valid_max: Option<f64>,
    /// Below 100 % attainment but at least this much is a warning, not a breach.
    pub warning_from_pct: f64,
    /// Trailing window (in periods of the cadence) for mean ± sd and stretch targets.
    pub window_periods: i64,
    // Kept up to date as measurements arrive:
    pub first_point_at: Option<DateTime<Utc>>,
    pub last_point_at: Option<DateTime<Utc>>,
    /// First day of the latest period (at the cadence) that has a value.
    pub current_period: Option<NaiveDate>,
    pub current_value: Option<f64>,
    pub current_status: Option<HealthStatus>,
    pub current_attainment_pct: Option<f64>,
    pub guardrail_breached: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TargetChange {
    pub target: Option<Target>,
    pub set_on: Option<NaiveDate>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Measurement {
    pub kpi_id: KpiId,
    pub at: DateTime<Utc>,
    pub value: f64,
    /// `None` for the unsegmented series.
    pub segment: Option<String>,
}

/// A KPI's value over one period (one segment, or all segments when `segment` is `None`).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PeriodValue {
    pub granularity: Granularity,
    pub start: NaiveDate,
    pub segment: Option<String>,
    pub count: i64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    pub last: f64,
    /// The value by the KPI's aggregation rule.
    pub value: Option<f64>,
}

/// What a scorecard, a trust badge or the coach reads of one recent overall period: its
/// start, how many points it holds, their range and the value. Fewer columns than a
/// [`PeriodValue`], because a page of KPIs reads a thousand of these.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RecentPeriod {
    pub start: NaiveDate,
    pub count: i64,
    pub min: f64,
    pub max: f64,
    pub value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct KpiEdge {
    pub id: KpiEdgeId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub parent_id: KpiId,
    pub child_id: KpiId,
    pub influence: Influence,
    pub confidence: Influence,
    pub sign: EdgeSign,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Kra {
    pub id: KraId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub name: String,
    /// The role whose key result area this is ("Recruiter").
    pub role: String,
    pub description: String,
    pub kpi_ids: Vec<KpiId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct GuardrailLink {
    pub id: GuardrailLinkId,
    pub created_at: DateTime<Utc>,
    pub kpi_id: KpiId,
    pub objective_id: ObjectiveId,
}

/// A data source as the API shows it: connection strings and header values stay secret.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DataSource {
    pub id: DataSourceId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub kpi_id: KpiId,
    /// `sql` or `http`.
    pub kind: String,
    /// The connection string or URL with any password masked.
    pub target: String,
    pub query: Option<String>,
    pub value_path: Option<String>,
    pub header_name: Option<String>,
    pub timestamp_field: Option<String>,
    pub value_field: Option<String>,
    pub segment_field: Option<String>,
    pub interval_seconds: i64,
    pub timeout_seconds: i64,
    pub enabled: bool,
    pub next_run_at: DateTime<Utc>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub last_points: Option<i64>,
}

/// What a job needs to run a source, secrets included. Never serialised.
#[derive(Clone)]
pub struct DataSourceSecret {
    pub source: DataSource,
    pub url: String,
    pub header_value: Option<String>,
}

impl std::fmt::Debug for DataSourceSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataSourceSecret").field("source", &self.source).finish_non_exhaustive()
    }
}

// ---- inputs --------------------------------------------------------------------------------

/// A KPI to add to the dictionary, parsed into domain values (the application checks the
/// definition's rules; the store checks what needs other rows).
#[derive(Debug, Clone)]
pub struct NewKpi {
    pub key: KpiKey,
    pub name: Name,
    pub description: LongText,
    pub owner_id: Option<PersonId>,
    pub unit_id: Option<UnitId>,
    pub unit_of_measure: UnitOfMeasure,
    pub formula: Option<quarterdeck_domain::kpi::formula::Formula>,
    /// How the number is computed, for people.
    pub query: LongText,
    pub cadence: Cadence,
    pub aggregation: Aggregation,
    pub direction: KpiDirection,
    pub target: Option<Target>,
    pub target_set_on: Option<NaiveDate>,
    pub baseline: Option<f64>,
    pub caveats: LongText,
    pub class: KpiClass,
    pub timing: Timing,
    pub flow: Flow,
    pub nature: Nature,
    pub north_star: bool,
    pub guardrail: bool,
    pub guardrail_threshold: Option<f64>,
    pub counterweight_id: Option<KpiId>,
    pub valid_min: Option<f64>,
    pub valid_max: Option<f64>,
    pub warning_from_pct: f64,
    pub window_periods: i64,
}

impl NewKpi {
    /// A KPI with the everyday defaults: daily cadence, a lagging output KPI of no particular
    /// nature, no target, no flags; callers set what differs.
    pub fn basic(key: KpiKey, name: Name, aggregation: Aggregation, direction: KpiDirection) -> NewKpi {
        let empty = || LongText::parse("text", "").expect("empty text is allowed");
        NewKpi {
            key,
            name,
            description: empty(),
            owner_id: None,
            unit_id: None,
            unit_of_measure: UnitOfMeasure::parse("unit_of_measure", "").expect("empty is allowed"),
            formula: None,
            query: empty(),
            cadence: Cadence::Daily,
            aggregation,
            direction,
            target: None,
            target_set_on: None,
            baseline: None,
            caveats: empty(),
            class: KpiClass::Kpi,
            timing: Timing::Lagging,
            flow: Flow::Output,
            nature: Nature::Other,
            north_star: false,
            guardrail: false,
            guardrail_threshold: None,
            counterweight_id: None,
            valid_min: None,
            valid_max: None,
            warning_from_pct: quarterdeck_domain::kpi::health::DEFAULT_WARNING_FROM_PCT,
            window_periods: 12,
        }
    }
}

/// Fields left `None` keep their value; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct KpiPatch {
    pub name: Option<Name>,
    pub description: Option<LongText>,
    pub owner_id: Option<Option<PersonId>>,
    pub unit_id: Option<Option<UnitId>>,
    pub unit_of_measure: Option<UnitOfMeasure>,
    pub query: Option<LongText>,
    pub cadence: Option<Cadence>,
    /// A new target (dated); the old one stays in the history.
    pub target: Option<(Option<Target>, Option<NaiveDate>)>,
    pub baseline: Option<Option<f64>>,
    pub caveats: Option<LongText>,
    pub class: Option<KpiClass>,
    pub timing: Option<Timing>,
    pub flow: Option<Flow>,
    pub nature: Option<Nature>,
    pub north_star: Option<bool>,
    pub guardrail: Option<bool>,
    pub guardrail_threshold: Option<Option<f64>>,
    pub counterweight_id: Option<Option<KpiId>>,
    pub valid_min: Option<Option<f64>>,
    pub valid_max: Option<Option<f64>>,
    pub warning_from_pct: Option<f64>,
    pub window_periods: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct KpiFilter {
    pub unit_id: Option<UnitId>,
    pub owner_id: Option<PersonId>,
    pub kra_id: Option<KraId>,
    pub guardrail: Option<bool>,
    pub north_star: Option<bool>,
    /// Speed or volume KPIs without a counterweight (the counterweight warning).
    pub missing_counterweight: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewMeasurement {
    pub kpi_id: KpiId,
    pub at: DateTime<Utc>,
    pub value: f64,
    pub segment: Option<String>,
}

/// What one ingest did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IngestReport {
    /// Points new to the store.
    pub inserted: usize,
    /// Points that replaced a stored point (same KPI, time and segment) with another value.
    pub replaced: usize,
    /// Points already stored with the same value (a re-sent batch).
    pub unchanged: usize,
    /// KPIs whose values changed, derived KPIs included.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub kpis_updated: Vec<KpiId>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub objectives_paused: Vec<ObjectiveId>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub objectives_resumed: Vec<ObjectiveId>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub key_results_updated: Vec<KeyResultId>,
}

#[derive(Debug, Clone)]
pub struct NewKpiEdge {
    pub parent_id: KpiId,
    pub child_id: KpiId,
    pub influence: Influence,
    pub confidence: Influence,
    pub sign: EdgeSign,
}

#[derive(Debug, Clone)]
pub struct NewKra {
    pub name: String,
    pub role: String,
    pub description: String,
    pub kpi_ids: Vec<KpiId>,
}

#[derive(Debug, Clone)]
pub struct NewDataSource {
    pub kpi_id: KpiId,
    pub spec: DataSourceSpec,
    pub interval_seconds: i64,
    pub timeout_seconds: i64,
    pub enabled: bool,
}

/// The outcome of one run of a source, recorded on it.
#[derive(Debug, Clone)]
pub enum SourceRun {
    Succeeded { points: usize },
    Failed { error: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodRange {
    pub granularity: Granularity,
    pub segment_all: bool,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A KPI to define or to change, as part of a larger write.
#[derive(Debug, Clone)]
pub enum KpiChange {
    Create(NewKpi),
    Update { id: KpiId, version: i64, patch: KpiPatch },
}
