//! Drift (METHOD.md §9): an individuals (XmR) control chart over a KPI's periods — centre =
//! mean of the reference window, σ̂ = average moving range ÷ 1.128 — read with the Western
//! Electric rules. A KPI that drifts is a candidate for an OKR (§5.1).

use crate::word_enum;
use serde::Serialize;

/// d₂ for moving ranges of two: the constant that turns the average moving range into σ̂.
pub const D2: f64 = 1.128;

/// A reference window shorter than this says too little about the process.
pub const MIN_REFERENCE: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ControlLimits {
    pub centre: f64,
    /// σ̂ = average moving range ÷ 1.128.
    pub sigma: f64,
    pub average_moving_range: f64,
    pub reference_points: usize,
}

impl ControlLimits {
    pub fn upper(&self, k: f64) -> f64 {
        self.centre + k * self.sigma
    }
    pub fn lower(&self, k: f64) -> f64 {
        self.centre - k * self.sigma
    }
}

/// The limits from a reference window (oldest first); `None` below [`MIN_REFERENCE`] points.
pub fn limits(reference: &[f64]) -> Option<ControlLimits> {
    if reference.len() < MIN_REFERENCE || reference.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let centre = reference.iter().sum::<f64>() / reference.len() as f64;
    let ranges: Vec<f64> = reference.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    let average_moving_range = ranges.iter().sum::<f64>() / ranges.len() as f64;
    Some(ControlLimits {
        centre,
        sigma: average_moving_range / D2,
        average_moving_range,
        reference_points: reference.len(),
    })
}

word_enum!(
    /// The Western Electric rules, in the order of the textbook.
    DriftRule {
        /// One point beyond 3σ̂.
        BeyondThreeSigma = "beyond_3_sigma",
        /// Two of three successive points beyond 2σ̂ on the same side.
        TwoOfThreeBeyondTwoSigma = "2_of_3_beyond_2_sigma",
        /// Four of five successive points beyond 1σ̂ on the same side.
        FourOfFiveBeyondOneSigma = "4_of_5_beyond_1_sigma",
        /// Eight successive points on the same side of the centre.
        EightOnOneSide = "8_on_one_side",
    }
);

word_enum!(Side { Above = "above", Below = "below" });

/// One rule that fired, at the point (index into the values) that completed its pattern.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Signal {
    pub rule: DriftRule,
    pub side: Side,
    pub at: usize,
}

/// Every signal in `values` (oldest first) against `limits`. σ̂ = 0 (a constant reference)
/// makes any change a signal beyond 3σ̂, which it is.
pub fn signals(limits: &ControlLimits, values: &[f64]) -> Vec<Signal> {
    let mut out = Vec::new();
    let side = |v: f64| {
        if v > limits.centre {
            Some(Side::Above)
        } else if v < limits.centre {
            Some(Side::Below)
        } else {
            None
        }
    };
    let beyond = |v: f64, k: f64, s: Side| match s {
        Side::Above => v > limits.upper(k),
        Side::Below => v < limits.lower(k),
    };
    for (i, &v) in values.iter().enumerate() {
        for s in [Side::Above, Side::Below] {
            if beyond(v, 3.0, s) {
                out.push(Signal { rule: DriftRule::BeyondThreeSigma, side: s, at: i });
            }
            let window = |n: usize| &values[(i + 1).saturating_sub(n)..=i];
            let w3 = window(3);
            if w3.len() == 3 && beyond(v, 2.0, s) && w3.iter().filter(|x| beyond(**x, 2.0, s)).count() >= 2 {
                out.push(Signal { rule: DriftRule::TwoOfThreeBeyondTwoSigma, side: s, at: i });
            }
            let w5 = window(5);
            if w5.len() == 5 && beyond(v, 1.0, s) && w5.iter().filter(|x| beyond(**x, 1.0, s)).count() >= 4 {
                out.push(Signal { rule: DriftRule::FourOfFiveBeyondOneSigma, side: s, at: i });
            }
            let w8 = window(8);
            if w8.len() == 8 && w8.iter().all(|x| side(*x) == Some(s)) {
                out.push(Signal { rule: DriftRule::EightOnOneSide, side: s, at: i });
            }
        }
    }
    out
}

/// The drift verdict over a KPI's periods: the first `reference` values set the limits, the
/// rest are judged. `None` when the reference is too short to say.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    pub limits: ControlLimits,
    /// Signals among the judged values, `at` counted from the first judged value.
    pub signals: Vec<Signal>,
}

pub fn drift(history: &[f64], reference: usize) -> Option<Drift> {
    let reference = reference.min(history.len());
    let limits = limits(&history[..reference])?;
    Some(Drift { limits, signals: signals(&limits, &history[reference..]) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STEADY: [f64; 10] = [10.0, 11.0, 9.0, 10.0, 10.5, 9.5, 10.0, 11.0, 9.0, 10.0];

    #[test]
    fn limits_follow_the_xmr_definition() {
        let l = limits(&[10.0, 12.0, 11.0, 13.0, 12.0]).unwrap();
        assert!((l.centre - 11.6).abs() < 1e-12);
        // Moving ranges 2, 1, 2, 1 → mean 1.5 → σ̂ = 1.5 / 1.128.
        assert!((l.average_moving_range - 1.5).abs() < 1e-12);
        assert!((l.sigma - 1.5 / 1.128).abs() < 1e-12);
        assert!(limits(&[1.0, 2.0, 3.0, 4.0]).is_none());
    }

    #[test]
    fn each_western_electric_rule_fires_and_stays_silent() {
        let l = limits(&STEADY).unwrap(); // centre 10, mr ≈ 1.0556, σ̂ ≈ 0.9358
        let fired = |vs: &[f64]| signals(&l, vs).into_iter().map(|s| (s.rule, s.side)).collect::<Vec<_>>();
        assert!(fired(&STEADY).is_empty(), "its own reference is in control");
        assert!(fired(&[10.0, 13.5]).contains(&(DriftRule::BeyondThreeSigma, Side::Above)));
        assert!(fired(&[10.0, 7.9, 10.0, 7.9]).contains(&(DriftRule::TwoOfThreeBeyondTwoSigma, Side::Below)));
        assert!(!fired(&[7.9, 10.0, 10.0, 7.9]).iter().any(|f| f.0 == DriftRule::TwoOfThreeBeyondTwoSigma));
        assert!(fired(&[11.0, 11.0, 10.0, 11.0, 11.0]).contains(&(DriftRule::FourOfFiveBeyondOneSigma, Side::Above)));
        assert!(fired(&[10.2; 8]).contains(&(DriftRule::EightOnOneSide, Side::Above)));
        assert!(!fired(&[10.2; 7]).iter().any(|f| f.0 == DriftRule::EightOnOneSide));
        let d = drift(&[STEADY.as_slice(), &[10.2; 8]].concat(), STEADY.len()).unwrap();
        assert_eq!(d.signals.last().unwrap().at, 7);
    }

    proptest! {
        #[test]
        fn a_constant_shift_of_the_judged_values_never_reduces_the_eight_rule(xs in proptest::collection::vec(0.0f64..100.0, 5..30), shift in 50.0f64..200.0) {
            let l = limits(&xs).unwrap();
            let shifted: Vec<f64> = (0..8).map(|_| l.centre + shift).collect();
            prop_assert!(signals(&l, &shifted).iter().any(|s| s.rule == DriftRule::EightOnOneSide && s.side == Side::Above));
            prop_assert!(l.sigma >= 0.0);
        }

        #[test]
        fn limits_move_with_the_data(xs in proptest::collection::vec(-1e3f64..1e3, 5..30), shift in -1e3f64..1e3) {
            let a = limits(&xs).unwrap();
            let moved: Vec<f64> = xs.iter().map(|x| x + shift).collect();
            let b = limits(&moved).unwrap();
            prop_assert!((b.centre - a.centre - shift).abs() < 1e-6 * (1.0 + shift.abs() + a.centre.abs()));
            prop_assert!((b.sigma - a.sigma).abs() < 1e-6 * (1.0 + a.sigma));
        }
    }
}
