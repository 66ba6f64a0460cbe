//! Data sources of KPIs and the claims that give each pull to exactly one server.

use crate::kpi::*;
use crate::{Ctx, Page, PageRequest, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quarterdeck_domain::ids::*;

#[async_trait]
pub trait SourceStore: Send + Sync {
    async fn create_data_source(&self, ctx: &Ctx, new: NewDataSource) -> StoreResult<DataSource>;
    async fn get_data_source(&self, id: DataSourceId) -> StoreResult<DataSource>;
    async fn list_data_sources(&self, kpi: Option<KpiId>, page: PageRequest) -> StoreResult<Page<DataSource>>;
    /// The data sources of several KPIs (a scorecard's trust badges), in id order.
    async fn data_sources_of(&self, kpis: &[KpiId]) -> StoreResult<Vec<DataSource>>;
    async fn delete_data_source(&self, ctx: &Ctx, id: DataSourceId) -> StoreResult<()>;
    /// Claims up to `limit` sources due at `now`, moving each one's next run forward, so
    /// several servers on one database never run the same pull twice.
    async fn claim_due_sources(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<DataSourceSecret>>;
    /// Claims one source now, whatever its schedule ("run now").
    async fn claim_source(&self, id: DataSourceId, now: DateTime<Utc>) -> StoreResult<DataSourceSecret>;
    async fn record_source_run(&self, id: DataSourceId, at: DateTime<Utc>, run: SourceRun) -> StoreResult<DataSource>;
}
