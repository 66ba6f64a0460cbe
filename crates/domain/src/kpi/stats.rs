//! Statistics with the standard definitions (METHOD.md §9), so a number here equals the
//! same number in a spreadsheet, R or numpy.

use serde::Serialize;

pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() { None } else { Some(xs.iter().sum::<f64>() / xs.len() as f64) }
}

/// Sample standard deviation (n − 1); needs two values.
pub fn sample_sd(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let m = mean(xs)?;
    let ss: f64 = xs.iter().map(|x| (x - m).powi(2)).sum();
    Some((ss / (xs.len() - 1) as f64).sqrt())
}

/// Percentile by linear interpolation between order statistics (Hyndman & Fan type 7:
/// numpy's default, R's `quantile()`, Excel's PERCENTILE.INC). `p` in 0..=1.
pub fn percentile(xs: &[f64], p: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    percentile_sorted(&sorted, p)
}

pub fn percentile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Stretch targets from a KPI's history (METHOD.md §3): mean + 1 / 1.5 / 2 sd, or minus for
/// a KPI where lower is better. + 1–1.5 sd for noisy drivers, + 2 sd for stable ones.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StretchTargets {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub one_sd: f64,
    pub one_and_a_half_sd: f64,
    pub two_sd: f64,
}

pub fn stretch_targets(history: &[f64], lower_is_better: bool) -> Option<StretchTargets> {
    let m = mean(history)?;
    let sd = sample_sd(history)?;
    let sign = if lower_is_better { -1.0 } else { 1.0 };
    Some(StretchTargets {
        n: history.len(),
        mean: m,
        sd,
        one_sd: m + sign * sd,
        one_and_a_half_sd: m + sign * 1.5 * sd,
        two_sd: m + sign * 2.0 * sd,
    })
}

/// Pairs below this say nothing about whether a KPI moves with a key result (METHOD.md §9).
pub const MIN_CORRELATION_PAIRS: usize = 6;

/// Pearson's r over `(x, y)` pairs; `None` below [`MIN_CORRELATION_PAIRS`] pairs or when
/// either side never changes.
pub fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < MIN_CORRELATION_PAIRS {
        return None;
    }
    let n = pairs.len() as f64;
    let (mx, my) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    let r = sxy / (sxx * syy).sqrt();
    r.is_finite().then(|| r.clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn match_numpy() {
        // numpy.percentile([1, 2, 3, 4, 10], [50, 90, 95, 99]) = 3, 7.6, 8.8, 9.76
        let xs = [4.0, 1.0, 10.0, 3.0, 2.0];
        for (p, want) in [(0.5, 3.0), (0.9, 7.6), (0.95, 8.8), (0.99, 9.76)] {
            assert!((percentile(&xs, p).unwrap() - want).abs() < 1e-9, "p{p}");
        }
        // numpy.std([2, 4, 4, 4, 5, 5, 7, 9], ddof=1) = 2.138089935299395
        let ys = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert!((sample_sd(&ys).unwrap() - 2.138_089_935_299_395).abs() < 1e-12);
        assert_eq!(mean(&ys), Some(5.0));
        assert_eq!(sample_sd(&[1.0]), None);
        assert_eq!(percentile(&[], 0.5), None);
        let s = stretch_targets(&ys, false).unwrap();
        assert!((s.two_sd - (5.0 + 2.0 * 2.138_089_935_299_395)).abs() < 1e-12);
        assert!(stretch_targets(&ys, true).unwrap().one_sd < 5.0);
    }

    #[test]
    fn pearson_matches_numpy() {
        // numpy.corrcoef([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 7, 8])[0, 1] = 0.9014600868406593
        let pairs: Vec<(f64, f64)> =
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0].into_iter().zip([2.0, 1.0, 4.0, 3.0, 7.0, 8.0]).collect();
        assert!((pearson(&pairs).unwrap() - 0.901_460_086_840_659_3).abs() < 1e-12);
        assert_eq!(pearson(&pairs[..5]), None, "five pairs are too few");
        assert_eq!(pearson(&[(1.0, 2.0); 6]), None, "no change, no correlation");
    }

    proptest! {
        #[test]
        fn pearson_is_bounded_symmetric_and_scale_free(xs in proptest::collection::vec((-1e3f64..1e3, -1e3f64..1e3), 6..30), k in 0.1f64..10.0, shift in -1e3f64..1e3) {
            if let Some(r) = pearson(&xs) {
                prop_assert!((-1.0..=1.0).contains(&r));
                let swapped: Vec<(f64, f64)> = xs.iter().map(|(x, y)| (*y, *x)).collect();
                prop_assert!((pearson(&swapped).unwrap() - r).abs() < 1e-9);
                let scaled: Vec<(f64, f64)> = xs.iter().map(|(x, y)| (x * k + shift, *y)).collect();
                prop_assert!((pearson(&scaled).unwrap() - r).abs() < 1e-6);
            }
        }

        #[test]
        fn percentiles_are_monotone_and_bounded(xs in proptest::collection::vec(-1e6f64..1e6, 1..50), a in 0.0f64..=1.0, b in 0.0f64..=1.0) {
            let (lo, hi) = (a.min(b), a.max(b));
            let pa = percentile(&xs, lo).unwrap();
            let pb = percentile(&xs, hi).unwrap();
            let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
            let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(pa <= pb + 1e-9);
            prop_assert!(pa >= min - 1e-9 && pb <= max + 1e-9);
            prop_assert!((percentile(&xs, 0.0).unwrap() - min).abs() < 1e-9);
            prop_assert!((percentile(&xs, 1.0).unwrap() - max).abs() < 1e-9);
        }

        #[test]
        fn sd_ignores_shifts_and_scales_with_factor(xs in proptest::collection::vec(-1e3f64..1e3, 2..30), shift in -1e3f64..1e3, k in 0.1f64..10.0) {
            let sd = sample_sd(&xs).unwrap();
            let shifted: Vec<f64> = xs.iter().map(|x| x + shift).collect();
            let scaled: Vec<f64> = xs.iter().map(|x| x * k).collect();
            prop_assert!((sample_sd(&shifted).unwrap() - sd).abs() < 1e-6 * (1.0 + sd));
            prop_assert!((sample_sd(&scaled).unwrap() - k * sd).abs() < 1e-6 * (1.0 + k * sd));
            prop_assert!(sd >= 0.0);
        }

        #[test]
        fn stretch_targets_are_ordered(xs in proptest::collection::vec(-1e3f64..1e3, 2..30), lower in any::<bool>()) {
            let s = stretch_targets(&xs, lower).unwrap();
            if lower {
                prop_assert!(s.two_sd <= s.one_and_a_half_sd && s.one_and_a_half_sd <= s.one_sd && s.one_sd <= s.mean);
            } else {
                prop_assert!(s.two_sd >= s.one_and_a_half_sd && s.one_and_a_half_sd >= s.one_sd && s.one_sd >= s.mean);
            }
        }
    }
}
