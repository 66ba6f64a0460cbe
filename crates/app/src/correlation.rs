//! Whether a KPI moves with a key result (METHOD.md §5.5, §9): Pearson's r on the weekly
//! values both have — the key result's last check-in of each week against the KPI's weekly
//! value — shown only with at least six pairs.

use crate::{App, AppResult};
use quarterdeck_domain::ids::KeyResultId;
use quarterdeck_domain::kpi::period::{Granularity, Period};
use quarterdeck_domain::kpi::stats::{MIN_CORRELATION_PAIRS, pearson};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Correlation {
    pub kpi_key: String,
    pub kpi_name: String,
    /// Weeks with both a check-in and a KPI value.
    pub pairs: usize,
    /// Pearson's r; `None` below six pairs or when either never changes.
    pub r: Option<f64>,
    /// What it means, in words.
    pub reading: String,
}

/// Weeks of KPI values read: a half year covers any cycle.
const WEEKS: u32 = 27;

impl App {
    pub async fn correlation(&self, id: KeyResultId, kpi: &str) -> AppResult<Correlation> {
        // Refuses an unknown key result before reading anything else.
        self.store().get_key_result(id).await?;
        let kpi = self.resolve_kpi(kpi).await.map_err(|e| e.with_field("kpi"))?;
        let check_ins: Vec<quarterdeck_store::records::CheckIn> =
            crate::all_pages(|page| async move { Ok(self.store().list_check_ins(id, page).await?.into()) }).await?;
        let zone = self.zone();
        let mut weekly: BTreeMap<chrono::NaiveDate, (chrono::DateTime<chrono::Utc>, f64)> = BTreeMap::new();
        for c in &check_ins {
            let week = Period::containing(Granularity::Week, zone.local_date(c.at)).start;
            let e = weekly.entry(week).or_insert((c.at, c.value));
            if c.at >= e.0 {
                *e = (c.at, c.value);
            }
        }
        let periods = self.store().list_periods(kpi.id, Granularity::Week, None, None, None, WEEKS).await?;
        let pairs: Vec<(f64, f64)> = periods.iter().filter_map(|p| Some((weekly.get(&p.start)?.1, p.value?))).collect();
        let r = pearson(&pairs);
        let reading = match r {
            None if pairs.len() < MIN_CORRELATION_PAIRS => format!(
                "needs at least {MIN_CORRELATION_PAIRS} weeks with both a check-in and a value of {} (has {})",
                kpi.name,
                pairs.len()
            ),
            None => "one of the two never changed: nothing to correlate".to_owned(),
            Some(r) if r.abs() >= 0.7 => {
                format!("{} moves {} with it", kpi.name, if r > 0.0 { "strongly" } else { "strongly against" })
            }
            Some(r) if r.abs() >= 0.4 => {
                format!("{} moves {} with it, loosely", kpi.name, if r > 0.0 { "along" } else { "against" })
            }
            Some(_) => format!(
                "{} does not move with it: is this KPI the one to watch, or is the key result busywork?",
                kpi.name
            ),
        };
        Ok(Correlation { kpi_key: kpi.key, kpi_name: kpi.name, pairs: pairs.len(), r, reading })
    }
}
