//! Where a key result will land by its cycle's end (METHOD.md §4, §9): the domain's OLS fit
//! over its check-ins against time, with the inputs and the formula shown, so a person can
//! redo the sum.

use crate::{App, AppResult};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use quarterdeck_domain::forecast::{Fit, NoForecast, Prediction, fit, needed_per_week};
use quarterdeck_domain::ids::KeyResultId;
use quarterdeck_domain::scoring::{Measure, score_value};
use quarterdeck_store::records::{CheckIn, KeyResult};
use serde::Serialize;

/// The formula, as shown next to the numbers. x is days since the cycle started.
pub const FORMULA: &str = "ŷ(x) = a + b·x (ordinary least squares over the check-ins; x = days since the cycle \
    started). 80 % interval: ŷ ± t(0.90, n − 2) · s · √(1 + 1/n + (x − x̄)² / Sxx), s = √(SSE / (n − 2)).";

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyResultForecast {
    pub key_result_id: KeyResultId,
    pub check_ins: usize,
    /// Why there is none, in words; `None` when there is a forecast.
    pub no_forecast: Option<String>,
    pub forecast: Option<Landing>,
}

/// The landing at the cycle's end.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Landing {
    /// The last day of the cycle.
    pub on: NaiveDate,
    /// P50: where the line says it lands.
    pub p50: f64,
    /// The central 80 % interval (P10 to P90).
    pub p80_low: f64,
    pub p80_high: f64,
    /// The score the P50 would earn.
    pub score_p50: f64,
    /// The trend of the check-ins, per week.
    pub per_week: f64,
    /// What it needs per week from the latest value to reach the target; `None` after the end.
    pub needed_per_week: Option<f64>,
    pub formula: &'static str,
    pub fit: Fit,
    pub at_end: Prediction,
    /// The band for the chart: the forecast each week from the latest check-in to the end.
    pub band: Vec<BandPoint>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BandPoint {
    pub at: DateTime<Utc>,
    pub p50: f64,
    pub low: f64,
    pub high: f64,
}

impl App {
    pub async fn forecast_key_result(&self, id: KeyResultId) -> AppResult<KeyResultForecast> {
        let kr = self.store().get_key_result(id).await?;
        let check_ins =
            crate::all_pages(|page| async move { Ok(self.store().list_check_ins(id, page).await?.into()) }).await?;
        Ok(self.forecast_from(&kr, &check_ins))
    }

    /// The forecast of `kr` from its check-ins (any order).
    pub fn forecast_from(&self, kr: &KeyResult, check_ins: &[CheckIn]) -> KeyResultForecast {
        let zone = self.zone();
        let start = zone.start_of(kr.cycle.start);
        let end = zone.start_of(kr.cycle.end + Duration::days(1));
        let days = |t: DateTime<Utc>| (t - start).num_seconds() as f64 / 86_400.0;
        let points: Vec<(f64, f64)> = check_ins.iter().map(|c| (days(c.at), c.value)).collect();
        let answer = |no: NoForecast| KeyResultForecast {
            key_result_id: kr.id,
            check_ins: check_ins.len(),
            no_forecast: Some(no.to_string()),
            forecast: None,
        };
        let fitted = match fit(&points) {
            Ok(f) => f,
            Err(no) => return answer(no),
        };
        let at_end = fitted.predict(days(end));
        let latest = check_ins.iter().max_by_key(|c| c.at);
        let now = self.now();
        let weeks_left = (end - now).num_seconds() as f64 / (7.0 * 86_400.0);
        let needed = latest.and_then(|c| needed_per_week(c.value, kr.target, weeks_left));
        let from = latest.map(|c| c.at).unwrap_or(start);
        let mut band = Vec::new();
        let mut t = from;
        while t < end {
            let p = fitted.predict(days(t));
            band.push(BandPoint { at: t, p50: p.p50, low: p.p80_low, high: p.p80_high });
            t += Duration::days(7);
        }
        band.push(BandPoint { at: end, p50: at_end.p50, low: at_end.p80_low, high: at_end.p80_high });
        let score = Measure::new(kr.baseline, kr.target, kr.tolerance)
            .map(|m| score_value(kr.kind, &m, at_end.p50).value())
            .unwrap_or(0.0);
        KeyResultForecast {
            key_result_id: kr.id,
            check_ins: check_ins.len(),
            no_forecast: None,
            forecast: Some(Landing {
                on: kr.cycle.end,
                p50: at_end.p50,
                p80_low: at_end.p80_low,
                p80_high: at_end.p80_high,
                score_p50: score,
                per_week: fitted.slope * 7.0,
                needed_per_week: needed,
                formula: FORMULA,
                fit: fitted,
                at_end,
                band,
            }),
        }
    }
}
