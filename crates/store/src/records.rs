//! What the store hands back: each record carries `id`, `version`, `created_at` and
//! `updated_at`. Derived numbers (scores, roll-ups, current values) are kept up to date on
//! write, so reading a record never recomputes anything from history.

use chrono::{DateTime, NaiveDate, Utc};
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::alignment::LinkKind;
use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
use quarterdeck_domain::ids::*;
use quarterdeck_domain::okr::{Confidence, InitiativeKind, InitiativeStatus, KeyResultStatus, ObjectiveStatus};
use quarterdeck_domain::scoring::{Direction, KeyResultKind, Measure, ObjectiveKind, Score};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Natural key that files and URLs can name ("platform-team").
    pub slug: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
}

/// An objective as calibration reads it (METHOD.md §3, §8): whose it is, its kind and
/// its score. Only objectives that count: neither drafts nor retired ones.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ObjectiveGrade {
    pub unit_id: Option<UnitId>,
    pub kind: ObjectiveKind,
    pub score: f64,
}

/// An objective's retro at its cycle's end: what moved, what did not, what was learned.
/// Editable after the cycle closes, unlike everything else in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Retro {
    pub objective_id: ObjectiveId,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub moved: String,
    pub not_moved: String,
    pub learnings: String,
}

/// The organisation's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrgSettings {
    pub time_zone: quarterdeck_domain::zone::Zone,
    /// Whether requests without credentials may read everything (a wall display).
    pub anonymous_read: bool,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub name: String,
    pub email: String,
    pub unit_id: Option<UnitId>,
    pub manager_id: Option<PersonId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Cycle {
    pub id: CycleId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub name: String,
    pub kind: CycleKind,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub state: CycleState,
}

impl Cycle {
    pub fn dates(&self) -> CycleDates {
        CycleDates::new(self.start, self.end).expect("stored cycles have start <= end")
    }
}

/// The dates and state of an objective's cycle, carried along so pace can be computed
/// without a second lookup.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct CycleWindow {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub state: CycleState,
}

impl CycleWindow {
    pub fn dates(&self) -> CycleDates {
        CycleDates::new(self.start, self.end).expect("stored cycles have start <= end")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Objective {
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
    /// How often the title or description changed while the cycle was active.
    pub rewrites: i64,
    pub cycle: CycleWindow,
}

/// What tells a ready view of an objective whether it is still current: the objective's
/// revision, which every write to what the view shows moves (the objective, its key results,
/// its score, its roll-up), and the version of its cycle (the dates its pace is measured
/// against).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectiveRevision {
    pub id: ObjectiveId,
    pub revision: i64,
    pub cycle_version: i64,
}

impl Objective {
    pub fn score(&self) -> Score {
        Score::clamped(self.score)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct KeyResult {
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
    pub score: f64,
    /// What became of it at the cycle's end (or when carried forward mid-cycle).
    pub decision: Option<quarterdeck_domain::okr::QuarterEndDecision>,
    /// The copy it became in the next cycle, when carried forward.
    pub carried_to: Option<KeyResultId>,
    pub cycle: CycleWindow,
}

impl KeyResult {
    pub fn measure(&self) -> Measure {
        Measure::new(self.baseline, self.target, self.tolerance).expect("stored measures are valid")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CheckIn {
    pub id: CheckInId,
    pub key_result_id: KeyResultId,
    pub value: f64,
    pub confidence: Confidence,
    /// One sentence on the next move.
    pub note: String,
    pub author_id: Option<PersonId>,
    /// When the value was true; defaults to the time it was recorded.
    pub at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Initiative {
    pub id: InitiativeId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub key_result_id: KeyResultId,
    pub title: String,
    pub kind: InitiativeKind,
    pub status: InitiativeStatus,
    pub owner_id: Option<PersonId>,
    pub link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Alignment {
    pub id: AlignmentId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The aligning (child) objective.
    pub child_id: ObjectiveId,
    /// The objective aligned to: the parent objective itself, or the objective of
    /// `parent_key_result_id`.
    pub parent_objective_id: ObjectiveId,
    pub parent_key_result_id: Option<KeyResultId>,
    pub kind: LinkKind,
    pub weight: f64,
}
