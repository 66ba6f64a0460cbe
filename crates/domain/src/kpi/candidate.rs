//! The loop's first arrow (METHOD.md §5.1, §5.4): when a KPI deserves an OKR. A KPI outside
//! its healthy range for two consecutive periods, one that drifts against its direction, or
//! one whose target lies far beyond what its history makes plausible is proposed as the
//! subject of an OKR, with a key result from where it stands to a stretch target from its
//! history. Healthy KPIs stay out of OKRs (§5.3).

use super::definition::{KpiDirection, Target};
use super::drift::{Drift, DriftRule, MIN_REFERENCE, Side, drift};
use super::health::{HealthStatus, health};
use super::stats::{StretchTargets, sample_sd, stretch_targets};
use crate::word_enum;
use serde::Serialize;

/// The latest values judged for drift: enough for every Western Electric rule (8 in a row).
pub const JUDGED: usize = 8;
/// A drift signal counts when it is this recent (the last periods judged).
pub const RECENT: usize = 3;
/// A target further than this many standard deviations from the last value, and at least
/// [`FAR_SHARE`] away from it, needs an OKR ("600 after a quarter of 300", §5.4).
pub const FAR_SDS: f64 = 2.0;
pub const FAR_SHARE: f64 = 0.25;

word_enum!(
    /// Why a KPI is proposed for an OKR.
    CandidateReason {
        /// Breached in each of the last two complete periods after being within reach before
        /// (§5.1: it degraded; a KPI that never met its target is judged by its target's distance).
        OutsideTwice = "outside_healthy_range",
        /// A Western Electric signal against its direction in the latest periods (§9).
        Drifting = "drifting",
        /// The target is more than 2 sd beyond the last period: it needs an OKR to get there (§5.4).
        TargetFarAhead = "target_far_ahead",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub reasons: Vec<CandidateReason>,
    /// The latest complete period's value: the proposed key result's baseline.
    pub current: f64,
    /// The drift signal that counted, if any.
    pub signal: Option<(DriftRule, Side)>,
    /// Stretch targets from the reference history (µ ± 1 / 1.5 / 2 sd in the good direction).
    pub stretch: Option<StretchTargets>,
    /// The proposed key result's target: the KPI's own target when it is ahead and within
    /// reach of the history, else the 1.5 sd stretch (2 sd when 1.5 is not ahead of today).
    pub proposed_target: Option<f64>,
}

/// Whether `value` is better than `than` for a KPI of `direction` (within range: closer to
/// the middle of the range counts as better only through health, so it is never "better" here).
fn better(direction: KpiDirection, value: f64, than: f64) -> bool {
    match direction {
        KpiDirection::HigherIsBetter => value > than,
        KpiDirection::LowerIsBetter => value < than,
        KpiDirection::WithinRange => false,
    }
}

/// Judges a KPI's complete periods (`values`, oldest first; the running period left out).
/// `window` is how many periods its statistics look back over. `None`: it stays a KPI.
pub fn assess(
    values: &[f64],
    direction: KpiDirection,
    target: Option<Target>,
    warning_from_pct: f64,
    window: usize,
) -> Option<Assessment> {
    let current = *values.last()?;
    let mut reasons = Vec::new();
    let breached =
        |v: f64| health(target, direction, v, warning_from_pct).is_some_and(|h| h.status == HealthStatus::Breached);
    // Drift: the periods before the judged ones are the reference.
    let judged = JUDGED.min(values.len().saturating_sub(MIN_REFERENCE));
    let reference_end = values.len() - judged;
    let reference_start = reference_end.saturating_sub(window.max(MIN_REFERENCE));
    let history = &values[reference_start..reference_end];
    let was_within_reach = values[reference_start..values.len().saturating_sub(2)].iter().any(|v| !breached(*v));
    if values.len() >= 2 && values[values.len() - 2..].iter().all(|v| breached(*v)) && was_within_reach {
        reasons.push(CandidateReason::OutsideTwice);
    }
    let mut signal = None;
    if judged > 0
        && let Some(Drift { signals, .. }) = drift(&values[reference_start..], reference_end - reference_start)
    {
        let adverse = |s: Side| match (direction, target) {
            (KpiDirection::HigherIsBetter, _) => s == Side::Below,
            (KpiDirection::LowerIsBetter, _) => s == Side::Above,
            // Within a range: moving away from it is bad, moving towards it is not.
            (KpiDirection::WithinRange, Some(Target::Range { low, .. })) if current < low => s == Side::Below,
            (KpiDirection::WithinRange, Some(Target::Range { high, .. })) if current > high => s == Side::Above,
            (KpiDirection::WithinRange, _) => true,
        };
        signal = signals
            .iter()
            .filter(|s| adverse(s.side) && s.at + RECENT >= judged)
            .min_by_key(|s| s.rule)
            .map(|s| (s.rule, s.side));
        if signal.is_some() {
            reasons.push(CandidateReason::Drifting);
        }
    }
    let stretch = stretch_targets(history, direction == KpiDirection::LowerIsBetter);
    let sd = sample_sd(history);
    let own = match target {
        Some(Target::Value { value }) => Some(value),
        _ => None,
    };
    if let (Some(t), Some(sd)) = (own, sd)
        && better(direction, t, current)
        && (t - current).abs() > FAR_SDS * sd
        && (t - current).abs() >= FAR_SHARE * current.abs()
    {
        reasons.push(CandidateReason::TargetFarAhead);
    }
    if reasons.is_empty() {
        return None;
    }
    if let Some(Target::Range { low, high }) = target
        && direction == KpiDirection::WithinRange
    {
        let inside = (low..=high).contains(&current);
        return Some(Assessment {
            reasons,
            current,
            signal,
            stretch,
            proposed_target: (!inside).then_some((low + high) / 2.0),
        });
    }
    let proposed_target = match (own, stretch) {
        (Some(t), _) if better(direction, t, current) && !reasons.contains(&CandidateReason::TargetFarAhead) => Some(t),
        (_, Some(s)) if better(direction, s.one_and_a_half_sd, current) => Some(s.one_and_a_half_sd),
        (_, Some(s)) if better(direction, s.two_sd, current) => Some(s.two_sd),
        (Some(t), _) if better(direction, t, current) => Some(t),
        _ => None,
    };
    Some(Assessment { reasons, current, signal, stretch, proposed_target })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STEADY: [f64; 12] = [5.0, 5.2, 4.9, 5.1, 5.0, 4.8, 5.2, 5.0, 5.1, 4.9, 5.0, 5.1];
    const DOWN: KpiDirection = KpiDirection::LowerIsBetter;

    fn target(v: f64) -> Option<Target> {
        Some(Target::Value { value: v })
    }

    #[test]
    fn a_healthy_steady_kpi_stays_a_kpi() {
        assert_eq!(assess(&STEADY, DOWN, target(5.5), 90.0, 12), None);
        assert_eq!(assess(&[], DOWN, target(5.5), 90.0, 12), None);
    }

    #[test]
    fn breached_twice_in_a_row_is_proposed() {
        let mut v = STEADY.to_vec();
        v.extend([6.5, 6.6]);
        let a = assess(&v, DOWN, target(5.5), 90.0, 12).unwrap();
        assert!(a.reasons.contains(&CandidateReason::OutsideTwice));
        assert_eq!(a.current, 6.6);
        // Never within reach: not a degradation (its target's distance judges it).
        let never: Vec<f64> = STEADY.iter().map(|v| v + 3.0).collect();
        assert!(
            !assess(&never, DOWN, target(5.5), 90.0, 12)
                .is_some_and(|a| a.reasons.contains(&CandidateReason::OutsideTwice))
        );
        // Once is not yet a trend.
        let mut once = STEADY.to_vec();
        once.extend([5.0, 6.6]);
        assert!(
            !assess(&once, DOWN, target(5.5), 90.0, 12)
                .is_some_and(|a| a.reasons.contains(&CandidateReason::OutsideTwice))
        );
    }

    #[test]
    fn drift_against_the_direction_is_proposed_with_a_stretch_target() {
        let mut v = STEADY.to_vec();
        v.extend([5.3, 5.4, 5.4, 5.5, 5.6, 5.6, 5.7, 5.8]); // creeping up: bad when lower is better
        let a = assess(&v, DOWN, None, 90.0, 12).unwrap();
        assert_eq!(a.reasons, vec![CandidateReason::Drifting]);
        assert_eq!(a.signal.unwrap().1, Side::Above);
        let t = a.proposed_target.unwrap();
        assert!(t < a.current, "the key result moves it back down: {t}");
        assert_eq!(t, a.stretch.unwrap().one_and_a_half_sd);
        // The same move is good news when higher is better: no candidate.
        assert_eq!(assess(&v, KpiDirection::HigherIsBetter, None, 90.0, 12), None);
    }

    #[test]
    fn a_target_far_ahead_needs_an_okr() {
        // Revenue 300 a quarter, target 600 (the seed's example of §5.4).
        let v = [290.0, 310.0, 300.0, 305.0, 295.0, 300.0];
        let a = assess(&v, KpiDirection::HigherIsBetter, target(600.0), 90.0, 12).unwrap();
        assert!(a.reasons.contains(&CandidateReason::TargetFarAhead));
        assert!(a.proposed_target.unwrap() > 300.0 && a.proposed_target.unwrap() < 600.0, "a stretch on the way");
        assert!(
            !assess(&v, KpiDirection::HigherIsBetter, target(310.0), 90.0, 12)
                .is_some_and(|a| a.reasons.contains(&CandidateReason::TargetFarAhead))
        );
        // 2 sd away but only 10 % further: a KPI target, not an OKR.
        let tight = [300.0, 300.5, 299.5, 300.0, 300.2, 299.8];
        assert!(
            !assess(&tight, KpiDirection::HigherIsBetter, target(330.0), 90.0, 12)
                .is_some_and(|a| a.reasons.contains(&CandidateReason::TargetFarAhead))
        );
    }

    #[test]
    fn within_a_range_moving_away_is_drift_and_the_middle_is_the_target() {
        let range = Some(Target::Range { low: 40.0, high: 60.0 });
        let mut v = vec![30.0, 31.0, 29.0, 30.0, 30.5, 29.5, 30.0, 31.0];
        v.extend([33.0; 8]); // rising towards the range: good news
        assert!(
            assess(&v, KpiDirection::WithinRange, range, 90.0, 8)
                .is_none_or(|a| !a.reasons.contains(&CandidateReason::Drifting))
        );
        let mut away = vec![30.0, 31.0, 29.0, 30.0, 30.5, 29.5, 30.0, 31.0];
        away.extend([27.0; 8]);
        let a = assess(&away, KpiDirection::WithinRange, range, 90.0, 8).unwrap();
        assert!(a.reasons.contains(&CandidateReason::Drifting));
        assert_eq!(a.proposed_target, Some(50.0));
    }

    proptest! {
        #[test]
        fn a_proposed_target_always_improves_on_today(xs in proptest::collection::vec(0.0f64..100.0, 6..40), t in 0.0f64..100.0, higher in any::<bool>()) {
            let direction = if higher { KpiDirection::HigherIsBetter } else { KpiDirection::LowerIsBetter };
            if let Some(a) = assess(&xs, direction, target(t), 90.0, 12) {
                prop_assert!(!a.reasons.is_empty());
                if let Some(p) = a.proposed_target {
                    prop_assert!(better(direction, p, a.current));
                }
            }
        }
    }
}
