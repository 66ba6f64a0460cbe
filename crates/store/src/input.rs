//! What writers hand to the store: already parsed into domain types, so the store only
//! checks what needs stored state (references, versions, cycle state).

use chrono::{DateTime, NaiveDate, Utc};
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::alignment::LinkKind;
use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
use quarterdeck_domain::ids::*;
use quarterdeck_domain::okr::{Confidence, InitiativeKind, InitiativeStatus, ObjectiveStatus};
use quarterdeck_domain::scoring::{KeyResultKind, Measure, ObjectiveKind, Weight};
use quarterdeck_domain::text::*;

#[derive(Debug, Clone)]
pub struct NewUnit {
    pub slug: Slug,
    pub name: Name,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
}

#[derive(Debug, Clone, Default)]
pub struct UnitPatch {
    pub name: Option<Name>,
    pub kind: Option<UnitKind>,
    /// `Some(None)` moves the unit to the top of the tree.
    pub parent_id: Option<Option<UnitId>>,
}

#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    pub parent_id: Option<UnitId>,
    pub kind: Option<UnitKind>,
}

#[derive(Debug, Clone)]
pub struct NewPerson {
    pub name: Name,
    pub email: Email,
    pub unit_id: Option<UnitId>,
    pub manager_id: Option<PersonId>,
}

#[derive(Debug, Clone, Default)]
pub struct PersonPatch {
    pub name: Option<Name>,
    pub email: Option<Email>,
    pub unit_id: Option<Option<UnitId>>,
    pub manager_id: Option<Option<PersonId>>,
}

#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    pub unit_id: Option<UnitId>,
    pub manager_id: Option<PersonId>,
}

#[derive(Debug, Clone)]
pub struct NewCycle {
    pub name: Title,
    pub kind: CycleKind,
    pub dates: CycleDates,
    pub state: CycleState,
}

#[derive(Debug, Clone, Default)]
pub struct CyclePatch {
    pub name: Option<Title>,
    pub dates: Option<CycleDates>,
}

#[derive(Debug, Clone, Default)]
pub struct CycleFilter {
    pub state: Option<CycleState>,
    /// Cycles that hold this day.
    pub on: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct NewObjective {
    pub cycle_id: CycleId,
    /// Unique within the cycle; made from the title when `None`.
    pub key: Option<Slug>,
    pub title: Title,
    pub description: LongText,
    pub owner_id: PersonId,
    pub unit_id: Option<UnitId>,
    pub kind: ObjectiveKind,
    /// `Draft` or `Active`.
    pub status: ObjectiveStatus,
}

#[derive(Debug, Clone, Default)]
pub struct ObjectivePatch {
    pub title: Option<Title>,
    pub description: Option<LongText>,
    pub owner_id: Option<PersonId>,
    pub unit_id: Option<Option<UnitId>>,
    pub kind: Option<ObjectiveKind>,
}

#[derive(Debug, Clone, Default)]
pub struct ObjectiveFilter {
    pub cycle_id: Option<CycleId>,
    pub key: Option<Slug>,
    pub unit_id: Option<UnitId>,
    pub owner_id: Option<PersonId>,
    pub status: Option<ObjectiveStatus>,
    pub kind: Option<ObjectiveKind>,
    /// Only objectives aligned to a parent (`true`) or aligned to nothing (`false`: the
    /// roots of the alignment graph, the company's own objectives and the orphans).
    pub aligned: Option<bool>,
}

/// Where an alignment points: a parent objective or one of its key results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlignmentTarget {
    Objective(ObjectiveId),
    KeyResult(KeyResultId),
}

#[derive(Debug, Clone)]
pub struct NewAlignment {
    pub child_id: ObjectiveId,
    pub parent: AlignmentTarget,
    pub kind: LinkKind,
    pub weight: Weight,
}

#[derive(Debug, Clone, Default)]
pub struct AlignmentFilter {
    pub child_id: Option<ObjectiveId>,
    pub parent_objective_id: Option<ObjectiveId>,
}

#[derive(Debug, Clone)]
pub struct NewKeyResult {
    pub objective_id: ObjectiveId,
    /// Unique within the cycle; made from the title when `None`.
    pub key: Option<Slug>,
    pub title: Title,
    pub kind: KeyResultKind,
    pub unit_of_measure: UnitOfMeasure,
    pub measure: Measure,
    pub weight: Weight,
    pub owner_id: Option<PersonId>,
    pub kpi_id: Option<KpiId>,
}

#[derive(Debug, Clone, Default)]
pub struct KeyResultPatch {
    pub title: Option<Title>,
    pub unit_of_measure: Option<UnitOfMeasure>,
    /// Baseline, target and tolerance change together so the measure stays valid.
    pub measure: Option<Measure>,
    pub weight: Option<Weight>,
    pub owner_id: Option<Option<PersonId>>,
    pub kpi_id: Option<Option<KpiId>>,
}

#[derive(Debug, Clone, Default)]
pub struct KeyResultFilter {
    pub objective_id: Option<ObjectiveId>,
    pub key: Option<Slug>,
    pub owner_id: Option<PersonId>,
    pub cycle_id: Option<CycleId>,
}

#[derive(Debug, Clone)]
pub enum KeyResultStatusChange {
    Kill { reason: Reason },
    CarryForward,
}

#[derive(Debug, Clone)]
pub struct NewCheckIn {
    pub value: f64,
    pub confidence: Confidence,
    pub note: Note,
    pub author_id: Option<PersonId>,
    /// When the value was true; `None` means now.
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewInitiative {
    pub key_result_id: KeyResultId,
    pub title: Title,
    pub kind: InitiativeKind,
    pub status: InitiativeStatus,
    pub owner_id: Option<PersonId>,
    pub link: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct InitiativePatch {
    pub title: Option<Title>,
    pub kind: Option<InitiativeKind>,
    pub status: Option<InitiativeStatus>,
    pub owner_id: Option<Option<PersonId>>,
    pub link: Option<Option<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct InitiativeFilter {
    pub key_result_id: Option<KeyResultId>,
    pub owner_id: Option<PersonId>,
}

/// An objective's retro, as written.
#[derive(Debug, Clone)]
pub struct RetroNotes {
    pub moved: quarterdeck_domain::text::LongText,
    pub not_moved: quarterdeck_domain::text::LongText,
    pub learnings: quarterdeck_domain::text::LongText,
}
