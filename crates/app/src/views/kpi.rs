//! The KPI engine's records as front ends show them.

use chrono::{DateTime, NaiveDate, Utc};
use quarterdeck_domain::ids::*;
use quarterdeck_domain::kpi::definition::*;
use quarterdeck_domain::kpi::health::HealthStatus;
use quarterdeck_domain::kpi::tree::{EdgeSign, Influence};
use quarterdeck_store::kpi::{DataSource, GuardrailLink, Kpi, KpiEdge, Kra, Measurement, TargetChange};
use serde::Serialize;

/// A KPI as front ends show it: its definition and its current value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KpiView {
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

impl From<Kpi> for KpiView {
    fn from(r: Kpi) -> Self {
        KpiView {
            id: r.id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            key: r.key,
            name: r.name,
            description: r.description,
            owner_id: r.owner_id,
            unit_id: r.unit_id,
            unit_of_measure: r.unit_of_measure,
            formula: r.formula,
            query: r.query,
            cadence: r.cadence,
            aggregation: r.aggregation,
            direction: r.direction,
            target: r.target,
            target_set_on: r.target_set_on,
            baseline: r.baseline,
            caveats: r.caveats,
            class: r.class,
            timing: r.timing,
            flow: r.flow,
            nature: r.nature,
            north_star: r.north_star,
            guardrail: r.guardrail,
            guardrail_threshold: r.guardrail_threshold,
            counterweight_id: r.counterweight_id,
            valid_min: r.valid_min,
            valid_max: r.valid_max,
            warning_from_pct: r.warning_from_pct,
            window_periods: r.window_periods,
            first_point_at: r.first_point_at,
            last_point_at: r.last_point_at,
            current_period: r.current_period,
            current_value: r.current_value,
            current_status: r.current_status,
            current_attainment_pct: r.current_attainment_pct,
            guardrail_breached: r.guardrail_breached,
        }
    }
}

/// One change of a KPI's target.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetChangeView {
    pub target: Option<Target>,
    pub set_on: Option<NaiveDate>,
    pub recorded_at: DateTime<Utc>,
}

impl From<TargetChange> for TargetChangeView {
    fn from(r: TargetChange) -> Self {
        TargetChangeView { target: r.target, set_on: r.set_on, recorded_at: r.recorded_at }
    }
}

/// One stored point of a KPI.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeasurementView {
    pub kpi_id: KpiId,
    pub at: DateTime<Utc>,
    pub value: f64,
    /// `None` for the unsegmented series.
    pub segment: Option<String>,
}

impl From<Measurement> for MeasurementView {
    fn from(r: Measurement) -> Self {
        MeasurementView { kpi_id: r.kpi_id, at: r.at, value: r.value, segment: r.segment }
    }
}

/// An edge of a driver tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KpiEdgeView {
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

impl From<KpiEdge> for KpiEdgeView {
    fn from(r: KpiEdge) -> Self {
        KpiEdgeView {
            id: r.id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            parent_id: r.parent_id,
            child_id: r.child_id,
            influence: r.influence,
            confidence: r.confidence,
            sign: r.sign,
        }
    }
}

/// A key result area and its KPIs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KraView {
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

impl From<Kra> for KraView {
    fn from(r: Kra) -> Self {
        KraView {
            id: r.id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            name: r.name,
            role: r.role,
            description: r.description,
            kpi_ids: r.kpi_ids,
        }
    }
}

/// A guardrail KPI watching an objective.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GuardrailLinkView {
    pub id: GuardrailLinkId,
    pub created_at: DateTime<Utc>,
    pub kpi_id: KpiId,
    pub objective_id: ObjectiveId,
}

impl From<GuardrailLink> for GuardrailLinkView {
    fn from(r: GuardrailLink) -> Self {
        GuardrailLinkView { id: r.id, created_at: r.created_at, kpi_id: r.kpi_id, objective_id: r.objective_id }
    }
}

/// A data source as front ends show it: connection strings and header values stay secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataSourceView {
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

impl From<DataSource> for DataSourceView {
    fn from(r: DataSource) -> Self {
        DataSourceView {
            id: r.id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            kpi_id: r.kpi_id,
            kind: r.kind,
            target: r.target,
            query: r.query,
            value_path: r.value_path,
            header_name: r.header_name,
            timestamp_field: r.timestamp_field,
            value_field: r.value_field,
            segment_field: r.segment_field,
            interval_seconds: r.interval_seconds,
            timeout_seconds: r.timeout_seconds,
            enabled: r.enabled,
            next_run_at: r.next_run_at,
            last_run_at: r.last_run_at,
            last_success_at: r.last_success_at,
            last_error: r.last_error,
            last_error_at: r.last_error_at,
            last_points: r.last_points,
        }
    }
}
