//! Period values from raw measurements. A period keeps running totals (count, sum, min, max,
//! last) so new points update it without rereading history; percentiles are recomputed from
//! the period's own points only.

use super::definition::Aggregation;
use super::stats::percentile;

/// Running totals of one period (and one segment).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Running {
    pub count: i64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    /// Time of the latest point (microseconds since the epoch) and its value.
    pub last_at: i64,
    pub last_value: f64,
}

impl Running {
    pub fn one(at: i64, value: f64) -> Running {
        Running { count: 1, sum: value, min: value, max: value, last_at: at, last_value: value }
    }

    pub fn add(&mut self, at: i64, value: f64) {
        *self = self.merge(Running::one(at, value));
    }

    /// Totals of two disjoint sets of points.
    pub fn merge(self, other: Running) -> Running {
        let (last_at, last_value) = if other.last_at >= self.last_at {
            (other.last_at, other.last_value)
        } else {
            (self.last_at, self.last_value)
        };
        Running {
            count: self.count + other.count,
            sum: self.sum + other.sum,
            min: self.min.min(other.min),
            max: self.max.max(other.max),
            last_at,
            last_value,
        }
    }

    pub fn of(points: impl IntoIterator<Item = (i64, f64)>) -> Option<Running> {
        points.into_iter().map(|(at, v)| Running::one(at, v)).reduce(Running::merge)
    }

    /// The period's value by the KPI's rule. Percentiles need the period's values;
    /// derived KPIs have no value of their own here.
    pub fn value(&self, aggregation: Aggregation, values: Option<&[f64]>) -> Option<f64> {
        match aggregation {
            Aggregation::Sum => Some(self.sum),
            Aggregation::Mean => (self.count > 0).then(|| self.sum / self.count as f64),
            Aggregation::Min => Some(self.min),
            Aggregation::Max => Some(self.max),
            Aggregation::Last => Some(self.last_value),
            Aggregation::Count => Some(self.count as f64),
            Aggregation::P50 | Aggregation::P90 | Aggregation::P95 | Aggregation::P99 => {
                percentile(values?, aggregation.percentile().expect("a percentile aggregation"))
            }
            Aggregation::Formula => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn values_by_rule() {
        let r = Running::of([(3, 5.0), (1, 1.0), (2, 3.0)]).unwrap();
        assert_eq!(r.value(Aggregation::Sum, None), Some(9.0));
        assert_eq!(r.value(Aggregation::Mean, None), Some(3.0));
        assert_eq!(r.value(Aggregation::Min, None), Some(1.0));
        assert_eq!(r.value(Aggregation::Max, None), Some(5.0));
        assert_eq!(r.value(Aggregation::Last, None), Some(5.0));
        assert_eq!(r.value(Aggregation::Count, None), Some(3.0));
        assert_eq!(r.value(Aggregation::P50, Some(&[1.0, 3.0, 5.0])), Some(3.0));
        assert_eq!(r.value(Aggregation::P90, None), None);
    }

    proptest! {
        #[test]
        fn incremental_equals_from_scratch(points in proptest::collection::vec((0i64..1000, -1e6f64..1e6), 1..60), split in 0usize..60) {
            // Adding points one by one, or merging two halves, gives the same totals as
            // computing them from all points at once.
            let split = split.min(points.len());
            let all = Running::of(points.iter().copied()).unwrap();
            let mut one_by_one = Running::one(points[0].0, points[0].1);
            for &(at, v) in &points[1..] { one_by_one.add(at, v); }
            prop_assert_eq!(all.count, one_by_one.count);
            prop_assert!((all.sum - one_by_one.sum).abs() < 1e-6);
            prop_assert_eq!((all.min, all.max, all.last_at), (one_by_one.min, one_by_one.max, one_by_one.last_at));
            if split > 0 && split < points.len() {
                let merged = Running::of(points[..split].iter().copied()).unwrap().merge(Running::of(points[split..].iter().copied()).unwrap());
                prop_assert_eq!(merged.count, all.count);
                prop_assert!((merged.sum - all.sum).abs() < 1e-6);
                prop_assert_eq!((merged.min, merged.max, merged.last_at), (all.min, all.max, all.last_at));
            }
        }
    }
}
