//! Time-aware status: a 0.3 in week 3 reads differently from a 0.3 in week 12.

use crate::cycle::CycleDates;
use crate::scoring::{Score, ScoringPolicy};
use crate::word_enum;
use chrono::NaiveDate;

word_enum!(
    /// Score against the share of the cycle elapsed.
    PaceStatus { Ahead = "ahead", OnPace = "on_pace", Behind = "behind" }
);

/// Expected progress by the end of `today`: the share of the cycle elapsed, assuming
/// linear progress from the first day to the last.
pub fn expected_progress(dates: &CycleDates, today: NaiveDate) -> f64 {
    dates.elapsed_share(today)
}

/// Ahead, on pace or behind, within the policy's band around the expected progress.
pub fn pace(score: Score, expected: f64, policy: &ScoringPolicy) -> PaceStatus {
    // Rounded like the score itself, so a boundary reads the same wherever it is compared.
    let delta = crate::scoring::round12(score.value() - expected);
    if delta > policy.pace_band {
        PaceStatus::Ahead
    } else if delta < -policy.pace_band {
        PaceStatus::Behind
    } else {
        PaceStatus::OnPace
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_same_score_reads_differently_over_time() {
        let q = CycleDates::quarter_of("2026-10-01".parse().unwrap());
        let p = ScoringPolicy::default();
        let week1 = expected_progress(&q, "2026-10-07".parse().unwrap());
        let week3 = expected_progress(&q, "2026-10-21".parse().unwrap());
        let week12 = expected_progress(&q, "2026-12-20".parse().unwrap());
        assert_eq!(pace(Score::clamped(0.3), week1, &p), PaceStatus::Ahead);
        assert_eq!(pace(Score::clamped(0.3), week3, &p), PaceStatus::OnPace);
        assert_eq!(pace(Score::clamped(0.3), week12, &p), PaceStatus::Behind);
        assert_eq!(pace(Score::clamped(0.25), week3, &p), PaceStatus::OnPace);
    }

    proptest! {
        #[test]
        fn pace_is_monotone_in_score(a in 0.0f64..=1.0, b in 0.0f64..=1.0, e in 0.0f64..=1.0) {
            let p = ScoringPolicy::default();
            let rank = |s: PaceStatus| match s { PaceStatus::Behind => 0, PaceStatus::OnPace => 1, PaceStatus::Ahead => 2 };
            if a <= b {
                prop_assert!(rank(pace(Score::clamped(a), e, &p)) <= rank(pace(Score::clamped(b), e, &p)));
            }
        }

        #[test]
        fn expected_progress_is_monotone_in_time(offset_a in -200i64..400, offset_b in -200i64..400) {
            let q = CycleDates::quarter_of("2026-10-01".parse().unwrap());
            let start: NaiveDate = "2026-10-01".parse().unwrap();
            let (lo, hi) = (offset_a.min(offset_b), offset_a.max(offset_b));
            let a = expected_progress(&q, start + chrono::Duration::days(lo));
            let b = expected_progress(&q, start + chrono::Duration::days(hi));
            prop_assert!((0.0..=1.0).contains(&a) && a <= b);
        }
    }
}
