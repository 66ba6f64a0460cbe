//! Raw measurements and the period values kept up to date as they arrive.

use crate::kpi::*;
use crate::{Ctx, Page, PageRequest, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use quarterdeck_domain::ids::KpiId;
use quarterdeck_domain::kpi::period::Granularity;

#[async_trait]
pub trait MeasurementStore: Send + Sync {
    /// Stores raw points (idempotent per KPI, time and segment), brings period values,
    /// derived KPIs, linked key results and guardrails up to date, all in one transaction.
    async fn ingest(&self, ctx: &Ctx, points: Vec<NewMeasurement>) -> StoreResult<IngestReport>;
    async fn list_measurements(
        &self,
        kpi: KpiId,
        segment: Option<String>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: PageRequest,
    ) -> StoreResult<Page<Measurement>>;
    /// Period values, oldest first; at most `limit` of them (the most recent ones).
    async fn list_periods(
        &self,
        kpi: KpiId,
        granularity: Granularity,
        segment: Option<String>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        limit: u32,
    ) -> StoreResult<Vec<PeriodValue>>;
    /// The most recent `per_kpi` overall (unsegmented) period values of each of several KPIs,
    /// each at its own granularity, newest first per KPI: one read for a whole scorecard.
    async fn recent_periods(
        &self,
        kpis: &[(KpiId, Granularity)],
        per_kpi: u32,
    ) -> StoreResult<Vec<(KpiId, RecentPeriod)>>;
    /// The last overall period value of each of several KPIs, each at its own granularity,
    /// among the periods that start in `from..before`: where each KPI stood at a cycle's end.
    /// A KPI with no value there is left out.
    async fn period_values_at(
        &self,
        kpis: &[(KpiId, Granularity)],
        from: NaiveDate,
        before: NaiveDate,
    ) -> StoreResult<Vec<(KpiId, f64)>>;
    /// Segment labels a KPI has data for.
    async fn kpi_segments(&self, kpi: KpiId) -> StoreResult<Vec<String>>;
}
