//! Guardrail KPIs linked to objectives: a breach pauses them, a recovery resumes them.

use crate::kpi::*;
use crate::{Ctx, Page, PageRequest, StoreResult};
use async_trait::async_trait;
use quarterdeck_domain::ids::*;

#[async_trait]
pub trait GuardrailStore: Send + Sync {
    /// Links a guardrail KPI to an objective; a guardrail already breached pauses it at once.
    async fn link_guardrail(
        &self,
        ctx: &Ctx,
        kpi: KpiId,
        objective: ObjectiveId,
    ) -> StoreResult<(GuardrailLink, IngestReport)>;
    async fn unlink_guardrail(&self, ctx: &Ctx, id: GuardrailLinkId) -> StoreResult<()>;
    /// The objective a guardrail link guards.
    async fn guardrail_link_objective(&self, id: GuardrailLinkId) -> StoreResult<ObjectiveId>;
    async fn list_guardrail_links(
        &self,
        kpi: Option<KpiId>,
        objective: Option<ObjectiveId>,
        page: PageRequest,
    ) -> StoreResult<Page<GuardrailLink>>;
}
