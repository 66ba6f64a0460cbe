//! The metric dictionary, driver trees and Key Result Areas.

use crate::kpi::*;
use crate::{Ctx, ExpectedVersion, Page, PageRequest, StoreResult};
use async_trait::async_trait;
use quarterdeck_domain::ids::*;

#[async_trait]
pub trait KpiStore: Send + Sync {
    async fn create_kpi(&self, ctx: &Ctx, new: NewKpi) -> StoreResult<Kpi>;
    async fn get_kpi(&self, id: KpiId) -> StoreResult<Kpi>;
    async fn find_kpi_by_key(&self, key: &str) -> StoreResult<Kpi>;
    async fn list_kpis(&self, filter: KpiFilter, page: PageRequest) -> StoreResult<Page<Kpi>>;
    /// Changes a KPI; a new target is dated and the old one kept in the history. A formula
    /// can only be set at creation (its inputs define the KPI).
    async fn update_kpi(&self, ctx: &Ctx, id: KpiId, version: i64, patch: KpiPatch) -> StoreResult<Kpi>;
    async fn kpi_target_history(&self, id: KpiId) -> StoreResult<Vec<TargetChange>>;
    /// The target histories of several KPIs at once, each oldest first.
    async fn kpi_target_histories(&self, ids: &[KpiId]) -> StoreResult<Vec<(KpiId, TargetChange)>>;

    async fn create_kpi_edge(&self, ctx: &Ctx, new: NewKpiEdge) -> StoreResult<KpiEdge>;
    async fn delete_kpi_edge(&self, ctx: &Ctx, id: KpiEdgeId) -> StoreResult<()>;
    /// The KPI an edge drives (whose editors may remove it).
    async fn kpi_edge_parent(&self, id: KpiEdgeId) -> StoreResult<KpiId>;
    /// The tree below `root`: its KPIs (root first) and edges. Bounded by `max_nodes`.
    async fn kpi_tree(&self, root: KpiId, max_nodes: usize) -> StoreResult<(Vec<Kpi>, Vec<KpiEdge>)>;
    /// The guardrail KPIs of the driver tree `kpi` belongs to (every KPI joined to it by
    /// edges, up or down), other than `kpi` itself, by key; at most `max`.
    async fn tree_guardrails(&self, kpi: KpiId, max: usize) -> StoreResult<Vec<Kpi>>;

    async fn create_kra(&self, ctx: &Ctx, new: NewKra) -> StoreResult<Kra>;
    async fn get_kra(&self, id: KraId) -> StoreResult<Kra>;
    async fn list_kras(&self, page: PageRequest) -> StoreResult<Page<Kra>>;
    async fn set_kra_kpis(
        &self,
        ctx: &Ctx,
        id: KraId,
        version: ExpectedVersion,
        kpi_ids: Vec<KpiId>,
    ) -> StoreResult<Kra>;
}
