//! The KPI half: the metric dictionary, measurements and their period values, derived KPIs,
//! key results measured from KPIs, guardrails on objectives, driver trees and KRAs.
//!
//! Ingest keeps every aggregate current in the same transaction as the points: period
//! values (running totals, percentiles from the period's own points), the KPI's current
//! value and health, derived KPIs, linked key results, and guardrails that pause or resume
//! objectives through the objective's own transition. Reads never rescan raw history.

mod derived;
pub(crate) mod dictionary;
pub(crate) mod guardrails;
mod ingest;
mod kras;
mod linked;
mod series;
mod tree;

use crate::SqlStore;
use crate::db::{Conn, Sql, q};
use crate::kpi_rows::*;
use crate::rows::convert;
use async_trait::async_trait;
use quarterdeck_domain::ids::*;
use quarterdeck_store::kpi::*;
use quarterdeck_store::{Ctx, ExpectedVersion, KpiStore, Page, PageRequest, StoreError, StoreResult};

pub(crate) use ingest::recompute_all as recompute_all_periods;

pub(crate) fn not_found(id: impl ToString) -> StoreError {
    StoreError::NotFound { entity: "KPI", id: id.to_string() }
}

pub(crate) async fn kpi_in(c: &mut Conn<'_>, id: &str) -> StoreResult<Option<Kpi>> {
    let row: Option<KpiRow> =
        c.fetch_optional(&q!(format!("SELECT {KPI_COLUMNS} FROM kpis WHERE id = $1"), id)).await?;
    row.map(Kpi::try_from).transpose()
}

pub(crate) async fn kpis_by_ids(c: &mut Conn<'_>, ids: &[String]) -> StoreResult<Vec<Kpi>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut s = Sql::new(format!("SELECT {KPI_COLUMNS} FROM kpis WHERE id IN ("));
    s.list(ids.iter()).push(")");
    let rows: Vec<KpiRow> = c.fetch_all(&s).await?;
    convert(rows)
}

#[async_trait]
impl KpiStore for SqlStore {
    async fn create_kpi(&self, ctx: &Ctx, new: NewKpi) -> StoreResult<Kpi> {
        dictionary::create(&self.pools, ctx, new).await
    }

    async fn get_kpi(&self, id: KpiId) -> StoreResult<Kpi> {
        let mut r = self.pools.reader().await?;
        kpi_in(&mut r.conn(), &id.to_string()).await?.ok_or_else(|| not_found(id))
    }

    async fn find_kpi_by_key(&self, key: &str) -> StoreResult<Kpi> {
        let mut r = self.pools.reader().await?;
        let row: Option<KpiRow> =
            r.conn().fetch_optional(&q!(format!("SELECT {KPI_COLUMNS} FROM kpis WHERE key = $1"), key)).await?;
        row.map(Kpi::try_from).transpose()?.ok_or_else(|| not_found(key))
    }

    async fn list_kpis(&self, filter: KpiFilter, page: PageRequest) -> StoreResult<Page<Kpi>> {
        dictionary::list(&self.pools, filter, page).await
    }

    async fn update_kpi(&self, ctx: &Ctx, id: KpiId, version: i64, patch: KpiPatch) -> StoreResult<Kpi> {
        dictionary::update(&self.pools, ctx, id, version, patch).await
    }

    async fn kpi_target_history(&self, id: KpiId) -> StoreResult<Vec<TargetChange>> {
        dictionary::target_history(&self.pools, id).await
    }

    async fn kpi_target_histories(&self, ids: &[KpiId]) -> StoreResult<Vec<(KpiId, TargetChange)>> {
        dictionary::target_histories(&self.pools, ids).await
    }

    async fn create_kpi_edge(&self, ctx: &Ctx, new: NewKpiEdge) -> StoreResult<KpiEdge> {
        tree::create_edge(&self.pools, ctx, new).await
    }

    async fn delete_kpi_edge(&self, ctx: &Ctx, id: KpiEdgeId) -> StoreResult<()> {
        tree::delete_edge(&self.pools, ctx, id).await
    }

    async fn kpi_edge_parent(&self, id: KpiEdgeId) -> StoreResult<KpiId> {
        crate::id_column(&self.pools, "KPI edge", "SELECT parent_id FROM kpi_edges WHERE id = $1", id).await
    }

    async fn kpi_tree(&self, root: KpiId, max_nodes: usize) -> StoreResult<(Vec<Kpi>, Vec<KpiEdge>)> {
        tree::tree(&self.pools, root, max_nodes).await
    }

    async fn tree_guardrails(&self, kpi: KpiId, max: usize) -> StoreResult<Vec<Kpi>> {
        tree::guardrails(&self.pools, kpi, max).await
    }

    async fn create_kra(&self, ctx: &Ctx, new: NewKra) -> StoreResult<Kra> {
        kras::create(&self.pools, ctx, new).await
    }

    async fn get_kra(&self, id: KraId) -> StoreResult<Kra> {
        kras::get(&self.pools, id).await
    }

    async fn list_kras(&self, page: PageRequest) -> StoreResult<Page<Kra>> {
        kras::list(&self.pools, page).await
    }

    async fn set_kra_kpis(
        &self,
        ctx: &Ctx,
        id: KraId,
        version: ExpectedVersion,
        kpi_ids: Vec<KpiId>,
    ) -> StoreResult<Kra> {
        kras::set_kpis(&self.pools, ctx, id, version, kpi_ids).await
    }
}
