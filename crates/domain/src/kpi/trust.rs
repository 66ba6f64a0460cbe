//! The data trust badge next to a number (METHOD.md §2): fresh (updated within its
//! cadence), complete (no missing periods), valid (values within declared bounds).

use super::definition::Cadence;
use super::period::{Granularity, Period};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

/// How many recent periods completeness and validity look at.
pub const TRUST_WINDOW: usize = 12;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrustBadge {
    pub fresh: bool,
    pub complete: bool,
    pub valid: bool,
    /// Whether the data source's last run succeeded (true when the KPI has no source).
    pub source_ok: bool,
    /// Periods without data among the last `TRUST_WINDOW` closed ones since data began.
    pub missing_periods: usize,
    /// Periods whose values left the declared bounds, in the same window.
    pub invalid_periods: usize,
    pub last_point_at: Option<DateTime<Utc>>,
}

impl TrustBadge {
    pub fn trusted(&self) -> bool {
        self.fresh && self.complete && self.valid && self.source_ok
    }
}

/// A daily KPI is fresh until the end of the day after its last point; weekly within 8
/// days, monthly within 32.
pub fn is_fresh(cadence: Cadence, last_point_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    let allowed = match cadence {
        Cadence::Daily => Duration::hours(48),
        Cadence::Weekly => Duration::days(8),
        Cadence::Monthly => Duration::days(32),
    };
    last_point_at.is_some_and(|t| now - t <= allowed)
}

/// Closed periods (before the one holding `today`) since `first_data`, at most `window`,
/// that have no value. `present` holds the start days of periods with data.
pub fn missing_periods(
    granularity: Granularity,
    first_data: Option<NaiveDate>,
    present: &[NaiveDate],
    today: NaiveDate,
    window: usize,
) -> usize {
    let Some(first) = first_data else { return 0 };
    let first = Period::containing(granularity, first);
    let mut p = Period::containing(granularity, today).prev();
    let mut missing = 0;
    for _ in 0..window {
        if p.start < first.start {
            break;
        }
        if !present.contains(&p.start) {
            missing += 1;
        }
        p = p.prev();
    }
    missing
}

/// Whether a period's [min, max] stays within the declared bounds.
pub fn within_bounds(min: f64, max: f64, valid_min: Option<f64>, valid_max: Option<f64>) -> bool {
    valid_min.is_none_or(|lo| min >= lo) && valid_max.is_none_or(|hi| max <= hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn freshness_follows_cadence() {
        let now: DateTime<Utc> = "2026-11-24T12:00:00Z".parse().unwrap();
        assert!(is_fresh(Cadence::Daily, Some(now - Duration::hours(30)), now));
        assert!(!is_fresh(Cadence::Daily, Some(now - Duration::days(3)), now));
        assert!(is_fresh(Cadence::Weekly, Some(now - Duration::days(6)), now));
        assert!(!is_fresh(Cadence::Monthly, None, now));
    }

    #[test]
    fn gaps_are_counted_in_closed_periods_only() {
        let present = [d("2026-11-20"), d("2026-11-22"), d("2026-11-23")];
        // Today (24th) is open; 21st is missing; data began on the 20th.
        assert_eq!(missing_periods(Granularity::Day, Some(d("2026-11-20")), &present, d("2026-11-24"), 12), 1);
        assert_eq!(missing_periods(Granularity::Day, None, &[], d("2026-11-24"), 12), 0);
        assert!(within_bounds(1.0, 5.0, Some(0.0), Some(100.0)));
        assert!(!within_bounds(-1.0, 5.0, Some(0.0), None));
    }
}
