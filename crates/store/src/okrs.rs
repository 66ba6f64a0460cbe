//! Objectives, the alignment graph, key results, check-ins and initiatives.

use crate::input::*;
use crate::records::*;
use crate::{Ctx, ExpectedVersion, Page, PageRequest, StoreResult};
use async_trait::async_trait;
use quarterdeck_domain::ids::*;
use quarterdeck_domain::okr::ObjectiveStatus;

#[async_trait]
pub trait OkrStore: Send + Sync {
    async fn create_objective(&self, ctx: &Ctx, new: NewObjective) -> StoreResult<Objective>;
    async fn get_objective(&self, id: ObjectiveId) -> StoreResult<Objective>;
    async fn list_objectives(&self, filter: ObjectiveFilter, page: PageRequest) -> StoreResult<Page<Objective>>;
    /// The same page as [`OkrStore::list_objectives`], as revisions only: what a reader needs
    /// to know which of its ready views are current.
    async fn list_objective_revisions(
        &self,
        filter: ObjectiveFilter,
        page: PageRequest,
    ) -> StoreResult<Page<ObjectiveRevision>>;
    /// These objectives, in id order; ids that name none are left out.
    async fn objectives_by_ids(&self, ids: &[ObjectiveId]) -> StoreResult<Vec<Objective>>;
    async fn update_objective(
        &self,
        ctx: &Ctx,
        id: ObjectiveId,
        version: i64,
        patch: ObjectivePatch,
    ) -> StoreResult<Objective>;
    /// The one status transition of an objective, whoever makes it (a person, a guardrail).
    async fn set_objective_status(
        &self,
        ctx: &Ctx,
        id: ObjectiveId,
        version: ExpectedVersion,
        to: ObjectiveStatus,
        reason: Option<String>,
    ) -> StoreResult<Objective>;

    async fn create_alignment(&self, ctx: &Ctx, new: NewAlignment) -> StoreResult<Alignment>;
    async fn delete_alignment(&self, ctx: &Ctx, id: AlignmentId) -> StoreResult<()>;
    /// The objective an alignment links up (whose owner may remove it).
    async fn alignment_child(&self, id: AlignmentId) -> StoreResult<ObjectiveId>;
    async fn list_alignments(&self, filter: AlignmentFilter, page: PageRequest) -> StoreResult<Page<Alignment>>;
    /// Every alignment whose parent is one of these objectives (or one of their key
    /// results): the next level of the alignment graph below them, in id order.
    async fn alignments_under(&self, parents: &[ObjectiveId]) -> StoreResult<Vec<Alignment>>;
    /// How many alignments each of these objectives has below it (those with none left out).
    async fn count_alignments_under(&self, parents: &[ObjectiveId]) -> StoreResult<Vec<(ObjectiveId, i64)>>;

    async fn create_key_result(&self, ctx: &Ctx, new: NewKeyResult) -> StoreResult<KeyResult>;
    async fn get_key_result(&self, id: KeyResultId) -> StoreResult<KeyResult>;
    async fn list_key_results(&self, filter: KeyResultFilter, page: PageRequest) -> StoreResult<Page<KeyResult>>;
    /// Key results of several objectives at once (a list page shows them under each).
    async fn key_results_of(&self, objectives: &[ObjectiveId]) -> StoreResult<Vec<KeyResult>>;
    async fn update_key_result(
        &self,
        ctx: &Ctx,
        id: KeyResultId,
        version: i64,
        patch: KeyResultPatch,
    ) -> StoreResult<KeyResult>;
    async fn set_key_result_status(
        &self,
        ctx: &Ctx,
        id: KeyResultId,
        version: ExpectedVersion,
        change: KeyResultStatusChange,
    ) -> StoreResult<KeyResult>;

    /// Records a check-in and brings the key result's current value, its objective's score
    /// and the roll-ups of the objectives it contributes to up to date, in one transaction.
    async fn record_check_in(
        &self,
        ctx: &Ctx,
        key_result: KeyResultId,
        new: NewCheckIn,
    ) -> StoreResult<(CheckIn, KeyResult)>;
    async fn list_check_ins(&self, key_result: KeyResultId, page: PageRequest) -> StoreResult<Page<CheckIn>>;
    /// The latest `per` check-ins of each of these key results, newest first within each.
    async fn recent_check_ins(&self, key_results: &[KeyResultId], per: u32) -> StoreResult<Vec<CheckIn>>;

    async fn create_initiative(&self, ctx: &Ctx, new: NewInitiative) -> StoreResult<Initiative>;
    async fn get_initiative(&self, id: InitiativeId) -> StoreResult<Initiative>;
    async fn list_initiatives(&self, filter: InitiativeFilter, page: PageRequest) -> StoreResult<Page<Initiative>>;
    async fn update_initiative(
        &self,
        ctx: &Ctx,
        id: InitiativeId,
        version: i64,
        patch: InitiativePatch,
    ) -> StoreResult<Initiative>;

    /// Carries a key result into the cycle `into`, in one transaction: the objective with the
    /// same key there (made as a draft, or active when that cycle runs, if it is missing) gets
    /// a copy whose baseline is the value reached; the original records the decision and the
    /// copy. `mid_cycle` also stops the original (status carried_forward) — only while its
    /// cycle runs; at the end of a closed cycle the graded score stays as it was.
    async fn carry_forward(
        &self,
        ctx: &Ctx,
        id: KeyResultId,
        version: ExpectedVersion,
        into: CycleId,
        mid_cycle: bool,
    ) -> StoreResult<(KeyResult, KeyResult)>;
    /// Records the decision to retire a key result at its cycle's end (its score unchanged).
    async fn retire_key_result(&self, ctx: &Ctx, id: KeyResultId) -> StoreResult<KeyResult>;
    /// Retires a key result into a KPI in one transaction: the KPI is defined, or changed to
    /// hold the level reached as its target and baseline, and the decision recorded.
    async fn retire_into_kpi(
        &self,
        ctx: &Ctx,
        id: KeyResultId,
        kpi: crate::kpi::KpiChange,
    ) -> StoreResult<(KeyResult, crate::kpi::Kpi)>;
    /// Drafts an objective with its key results and the guardrail KPIs that guard it, in
    /// one transaction (each key result's `objective_id` is set to the new objective's).
    async fn create_objective_with_key_results(
        &self,
        ctx: &Ctx,
        new: NewObjective,
        key_results: Vec<NewKeyResult>,
        guardrails: Vec<KpiId>,
    ) -> StoreResult<(Objective, Vec<KeyResult>)>;
    /// Which of `kpis` an active key result of a cycle not yet closed is measured from: KPIs
    /// that are already the subject of an OKR.
    async fn kpis_in_open_okrs(&self, kpis: &[KpiId]) -> StoreResult<Vec<KpiId>>;
    /// The grades of a cycle's objectives that count (neither drafts nor retired), of one
    /// unit or of all: three numbers a row, for calibration across cycles and teams.
    async fn objective_grades(&self, cycle: CycleId, unit: Option<UnitId>) -> StoreResult<Vec<ObjectiveGrade>>;
    /// An objective's retro, if one was written.
    async fn retro(&self, objective: ObjectiveId) -> StoreResult<Option<Retro>>;
    /// Writes an objective's retro (any time, also after the cycle closed); `version` is the
    /// retro's version seen (`None` for a first one).
    async fn set_retro(
        &self,
        ctx: &Ctx,
        objective: ObjectiveId,
        version: Option<i64>,
        notes: RetroNotes,
    ) -> StoreResult<Retro>;
}
