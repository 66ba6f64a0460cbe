//! What front ends show, never the storage records themselves: the records' fields plus what the method derives for today (colour, success,
//! expected progress, pace; a KPI's trust badge and period health). Computed from stored
//! numbers; nothing is rescanned.

use chrono::{DateTime, NaiveDate, Utc};
use quarterdeck_domain::kpi::health::{Health, HealthStatus, health};
use quarterdeck_domain::kpi::period::Period;
use quarterdeck_domain::kpi::stats::StretchTargets;
use quarterdeck_domain::kpi::trust::TrustBadge;
use quarterdeck_domain::pace::{PaceStatus, expected_progress, pace};
use quarterdeck_domain::scoring::{Colour, Score, ScoringPolicy};
use quarterdeck_store::kpi::{IngestReport, Kpi, PeriodValue};
use quarterdeck_store::records::{KeyResult, Objective};
use serde::Serialize;

mod journal;
mod kpi;
mod okr;
mod org;

pub use journal::*;
pub use kpi::*;
pub use okr::*;
pub use org::*;
use quarterdeck_domain::ids::*;
use quarterdeck_domain::okr::{Confidence, KeyResultStatus, ObjectiveStatus};
use quarterdeck_domain::scoring::{Direction, KeyResultKind, ObjectiveKind};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectiveView {
    pub id: ObjectiveId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub cycle_id: CycleId,
    /// Natural key, unique within the cycle ("make-onboarding-a-delight").
    pub key: String,
    pub title: String,
    pub description: String,
    pub owner_id: PersonId,
    /// The owning unit; `None` for a personal objective.
    pub unit_id: Option<UnitId>,
    pub kind: ObjectiveKind,
    pub status: ObjectiveStatus,
    /// Why it was paused or retired.
    pub status_reason: Option<String>,
    /// Weighted mean of the active key results' scores.
    pub score: f64,
    /// Weighted mean of the scores of the objectives that contribute to this one;
    /// `None` when nothing contributes.
    pub rollup: Option<f64>,
    pub key_result_count: i64,
    /// green ≥ 0.7, amber 0.4–0.7, red < 0.4.
    pub colour: Colour,
    /// 0.7 for aspirational objectives, 1.0 for committed ones.
    pub success_threshold: f64,
    /// Whether the score has reached the success threshold.
    pub success: bool,
    /// Share of the cycle elapsed by the end of today: where a linear plan would be.
    pub expected_progress: f64,
    pub pace: PaceStatus,
    /// The objective's key results (on a single objective, or a list with `include=key_results`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_results: Option<Vec<KeyResultView>>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyResultView {
    pub id: KeyResultId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub objective_id: ObjectiveId,
    /// Natural key, unique within the cycle.
    pub key: String,
    pub title: String,
    pub kind: KeyResultKind,
    pub unit_of_measure: String,
    pub baseline: f64,
    pub target: f64,
    pub tolerance: Option<f64>,
    pub direction: Direction,
    pub weight: f64,
    pub owner_id: Option<PersonId>,
    pub status: KeyResultStatus,
    pub status_reason: Option<String>,
    /// The KPI this key result is measured from ("same query, same owner").
    pub kpi_id: Option<KpiId>,
    /// The value of the latest check-in; `None` before the first.
    pub current_value: Option<f64>,
    pub confidence: Option<Confidence>,
    pub last_check_in_at: Option<DateTime<Utc>>,
    /// What became of it at the cycle's end: carry_forward, retire or retire_into_kpi.
    pub decision: Option<quarterdeck_domain::okr::QuarterEndDecision>,
    /// The copy it became in the next cycle, when carried forward.
    pub carried_to: Option<KeyResultId>,
    pub score: f64,
    pub colour: Colour,
    pub expected_progress: f64,
    pub pace: PaceStatus,
}

impl ObjectiveView {
    pub fn new(
        objective: Objective,
        key_results: Option<Vec<KeyResult>>,
        policy: &ScoringPolicy,
        today: NaiveDate,
    ) -> Self {
        let score = Score::clamped(objective.score);
        let expected = expected_progress(&objective.cycle.dates(), today);
        ObjectiveView {
            colour: policy.colour(score),
            success_threshold: policy.success_threshold(objective.kind),
            success: policy.is_success(objective.kind, score),
            expected_progress: expected,
            pace: pace(score, expected, policy),
            key_results: key_results.map(|krs| krs.into_iter().map(|k| KeyResultView::new(k, policy, today)).collect()),
            id: objective.id,
            version: objective.version,
            created_at: objective.created_at,
            updated_at: objective.updated_at,
            cycle_id: objective.cycle_id,
            key: objective.key,
            title: objective.title,
            description: objective.description,
            owner_id: objective.owner_id,
            unit_id: objective.unit_id,
            kind: objective.kind,
            status: objective.status,
            status_reason: objective.status_reason,
            score: objective.score,
            rollup: objective.rollup,
            key_result_count: objective.key_result_count,
        }
    }
}

impl KeyResultView {
    pub fn new(key_result: KeyResult, policy: &ScoringPolicy, today: NaiveDate) -> Self {
        let score = Score::clamped(key_result.score);
        let expected = expected_progress(&key_result.cycle.dates(), today);
        KeyResultView {
            colour: policy.colour(score),
            expected_progress: expected,
            pace: pace(score, expected, policy),
            id: key_result.id,
            version: key_result.version,
            created_at: key_result.created_at,
            updated_at: key_result.updated_at,
            objective_id: key_result.objective_id,
            key: key_result.key,
            title: key_result.title,
            kind: key_result.kind,
            unit_of_measure: key_result.unit_of_measure,
            baseline: key_result.baseline,
            target: key_result.target,
            tolerance: key_result.tolerance,
            direction: key_result.direction,
            weight: key_result.weight,
            owner_id: key_result.owner_id,
            status: key_result.status,
            status_reason: key_result.status_reason,
            kpi_id: key_result.kpi_id,
            current_value: key_result.current_value,
            confidence: key_result.confidence,
            last_check_in_at: key_result.last_check_in_at,
            decision: key_result.decision,
            carried_to: key_result.carried_to,
            score: key_result.score,
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckInRecorded {
    pub check_in: CheckInView,
    /// The key result after the check-in (current value, score, pace).
    pub key_result: KeyResultView,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrustView {
    /// Updated within its cadence.
    pub fresh: bool,
    /// No missing periods among the recent ones.
    pub complete: bool,
    /// Values within the declared bounds.
    pub valid: bool,
    /// The data source's last run succeeded (true without a source).
    pub source_ok: bool,
    /// All four.
    pub trusted: bool,
    pub missing_periods: usize,
    pub invalid_periods: usize,
    /// The values of the most recent periods at the KPI's cadence, oldest first (gaps are
    /// null): the trend a sparkline draws.
    pub recent_values: Vec<Option<f64>>,
}

impl From<TrustBadge> for TrustView {
    fn from(b: TrustBadge) -> Self {
        TrustView {
            trusted: b.trusted(),
            fresh: b.fresh,
            complete: b.complete,
            valid: b.valid,
            source_ok: b.source_ok,
            missing_periods: b.missing_periods,
            invalid_periods: b.invalid_periods,
            recent_values: Vec::new(),
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KpiCard {
    #[serde(flatten)]
    pub kpi: KpiView,
    pub trust: TrustView,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KpiDetail {
    #[serde(flatten)]
    pub card: KpiCard,
    /// Segment labels with data.
    pub segments: Vec<String>,
}

/// A KPI's value over one period with its health against the target.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodView {
    /// "2026-W48", "2026-11", "2026-Q4" or the day.
    pub label: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub granularity: quarterdeck_domain::kpi::period::Granularity,
    /// First and last day of the period.
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The segment; absent for all segments together.
    pub segment: Option<String>,
    pub count: i64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    pub last: f64,
    /// The value by the KPI's aggregation rule.
    pub value: Option<f64>,
    pub attainment_pct: Option<f64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub status: Option<HealthStatus>,
}

impl PeriodView {
    pub fn new(kpi: &Kpi, p: PeriodValue) -> Self {
        let period = Period { granularity: p.granularity, start: p.start };
        let h: Option<Health> = p.value.and_then(|v| health(kpi.target, kpi.direction, v, kpi.warning_from_pct));
        PeriodView {
            label: period.label(),
            granularity: p.granularity,
            start: period.start,
            end: period.end(),
            segment: p.segment,
            count: p.count,
            sum: p.sum,
            min: p.min,
            max: p.max,
            last: p.last,
            value: p.value,
            attainment_pct: h.map(|h| h.attainment_pct),
            status: h.map(|h| h.status),
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TreeView {
    /// The root first; each node with its current value and status.
    pub nodes: Vec<KpiView>,
    pub edges: Vec<KpiEdgeView>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StretchView {
    /// Mean ± sd over this many recent periods at the KPI's cadence.
    pub window_periods: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub stretch: StretchTargets,
    /// Advice from the method: + 1–1.5 sd for noisy drivers, + 2 sd for stable ones.
    pub advice: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scorecard {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit_id: quarterdeck_domain::ids::UnitId,
    pub kpis: Vec<KpiCard>,
    /// Share of the unit's KPIs at target, in % (norm 94–100 %).
    pub completion_share_pct: Option<f64>,
    pub within_norm: Option<bool>,
    /// Speed/volume KPIs of this unit without a quality counterweight.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub counterweight_warnings: Vec<quarterdeck_domain::ids::KpiId>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GuardrailLinked {
    pub link: GuardrailLinkView,
    /// Objectives paused at once because the guardrail is already breached.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub objectives_paused: Vec<quarterdeck_domain::ids::ObjectiveId>,
}

/// What one run of a data source did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunReport {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub source_id: quarterdeck_domain::ids::DataSourceId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kpi_id: quarterdeck_domain::ids::KpiId,
    /// Points the source returned.
    pub points: usize,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub ingest: Option<IngestReport>,
    /// Why the run failed; recorded on the source and shown in the KPI's trust badge.
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}
