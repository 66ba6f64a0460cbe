//! Calibration (METHOD.md §3) and the roll-out's completion shares (§8), over closed cycles.
//!
//! Averages of 0.6–0.7 on aspirational objectives mean well-calibrated ambition; scores that
//! stay at 1.0 mean sandbagging, scores that stay at 0.3 mean fantasy targets.

use crate::word_enum;
use serde::Serialize;

/// A cycle mean at or above this, every time, reads as sandbagging.
pub const SANDBAG_FROM: f64 = 0.95;
/// A cycle mean at or below this, every time, reads as fantasy.
pub const FANTASY_TO: f64 = 0.3;
/// "Consistently" needs at least this many closed cycles.
pub const MIN_CYCLES: usize = 2;

word_enum!(
    /// What a team's aspirational scores over closed cycles say about its targets.
    CalibrationFlag { Sandbagging = "sandbagging", Fantasy = "fantasy", Calibrated = "calibrated", TooEarly = "too_early" }
);

/// One team's calibration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Mean final score of the aspirational objectives per closed cycle, oldest first.
    pub cycle_means: Vec<f64>,
    /// Mean over every aspirational objective of every cycle.
    pub mean: Option<f64>,
    /// Share of objectives graded a full 1.0.
    pub share_of_ones: Option<f64>,
    pub flag: CalibrationFlag,
}

/// `cycles`: each closed cycle's final aspirational objective scores, oldest first. Cycles
/// without aspirational objectives are skipped.
pub fn calibrate(cycles: &[Vec<f64>]) -> Calibration {
    let graded: Vec<&Vec<f64>> = cycles.iter().filter(|c| !c.is_empty()).collect();
    let cycle_means: Vec<f64> = graded.iter().map(|c| c.iter().sum::<f64>() / c.len() as f64).collect();
    let all: Vec<f64> = graded.iter().flat_map(|c| c.iter().copied()).collect();
    let mean = (!all.is_empty()).then(|| all.iter().sum::<f64>() / all.len() as f64);
    let share_of_ones =
        (!all.is_empty()).then(|| all.iter().filter(|s| **s >= 1.0 - 1e-9).count() as f64 / all.len() as f64);
    let flag = if cycle_means.len() < MIN_CYCLES {
        CalibrationFlag::TooEarly
    } else if cycle_means.iter().all(|m| *m >= SANDBAG_FROM) {
        CalibrationFlag::Sandbagging
    } else if cycle_means.iter().all(|m| *m <= FANTASY_TO) {
        CalibrationFlag::Fantasy
    } else {
        CalibrationFlag::Calibrated
    };
    Calibration { cycle_means, mean, share_of_ones, flag }
}

/// The OKR completion share of §8: the mean final score, as a share (norm 0.67–0.73).
pub fn okr_completion_share(scores: &[f64]) -> Option<f64> {
    (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
}

/// The norms of §8, for display beside the shares.
pub const OKR_COMPLETION_NORM: (f64, f64) = (0.67, 0.73);
pub const KPI_COMPLETION_NORM: (f64, f64) = (0.94, 1.0);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn flags() {
        assert_eq!(calibrate(&[vec![1.0, 1.0], vec![0.95, 1.0]]).flag, CalibrationFlag::Sandbagging);
        assert_eq!(calibrate(&[vec![0.2, 0.3], vec![0.1]]).flag, CalibrationFlag::Fantasy);
        assert_eq!(calibrate(&[vec![0.6, 0.7], vec![0.65]]).flag, CalibrationFlag::Calibrated);
        assert_eq!(calibrate(&[vec![1.0]]).flag, CalibrationFlag::TooEarly, "one cycle is not a habit");
        assert_eq!(calibrate(&[vec![1.0], vec![0.6]]).flag, CalibrationFlag::Calibrated);
        let c = calibrate(&[vec![1.0, 0.5], vec![], vec![0.6]]);
        assert_eq!(c.cycle_means, vec![0.75, 0.6]);
        assert!((c.mean.unwrap() - 0.7).abs() < 1e-12);
        assert!((c.share_of_ones.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(okr_completion_share(&[0.6, 0.8]), Some(0.7));
        assert_eq!(okr_completion_share(&[]), None);
    }

    proptest! {
        #[test]
        fn shares_are_bounded(cycles in proptest::collection::vec(proptest::collection::vec(0.0f64..=1.0, 0..6), 0..6)) {
            let c = calibrate(&cycles);
            if let Some(m) = c.mean { prop_assert!((0.0..=1.0).contains(&m)); }
            if let Some(s) = c.share_of_ones { prop_assert!((0.0..=1.0).contains(&s)); }
            prop_assert!(c.cycle_means.iter().all(|m| (0.0..=1.0 + 1e-12).contains(m)));
        }
    }
}
