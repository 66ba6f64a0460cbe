//! Health of a period value against its target or healthy range, honouring direction; the
//! guardrail rule; KPI completion share (METHOD.md §2, §8).

use super::definition::{KpiDirection, Target};
use crate::word_enum;
use chrono::NaiveDate;
use serde::Serialize;

word_enum!(HealthStatus { Healthy = "healthy", Warning = "warning", Breached = "breached" });

/// From this attainment (in %) a miss is a warning rather than a breach.
pub const DEFAULT_WARNING_FROM_PCT: f64 = 90.0;
/// KPI completion norm: 94–100 % of KPIs at target (METHOD.md §2).
pub const COMPLETION_NORM_PCT: f64 = 94.0;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Health {
    /// 100 % means the target is met (or the value is inside the range).
    pub attainment_pct: f64,
    pub status: HealthStatus,
}

/// `None` when the KPI has no target.
pub fn health(target: Option<Target>, direction: KpiDirection, value: f64, warning_from_pct: f64) -> Option<Health> {
    let attainment = match (target?, direction) {
        (Target::Range { low, high }, _) => {
            if (low..=high).contains(&value) {
                100.0
            } else {
                let distance = if value < low { low - value } else { value - high };
                let width = if high > low { high - low } else { low.abs().max(1.0) };
                (100.0 * (1.0 - distance / width)).max(0.0)
            }
        }
        (Target::Value { value: t }, KpiDirection::LowerIsBetter) => {
            if value <= t {
                100.0
            } else if t > 0.0 && value > 0.0 {
                100.0 * t / value
            } else {
                0.0
            }
        }
        (Target::Value { value: t }, _) => {
            if value >= t {
                100.0
            } else if t > 0.0 && value > 0.0 {
                100.0 * value / t
            } else {
                0.0
            }
        }
    };
    let status = if attainment >= 100.0 {
        HealthStatus::Healthy
    } else if attainment >= warning_from_pct {
        HealthStatus::Warning
    } else {
        HealthStatus::Breached
    };
    Some(Health { attainment_pct: attainment, status })
}

/// A guardrail trips when its value crosses the threshold on the wrong side ("refund rate
/// ≤ 1.2 %" trips above 1.2); a within-range guardrail trips outside its range.
pub fn guardrail_breached(direction: KpiDirection, threshold: Option<f64>, target: Option<Target>, value: f64) -> bool {
    match (direction, threshold, target) {
        (KpiDirection::HigherIsBetter, Some(t), _) => value < t,
        (KpiDirection::LowerIsBetter, Some(t), _) => value > t,
        (KpiDirection::WithinRange, _, Some(Target::Range { low, high })) => value < low || value > high,
        _ => false,
    }
}

/// Share of KPIs at target (attainment ≥ 100 %), in %; `None` with no KPI that has a status.
pub fn completion_share(statuses: impl IntoIterator<Item = HealthStatus>) -> Option<f64> {
    let (met, all) =
        statuses.into_iter().fold((0usize, 0usize), |(m, a), s| (m + usize::from(s == HealthStatus::Healthy), a + 1));
    (all > 0).then(|| 100.0 * met as f64 / all as f64)
}

/// The target in force on `day`, from a KPI's target changes in the order they were made,
/// each with the day it took effect: the last one in effect by then. A KPI whose history
/// starts later had no target that day; one without any history (loaded from a file) has
/// had its `current` target all along.
pub fn target_on(changes: &[(NaiveDate, Option<Target>)], current: Option<Target>, day: NaiveDate) -> Option<Target> {
    if changes.is_empty() {
        return current;
    }
    changes.iter().rev().find(|(from, _)| *from <= day).and_then(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const W: f64 = DEFAULT_WARNING_FROM_PCT;

    #[test]
    fn directions() {
        let t = Some(Target::Value { value: 100.0 });
        assert_eq!(health(t, KpiDirection::HigherIsBetter, 120.0, W).unwrap().status, HealthStatus::Healthy);
        assert_eq!(
            health(t, KpiDirection::HigherIsBetter, 95.0, W).unwrap(),
            Health { attainment_pct: 95.0, status: HealthStatus::Warning }
        );
        assert_eq!(health(t, KpiDirection::HigherIsBetter, 50.0, W).unwrap().status, HealthStatus::Breached);
        assert_eq!(health(t, KpiDirection::LowerIsBetter, 80.0, W).unwrap().status, HealthStatus::Healthy);
        assert_eq!(health(t, KpiDirection::LowerIsBetter, 105.0, W).unwrap().status, HealthStatus::Warning);
        let r = Some(Target::Range { low: 10.0, high: 20.0 });
        assert_eq!(health(r, KpiDirection::WithinRange, 15.0, W).unwrap().attainment_pct, 100.0);
        assert_eq!(health(r, KpiDirection::WithinRange, 21.0, W).unwrap().status, HealthStatus::Warning);
        assert_eq!(health(r, KpiDirection::WithinRange, 5.0, W).unwrap().status, HealthStatus::Breached);
        assert_eq!(health(None, KpiDirection::HigherIsBetter, 5.0, W), None);
    }

    #[test]
    fn guardrails_and_completion() {
        // Refund rate ≤ 1.2 %, gross margin ≥ 64 %.
        assert!(guardrail_breached(KpiDirection::LowerIsBetter, Some(1.2), None, 1.3));
        assert!(!guardrail_breached(KpiDirection::LowerIsBetter, Some(1.2), None, 1.2));
        assert!(guardrail_breached(KpiDirection::HigherIsBetter, Some(64.0), None, 63.9));
        assert_eq!(
            completion_share([
                HealthStatus::Healthy,
                HealthStatus::Warning,
                HealthStatus::Healthy,
                HealthStatus::Healthy
            ]),
            Some(75.0)
        );
        assert_eq!(completion_share([]), None);
    }

    #[test]
    fn the_target_in_force_on_a_day() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let (t5, t8) = (Some(Target::Value { value: 5.0 }), Some(Target::Value { value: 8.0 }));
        let changes = [(d(2, 1), t5), (d(5, 1), t8), (d(7, 1), None)];
        assert_eq!(target_on(&changes, None, d(1, 31)), None, "before its first target it had none");
        assert_eq!(target_on(&changes, None, d(2, 1)), t5);
        assert_eq!(target_on(&changes, None, d(6, 30)), t8);
        assert_eq!(target_on(&changes, None, d(8, 1)), None, "its target was removed");
        assert_eq!(target_on(&[], t8, d(1, 1)), t8, "no history: the current one all along");
        // A change backdated before an earlier one wins from its day on: it was made last.
        let backdated = [(d(5, 1), t8), (d(2, 1), t5)];
        assert_eq!(target_on(&backdated, None, d(6, 1)), t5);
        assert_eq!(target_on(&backdated, None, d(3, 1)), t5);
    }

    proptest! {
        #[test]
        fn the_target_in_force_is_the_last_change_made_by_then(
            days in proptest::collection::vec((0i64..400, proptest::option::of(0.0f64..100.0)), 1..8),
            on in 0i64..400,
        ) {
            let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            let changes: Vec<(NaiveDate, Option<Target>)> = days
                .iter()
                .map(|(d, v)| (start + chrono::Duration::days(*d), v.map(|value| Target::Value { value })))
                .collect();
            let day = start + chrono::Duration::days(on);
            let got = target_on(&changes, Some(Target::Value { value: -1.0 }), day);
            let in_force: Vec<&(NaiveDate, Option<Target>)> = changes.iter().filter(|(d, _)| *d <= day).collect();
            prop_assert_eq!(got, in_force.last().and_then(|(_, t)| *t));
        }

        #[test]
        fn attainment_is_monotone_in_the_better_direction(t in 1.0f64..1e4, a in 0.0f64..2e4, b in 0.0f64..2e4) {
            let target = Some(Target::Value { value: t });
            let (lo, hi) = (a.min(b), a.max(b));
            let up = |v| health(target, KpiDirection::HigherIsBetter, v, W).unwrap().attainment_pct;
            let down = |v| health(target, KpiDirection::LowerIsBetter, v, W).unwrap().attainment_pct;
            prop_assert!(up(lo) <= up(hi) + 1e-9);
            prop_assert!(down(hi) <= down(lo) + 1e-9);
            prop_assert!((0.0..=100.0).contains(&up(a)) && (0.0..=100.0).contains(&down(a)));
        }

        #[test]
        fn inside_the_range_is_healthy(low in -1e3f64..1e3, width in 0.0f64..1e3, f in 0.0f64..=1.0) {
            let target = Some(Target::Range { low, high: low + width });
            let h = health(target, KpiDirection::WithinRange, low + f * width, W).unwrap();
            prop_assert_eq!(h.status, HealthStatus::Healthy);
        }
    }
}
