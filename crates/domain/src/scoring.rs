//! Scoring (METHOD.md §3): linear from baseline to target, clamped to 0.0–1.0, for
//! "increase" and "reduce" key results alike; objective score = weighted mean of its
//! active key results; colours and success thresholds come from a policy.

use crate::error::finite;
use crate::{DomainError, word_enum};
use serde::Serialize;

word_enum!(
    /// Derived from baseline and target, never typed in.
    Direction { Increase = "increase", Decrease = "decrease" }
);

word_enum!(
    /// green ≥ 0.7, amber 0.4–0.7, red < 0.4 with the default policy.
    Colour { Green = "green", Amber = "amber", Red = "red" }
);

word_enum!(
    /// Aspirational objectives succeed at 0.7, committed ones only at 1.0.
    ObjectiveKind { Aspirational = "aspirational", Committed = "committed" }
);

word_enum!(
    /// A measured key result, or a rare committed milestone scored 0 or 1.
    KeyResultKind { Metric = "metric", Milestone = "milestone" }
);

/// A score in 0.0..=1.0; the constructor clamps, so no other value can exist.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Score(f64);

impl Score {
    pub const ZERO: Score = Score(0.0);
    pub const ONE: Score = Score(1.0);

    /// Clamps into 0..=1 and rounds to 12 decimal places; NaN (which only a bug could
    /// produce) becomes 0. The rounding is decided here, once: (3.4 − 3.0) / (4.0 − 3.0) is
    /// 0.3999999999999999 in floating point and must read as 0.4 everywhere (colour,
    /// success, pace), as a person computing it by hand would.
    pub fn clamped(value: f64) -> Score {
        if value.is_nan() { Score(0.0) } else { Score(round12(value.clamp(0.0, 1.0))) }
    }

    pub fn value(self) -> f64 {
        self.0
    }
}

/// Rounds to 12 decimal places: far below any precision a person types, far above the
/// noise of floating-point arithmetic.
pub fn round12(x: f64) -> f64 {
    if x.is_finite() && x.abs() < 1e6 { (x * 1e12).round() / 1e12 } else { x }
}

/// The numbers a policy may change (METHOD.md: where articles disagree, the number is a
/// setting). `Default` is the method's values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoringPolicy {
    pub green_from: f64,
    pub amber_from: f64,
    pub aspirational_success: f64,
    pub committed_success: f64,
    /// How far a score may sit from the expected progress and still be "on pace".
    pub pace_band: f64,
}

impl Default for ScoringPolicy {
    fn default() -> Self {
        Self { green_from: 0.7, amber_from: 0.4, aspirational_success: 0.7, committed_success: 1.0, pace_band: 0.1 }
    }
}

impl ScoringPolicy {
    pub fn colour(&self, score: Score) -> Colour {
        if score.0 >= self.green_from {
            Colour::Green
        } else if score.0 >= self.amber_from {
            Colour::Amber
        } else {
            Colour::Red
        }
    }

    pub fn success_threshold(&self, kind: ObjectiveKind) -> f64 {
        match kind {
            ObjectiveKind::Aspirational => self.aspirational_success,
            ObjectiveKind::Committed => self.committed_success,
        }
    }

    /// Whether `score` counts as success for an objective of `kind`. The same comparison
    /// as the colour's: a score that shows green at 0.7 is a success at 0.7.
    pub fn is_success(&self, kind: ObjectiveKind, score: Score) -> bool {
        score.0 >= self.success_threshold(kind)
    }
}

/// A positive, finite weight (resource priority of a key result, or of an alignment link).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Weight(f64);

impl Weight {
    pub const ONE: Weight = Weight(1.0);
    pub const MAX: f64 = 1000.0;

    pub fn new(field: &'static str, value: f64) -> Result<Weight, DomainError> {
        let value = finite(field, value)?;
        if value <= 0.0 {
            return Err(DomainError::NotPositive { field });
        }
        if value > Self::MAX {
            return Err(DomainError::TooLong { field, max: Self::MAX as usize });
        }
        Ok(Weight(value))
    }

    pub fn value(self) -> f64 {
        self.0
    }
}

/// What a key result measures: from `baseline` to `target`, with an optional tolerance band
/// around the target within which the result counts as met ("18% → 23% (±1 pp)").
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measure {
    baseline: f64,
    target: f64,
    tolerance: Option<f64>,
}

impl Measure {
    pub fn new(baseline: f64, target: f64, tolerance: Option<f64>) -> Result<Measure, DomainError> {
        let baseline = finite("baseline", baseline)?;
        let target = finite("target", target)?;
        if baseline == target {
            return Err(DomainError::TargetEqualsBaseline { baseline });
        }
        if !(target - baseline).is_finite() {
            // −1e308 → 1e308: the distance does not fit a number, so no score can be computed.
            return Err(DomainError::Overflow { field: "target" });
        }
        let tolerance = match tolerance {
            Some(t) => {
                let t = finite("tolerance", t)?;
                if t < 0.0 {
                    return Err(DomainError::Negative { field: "tolerance" });
                }
                Some(t)
            }
            None => None,
        };
        Ok(Measure { baseline, target, tolerance })
    }

    /// The measure of a milestone: 0 (not done) to 1 (done).
    pub fn milestone() -> Measure {
        Measure { baseline: 0.0, target: 1.0, tolerance: None }
    }

    /// Builds the measure of a key result of `kind`, checking milestone values.
    pub fn for_kind(
        kind: KeyResultKind,
        baseline: f64,
        target: f64,
        tolerance: Option<f64>,
    ) -> Result<Measure, DomainError> {
        match kind {
            KeyResultKind::Metric => Measure::new(baseline, target, tolerance),
            KeyResultKind::Milestone => {
                if baseline != 0.0 {
                    return Err(DomainError::MilestoneNotBinary { field: "baseline" });
                }
                if target != 1.0 {
                    return Err(DomainError::MilestoneNotBinary { field: "target" });
                }
                Ok(Measure::milestone())
            }
        }
    }

    pub fn baseline(&self) -> f64 {
        self.baseline
    }
    pub fn target(&self) -> f64 {
        self.target
    }
    pub fn tolerance(&self) -> Option<f64> {
        self.tolerance
    }

    pub fn direction(&self) -> Direction {
        if self.target > self.baseline { Direction::Increase } else { Direction::Decrease }
    }

    /// score = (actual − baseline) / (target − baseline), clamped to 0..=1. The same
    /// formula serves "reduce" key results, since both differences change sign together.
    pub fn score(&self, actual: f64) -> Score {
        if let Some(tol) = self.tolerance {
            let reached = match self.direction() {
                Direction::Increase => actual >= self.target - tol,
                Direction::Decrease => actual <= self.target + tol,
            };
            if reached {
                return Score::ONE;
            }
        }
        Score::clamped((actual - self.baseline) / (self.target - self.baseline))
    }
}

/// The score of `value` on a key result of `kind`: a milestone is done (1) once its value
/// reaches 1 and not done (0) before, whether the value was typed at a check-in or taken
/// from a linked KPI; a metric scores by its measure.
pub fn score_value(kind: KeyResultKind, measure: &Measure, value: f64) -> Score {
    match kind {
        KeyResultKind::Milestone => {
            if value >= 1.0 {
                Score::ONE
            } else {
                Score::ZERO
            }
        }
        KeyResultKind::Metric => measure.score(value),
    }
}

/// Checks a value typed for a key result of `kind` (a check-in, a current value).
pub fn check_value(kind: KeyResultKind, field: &'static str, value: f64) -> Result<f64, DomainError> {
    let value = finite(field, value)?;
    if kind == KeyResultKind::Milestone && value != 0.0 && value != 1.0 {
        return Err(DomainError::MilestoneNotBinary { field });
    }
    Ok(value)
}

/// Weighted mean of scores; `None` when there is nothing to average.
pub fn weighted_mean<I>(items: I) -> Option<Score>
where
    I: IntoIterator<Item = (Score, Weight)>,
{
    let (sum, weights) =
        items.into_iter().fold((0.0, 0.0), |(s, w), (score, weight)| (s + score.0 * weight.0, w + weight.0));
    (weights > 0.0).then(|| Score::clamped(sum / weights))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nps_example_of_the_method_scores_a_half() {
        // METHOD.md §3: NPS 32 → target 50, actual 41 → 0.5.
        let m = Measure::new(32.0, 50.0, None).unwrap();
        assert_eq!(m.score(41.0).value(), 0.5);
        assert_eq!(m.direction(), Direction::Increase);
    }

    #[test]
    fn reduce_key_results_score_the_same_way() {
        // Churn 3.1 % → 2.0 %: at 2.55 % half the way is done.
        let m = Measure::new(3.1, 2.0, None).unwrap();
        assert_eq!(m.direction(), Direction::Decrease);
        assert!((m.score(2.55).value() - 0.5).abs() < 1e-12);
        assert_eq!(m.score(3.5).value(), 0.0);
        assert_eq!(m.score(1.5).value(), 1.0);
    }

    #[test]
    fn decimals_work() {
        // CSAT 4.1 → 4.5
        let m = Measure::new(4.1, 4.5, None).unwrap();
        assert!((m.score(4.3).value() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn tolerance_band_counts_as_met() {
        let m = Measure::new(18.0, 23.0, Some(1.0)).unwrap();
        assert_eq!(m.score(22.0).value(), 1.0);
        assert!((m.score(21.0).value() - 0.6).abs() < 1e-12);
        let reduce = Measure::new(54.0, 42.0, Some(1.0)).unwrap();
        assert_eq!(reduce.score(43.0).value(), 1.0);
    }

    #[test]
    fn bad_measures_are_refused() {
        assert_eq!(Measure::new(5.0, 5.0, None), Err(DomainError::TargetEqualsBaseline { baseline: 5.0 }));
        assert_eq!(Measure::new(f64::NAN, 5.0, None), Err(DomainError::NotFinite { field: "baseline" }));
        assert_eq!(Measure::new(1.0, f64::INFINITY, None), Err(DomainError::NotFinite { field: "target" }));
        assert_eq!(Measure::new(1.0, 2.0, Some(-1.0)), Err(DomainError::Negative { field: "tolerance" }));
        assert!(Measure::for_kind(KeyResultKind::Milestone, 0.0, 2.0, None).is_err());
        assert!(check_value(KeyResultKind::Milestone, "value", 0.5).is_err());
        assert!(check_value(KeyResultKind::Milestone, "value", 1.0).is_ok());
    }

    #[test]
    fn boundaries_read_the_same_in_colour_success_and_pace() {
        // 3.0 → 4.0 at 3.4 is 0.4 (amber, not red); at 3.7 it is 0.7 (green and a success).
        let m = Measure::new(3.0, 4.0, None).unwrap();
        let p = ScoringPolicy::default();
        assert_eq!(m.score(3.4).value(), 0.4);
        assert_eq!(p.colour(m.score(3.4)), Colour::Amber);
        let at_seven = Measure::new(3.0, 3.4, None).unwrap().score(3.28);
        assert_eq!(at_seven.value(), 0.7);
        assert_eq!(p.colour(at_seven), Colour::Green);
        assert!(p.is_success(ObjectiveKind::Aspirational, at_seven));
    }

    #[test]
    fn distances_too_large_for_a_number_are_refused() {
        assert_eq!(Measure::new(-1e308, 1e308, None), Err(DomainError::Overflow { field: "target" }));
        let wide = Measure::new(-1e307, 1e307, None).unwrap();
        assert_eq!(wide.score(1e307).value(), 1.0);
    }

    #[test]
    fn milestones_score_the_same_from_a_check_in_and_from_a_kpi() {
        let m = Measure::milestone();
        assert_eq!(score_value(KeyResultKind::Milestone, &m, 1.0), Score::ONE);
        assert_eq!(score_value(KeyResultKind::Milestone, &m, 0.0), Score::ZERO);
        assert_eq!(score_value(KeyResultKind::Milestone, &m, 0.7), Score::ZERO, "not done until it reaches 1");
        assert_eq!(score_value(KeyResultKind::Milestone, &m, 3.0), Score::ONE);
        let metric = Measure::new(32.0, 50.0, None).unwrap();
        assert_eq!(score_value(KeyResultKind::Metric, &metric, 41.0).value(), 0.5);
    }

    #[test]
    fn weights_are_positive() {
        assert!(Weight::new("weight", -1.0).is_err());
        assert!(Weight::new("weight", 0.0).is_err());
        assert!(Weight::new("weight", f64::NAN).is_err());
        assert!(Weight::new("weight", 2.5).is_ok());
    }

    #[test]
    fn colours_and_success() {
        let p = ScoringPolicy::default();
        assert_eq!(p.colour(Score::clamped(0.7)), Colour::Green);
        assert_eq!(p.colour(Score::clamped(0.69)), Colour::Amber);
        assert_eq!(p.colour(Score::clamped(0.4)), Colour::Amber);
        assert_eq!(p.colour(Score::clamped(0.39)), Colour::Red);
        assert!(p.is_success(ObjectiveKind::Aspirational, Score::clamped(0.7)));
        assert!(!p.is_success(ObjectiveKind::Committed, Score::clamped(0.99)));
        assert!(p.is_success(ObjectiveKind::Committed, Score::ONE));
    }

    #[test]
    fn weighted_mean_weighs() {
        let s = weighted_mean([(Score::clamped(1.0), Weight::new("w", 3.0).unwrap()), (Score::ZERO, Weight::ONE)]);
        assert_eq!(s, Some(Score::clamped(0.75)));
        assert_eq!(weighted_mean(std::iter::empty()), None);
    }

    fn measure() -> impl Strategy<Value = Measure> {
        (-1e6f64..1e6, -1e6f64..1e6, proptest::option::of(0.0f64..100.0))
            .prop_filter("target differs", |(b, t, _)| (b - t).abs() > 1e-6)
            .prop_map(|(b, t, tol)| Measure::new(b, t, tol).unwrap())
    }

    proptest! {
        #[test]
        fn scores_are_clamped(m in measure(), actual in -1e7f64..1e7) {
            let s = m.score(actual).value();
            prop_assert!((0.0..=1.0).contains(&s));
        }

        #[test]
        fn scores_are_monotone_in_progress(m in measure(), a in -1e7f64..1e7, b in -1e7f64..1e7) {
            // Moving further in the key result's direction never lowers the score.
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            match m.direction() {
                Direction::Increase => prop_assert!(m.score(lo).value() <= m.score(hi).value()),
                Direction::Decrease => prop_assert!(m.score(hi).value() <= m.score(lo).value()),
            }
        }

        #[test]
        fn baseline_scores_zero_and_target_scores_one(m in measure()) {
            prop_assert_eq!(m.score(m.target()).value(), 1.0);
            if m.tolerance().is_none_or(|t| t < (m.target() - m.baseline()).abs()) {
                prop_assert_eq!(m.score(m.baseline()).value(), 0.0);
            }
        }

        #[test]
        fn reduce_is_the_mirror_of_increase(b in -1e6f64..1e6, t in -1e6f64..1e6, actual in -1e7f64..1e7) {
            // Reflecting every number through zero turns an increase KR into a reduce KR
            // with the same score.
            prop_assume!((b - t).abs() > 1e-6);
            let up = Measure::new(b, t, None).unwrap();
            let down = Measure::new(-b, -t, None).unwrap();
            prop_assert!((up.score(actual).value() - down.score(-actual).value()).abs() < 1e-9);
        }

        #[test]
        fn weighted_mean_lies_between_min_and_max(items in proptest::collection::vec((0.0f64..=1.0, 0.01f64..100.0), 1..20)) {
            let pairs: Vec<_> = items.iter().map(|(s, w)| (Score::clamped(*s), Weight::new("w", *w).unwrap())).collect();
            let mean = weighted_mean(pairs.iter().copied()).unwrap().value();
            let min = items.iter().map(|(s, _)| *s).fold(f64::INFINITY, f64::min);
            let max = items.iter().map(|(s, _)| *s).fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(mean >= min - 1e-9 && mean <= max + 1e-9);
        }

        #[test]
        fn success_and_green_agree_at_the_threshold(b in -1e4f64..1e4, span in 0.001f64..1e4, share in 0.0f64..=1.0) {
            // Whatever the numbers, a score shows green exactly when it is an aspirational
            // success (both thresholds are 0.7): one comparison, one rounding.
            let m = Measure::new(b, b + span, None).unwrap();
            let s = m.score(b + share * span);
            let p = ScoringPolicy::default();
            prop_assert_eq!(p.colour(s) == Colour::Green, p.is_success(ObjectiveKind::Aspirational, s));
        }

        #[test]
        fn milestone_scores_are_zero_or_one(v in -10.0f64..10.0) {
            let s = score_value(KeyResultKind::Milestone, &Measure::milestone(), v).value();
            prop_assert!(s == 0.0 || s == 1.0);
            prop_assert_eq!(s == 1.0, v >= 1.0);
        }

        #[test]
        fn colour_is_monotone(a in 0.0f64..=1.0, b in 0.0f64..=1.0) {
            let p = ScoringPolicy::default();
            let rank = |c: Colour| match c { Colour::Red => 0, Colour::Amber => 1, Colour::Green => 2 };
            if a <= b {
                prop_assert!(rank(p.colour(Score::clamped(a))) <= rank(p.colour(Score::clamped(b))));
            }
        }
    }
}
