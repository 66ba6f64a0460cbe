//! The storage port. Web, CLI and jobs talk to a [`Store`]; the backends (SQLite,
//! PostgreSQL) implement it. Each method is one use case run in one transaction, so a
//! request either happens whole or not at all.

pub mod error;
pub mod input;
pub mod kpi;
pub mod page;
pub mod records;
pub mod snapshot;

pub use error::StoreError;
pub use page::{Page, PageRequest};

use async_trait::async_trait;
use chrono::NaiveDate;
use input::*;
use quarterdeck_domain::cycle::CycleState;
use quarterdeck_domain::ids::*;
use quarterdeck_domain::okr::ObjectiveStatus;
use records::*;

pub type StoreResult<T> = Result<T, StoreError>;

/// A version a writer saw; the write fails with [`StoreError::Stale`] if the record has
/// moved on since. `None` means "whatever the current version is" and is only used for
/// state changes whose own rules already guard them.
pub type ExpectedVersion = Option<i64>;

#[async_trait]
pub trait Store: kpi::KpiStore + Send + Sync + 'static {
    /// Which backend this is ("sqlite", "postgres"), for logs and `/healthz`.
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> StoreResult<()>;
    /// A token that changes whenever a committed write (by this process or any other) may
    /// have changed what a read returns; read caches are valid while it stays the same.
    async fn change_token(&self) -> StoreResult<String>;

    // Organisation
    async fn create_unit(&self, new: NewUnit) -> StoreResult<Unit>;
    async fn get_unit(&self, id: UnitId) -> StoreResult<Unit>;
    async fn find_unit_by_slug(&self, slug: &str) -> StoreResult<Unit>;
    async fn list_units(&self, filter: UnitFilter, page: PageRequest) -> StoreResult<Page<Unit>>;
    async fn update_unit(&self, id: UnitId, version: i64, patch: UnitPatch) -> StoreResult<Unit>;

    async fn create_person(&self, new: NewPerson) -> StoreResult<Person>;
    async fn get_person(&self, id: PersonId) -> StoreResult<Person>;
    async fn list_people(&self, filter: PersonFilter, page: PageRequest) -> StoreResult<Page<Person>>;
    async fn update_person(&self, id: PersonId, version: i64, patch: PersonPatch) -> StoreResult<Person>;

    // Cycles
    async fn create_cycle(&self, new: NewCycle) -> StoreResult<Cycle>;
    async fn get_cycle(&self, id: CycleId) -> StoreResult<Cycle>;
    async fn list_cycles(&self, filter: CycleFilter, page: PageRequest) -> StoreResult<Page<Cycle>>;
    /// The cycle that holds `today`: an active one first, then a quarter, then the earliest.
    async fn current_cycle(&self, today: NaiveDate) -> StoreResult<Option<Cycle>>;
    async fn update_cycle(&self, id: CycleId, version: i64, patch: CyclePatch) -> StoreResult<Cycle>;
    async fn set_cycle_state(&self, id: CycleId, version: ExpectedVersion, to: CycleState) -> StoreResult<Cycle>;

    // Objectives and alignment
    async fn create_objective(&self, new: NewObjective) -> StoreResult<Objective>;
    async fn get_objective(&self, id: ObjectiveId) -> StoreResult<Objective>;
    async fn list_objectives(&self, filter: ObjectiveFilter, page: PageRequest) -> StoreResult<Page<Objective>>;
    async fn update_objective(&self, id: ObjectiveId, version: i64, patch: ObjectivePatch) -> StoreResult<Objective>;
    async fn set_objective_status(
        &self,
        id: ObjectiveId,
        version: ExpectedVersion,
        to: ObjectiveStatus,
        reason: Option<String>,
    ) -> StoreResult<Objective>;

    async fn create_alignment(&self, new: NewAlignment) -> StoreResult<Alignment>;
    async fn delete_alignment(&self, id: AlignmentId) -> StoreResult<()>;
    async fn list_alignments(&self, filter: AlignmentFilter, page: PageRequest) -> StoreResult<Page<Alignment>>;

    // Key results, check-ins, initiatives
    async fn create_key_result(&self, new: NewKeyResult) -> StoreResult<KeyResult>;
    async fn get_key_result(&self, id: KeyResultId) -> StoreResult<KeyResult>;
    async fn list_key_results(&self, filter: KeyResultFilter, page: PageRequest) -> StoreResult<Page<KeyResult>>;
    /// Key results of several objectives at once (a list page shows them under each).
    async fn key_results_of(&self, objectives: &[ObjectiveId]) -> StoreResult<Vec<KeyResult>>;
    async fn update_key_result(&self, id: KeyResultId, version: i64, patch: KeyResultPatch) -> StoreResult<KeyResult>;
    async fn set_key_result_status(
        &self,
        id: KeyResultId,
        version: ExpectedVersion,
        change: KeyResultStatusChange,
    ) -> StoreResult<KeyResult>;

    /// Records a check-in and brings the key result's current value, its objective's score
    /// and the roll-ups of the objectives it contributes to up to date, in one transaction.
    async fn record_check_in(&self, key_result: KeyResultId, new: NewCheckIn) -> StoreResult<(CheckIn, KeyResult)>;
    async fn list_check_ins(&self, key_result: KeyResultId, page: PageRequest) -> StoreResult<Page<CheckIn>>;

    async fn create_initiative(&self, new: NewInitiative) -> StoreResult<Initiative>;
    async fn get_initiative(&self, id: InitiativeId) -> StoreResult<Initiative>;
    async fn list_initiatives(&self, filter: InitiativeFilter, page: PageRequest) -> StoreResult<Page<Initiative>>;
    async fn update_initiative(
        &self,
        id: InitiativeId,
        version: i64,
        patch: InitiativePatch,
    ) -> StoreResult<Initiative>;

    /// Loads a whole organisation in one transaction (demo data, later goals-as-code);
    /// scores and roll-ups are derived here, not taken from the snapshot.
    async fn import(&self, snapshot: snapshot::Snapshot) -> StoreResult<snapshot::ImportCounts>;
    /// Whether the store holds no organisation yet.
    async fn is_empty(&self) -> StoreResult<bool>;
}
