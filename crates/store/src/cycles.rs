//! Cycles: planning → active → closed.

use crate::input::*;
use crate::records::Cycle;
use crate::{Ctx, ExpectedVersion, Page, PageRequest, StoreResult};
use async_trait::async_trait;
use chrono::NaiveDate;
use quarterdeck_domain::cycle::CycleState;
use quarterdeck_domain::ids::CycleId;

#[async_trait]
pub trait CycleStore: Send + Sync {
    async fn create_cycle(&self, ctx: &Ctx, new: NewCycle) -> StoreResult<Cycle>;
    async fn get_cycle(&self, id: CycleId) -> StoreResult<Cycle>;
    async fn list_cycles(&self, filter: CycleFilter, page: PageRequest) -> StoreResult<Page<Cycle>>;
    /// The cycle that holds `today`: an active one first, then a quarter, then the earliest.
    async fn current_cycle(&self, today: NaiveDate) -> StoreResult<Option<Cycle>>;
    async fn update_cycle(&self, ctx: &Ctx, id: CycleId, version: i64, patch: CyclePatch) -> StoreResult<Cycle>;
    async fn set_cycle_state(
        &self,
        ctx: &Ctx,
        id: CycleId,
        version: ExpectedVersion,
        to: CycleState,
    ) -> StoreResult<Cycle>;
}
