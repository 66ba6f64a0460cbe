//! What the API shows of KPIs: the record plus its trust badge, period values with health.

use crate::AppState;
use crate::error::ApiResult;
use chrono::{NaiveDate, Utc};
use quarterdeck_domain::kpi::health::{Health, HealthStatus, health};
use quarterdeck_domain::kpi::period::{Granularity, Period};
use quarterdeck_domain::kpi::trust::{TRUST_WINDOW, TrustBadge, is_fresh, missing_periods, within_bounds};
use quarterdeck_store::PageRequest;
use quarterdeck_store::kpi::{Kpi, KpiEdge, PeriodValue};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct TrustView {
    /// Updated within its cadence.
    pub fresh: bool,
    /// No missing periods among the recent ones.
    pub complete: bool,
    /// Values within the declared bounds.
    pub valid: bool,
    /// The data source's last run succeeded (true without a source).
    pub source_ok: bool,
    /// All four.
    pub trusted: bool,
    pub missing_periods: usize,
    pub invalid_periods: usize,
}

impl From<TrustBadge> for TrustView {
    fn from(b: TrustBadge) -> Self {
        TrustView {
            trusted: b.trusted(),
            fresh: b.fresh,
            complete: b.complete,
            valid: b.valid,
            source_ok: b.source_ok,
            missing_periods: b.missing_periods,
            invalid_periods: b.invalid_periods,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KpiCard {
    #[serde(flatten)]
    pub kpi: Kpi,
    pub trust: TrustView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodView {
    /// "2026-W48", "2026-11", "2026-Q4" or the day.
    pub label: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    #[serde(flatten)]
    pub values: PeriodValue,
    pub attainment_pct: Option<f64>,
    #[schema(value_type = Option<String>)]
    pub status: Option<HealthStatus>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TreeView {
    /// The root first; each node with its current value and status.
    pub nodes: Vec<Kpi>,
    pub edges: Vec<KpiEdge>,
}

pub fn period_view(kpi: &Kpi, p: PeriodValue) -> PeriodView {
    let period = Period { granularity: p.granularity, start: p.start };
    let h: Option<Health> = p.value.and_then(|v| health(kpi.target, kpi.direction, v, kpi.warning_from_pct));
    PeriodView {
        label: period.label(),
        start: period.start,
        end: period.end(),
        attainment_pct: h.map(|h| h.attainment_pct),
        status: h.map(|h| h.status),
        values: p,
    }
}

/// The trust badge: reads the last few period rows and the source's state, never raw points.
pub async fn trust(state: &AppState, kpi: &Kpi) -> ApiResult<TrustView> {
    let now = Utc::now();
    let g = Granularity::of_cadence(kpi.cadence);
    let periods = state.store.list_periods(kpi.id, g, None, None, None, TRUST_WINDOW as u32 + 1).await?;
    let present: Vec<NaiveDate> = periods.iter().map(|p| p.start).collect();
    let missing =
        missing_periods(g, kpi.first_point_at.map(|t| t.date_naive()), &present, now.date_naive(), TRUST_WINDOW);
    let invalid =
        periods.iter().filter(|p| p.count > 0 && !within_bounds(p.min, p.max, kpi.valid_min, kpi.valid_max)).count();
    let sources = state.store.list_data_sources(Some(kpi.id), PageRequest::first(10)).await?;
    let source_ok = sources.items.iter().all(|s| match (s.last_error_at, s.last_success_at) {
        (Some(e), Some(ok)) => ok >= e,
        (Some(_), None) => false,
        _ => true,
    });
    // A derived KPI is as fresh as its inputs; its own last point is their latest.
    Ok(TrustBadge {
        fresh: is_fresh(kpi.cadence, kpi.last_point_at, now),
        complete: missing == 0,
        valid: invalid == 0,
        source_ok,
        missing_periods: missing,
        invalid_periods: invalid,
        last_point_at: kpi.last_point_at,
    }
    .into())
}
