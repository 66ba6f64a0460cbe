//! The fields of a KPI one-pager that are words or numbers with rules.

use crate::{DomainError, error::finite, word_enum};

word_enum!(
    /// How often the KPI is refreshed and reviewed.
    Cadence { Daily = "daily", Weekly = "weekly", Monthly = "monthly" }
);

word_enum!(
    /// How raw measurements of one period become the period's value.
    Aggregation {
        Sum = "sum",
        Mean = "mean",
        Min = "min",
        Max = "max",
        Last = "last",
        Count = "count",
        P50 = "p50",
        P90 = "p90",
        P95 = "p95",
        P99 = "p99",
        /// Derived from other KPIs by a formula (`won / qualified * 100`); no raw points.
        Formula = "formula",
    }
);

impl Aggregation {
    /// The percentile a percentile aggregation takes, in 0..=1.
    pub fn percentile(self) -> Option<f64> {
        match self {
            Aggregation::P50 => Some(0.5),
            Aggregation::P90 => Some(0.9),
            Aggregation::P95 => Some(0.95),
            Aggregation::P99 => Some(0.99),
            _ => None,
        }
    }

    pub fn is_derived(self) -> bool {
        self == Aggregation::Formula
    }
}

word_enum!(
    KpiDirection { HigherIsBetter = "higher_is_better", LowerIsBetter = "lower_is_better", WithinRange = "within_range" }
);

word_enum!(
    /// A KPI is a metric designated as a vital sign (METHOD.md §2).
    KpiClass { Kpi = "kpi", Metric = "metric" }
);

word_enum!(Timing { Leading = "leading", Lagging = "lagging" });

word_enum!(Flow { Input = "input", Output = "output" });

word_enum!(
    /// What the number is about; speed and volume KPIs want a quality counterweight.
    Nature { Speed = "speed", Volume = "volume", Quality = "quality", Cost = "cost", Other = "other" }
);

impl Nature {
    pub fn needs_counterweight(self) -> bool {
        matches!(self, Nature::Speed | Nature::Volume)
    }
}

/// A target value or a healthy range, consistent with the direction.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    Value { value: f64 },
    Range { low: f64, high: f64 },
}

impl Target {
    /// Checks the numbers against the direction: a range needs `within_range`, a value the two others.
    pub fn new(
        direction: KpiDirection,
        value: Option<f64>,
        low: Option<f64>,
        high: Option<f64>,
    ) -> Result<Option<Target>, DomainError> {
        match direction {
            KpiDirection::WithinRange => match (low, high) {
                (Some(l), Some(h)) => {
                    let (l, h) = (finite("range_low", l)?, finite("range_high", h)?);
                    if l > h {
                        return Err(DomainError::RangeInverted);
                    }
                    Ok(Some(Target::Range { low: l, high: h }))
                }
                (None, None) => Ok(None),
                _ => Err(DomainError::Empty { field: if low.is_none() { "range_low" } else { "range_high" } }),
            },
            _ => {
                if low.is_some() || high.is_some() {
                    return Err(DomainError::RangeNeedsWithinRange);
                }
                value.map(|v| finite("target", v).map(|value| Target::Value { value })).transpose()
            }
        }
    }
}

impl Target {
    /// Checks that this target fits a KPI of `direction` (the direction is fixed at creation).
    pub fn fit(self, direction: KpiDirection) -> Result<Target, DomainError> {
        let (v, lo, hi) = match self {
            Target::Value { value } => (Some(value), None, None),
            Target::Range { low, high } => (None, Some(low), Some(high)),
        };
        Ok(Target::new(direction, v, lo, hi)?.unwrap_or(self))
    }
}

/// Key of a KPI: the name formulas use. Lower-case letters, digits and '_', starting with a
/// letter, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct KpiKey(String);

impl KpiKey {
    pub fn parse(raw: &str) -> Result<KpiKey, DomainError> {
        let s = crate::text::plain("key", raw)?.trim();
        if s.is_empty() {
            return Err(DomainError::Empty { field: "key" });
        }
        if s.len() > 64 {
            return Err(DomainError::TooLong { field: "key", max: 64 });
        }
        let mut chars = s.chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok { Ok(KpiKey(s.to_owned())) } else { Err(DomainError::InvalidKey) }
    }

    /// A key made from a name: "Win rate (MM)" → "win_rate_mm".
    pub fn from_name(name: &str) -> Option<KpiKey> {
        let mut out = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
        let out: String = out.trim_end_matches('_').chars().take(64).collect();
        let out = if out.starts_with(|c: char| c.is_ascii_digit()) { format!("k_{out}") } else { out };
        KpiKey::parse(out.trim_end_matches('_')).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The aggregation of a new KPI: a formula makes it derived (`formula`), anything else
/// defaults to `sum`. A formula with another aggregation, or `formula` without one, is refused.
pub fn aggregation_for(has_formula: bool, requested: Option<Aggregation>) -> Result<Aggregation, DomainError> {
    match (has_formula, requested) {
        (true, None | Some(Aggregation::Formula)) => Ok(Aggregation::Formula),
        (true, Some(_)) => Err(DomainError::FormulaAggregation),
        (false, Some(Aggregation::Formula)) => Err(DomainError::FormulaMissing),
        (false, a) => Ok(a.unwrap_or(Aggregation::Sum)),
    }
}

/// A guardrail needs what decides its breach: a threshold, or for a within-range KPI its range.
pub fn check_guardrail(
    guardrail: bool,
    direction: KpiDirection,
    threshold: Option<f64>,
    target: Option<Target>,
) -> Result<(), DomainError> {
    if !guardrail {
        return Ok(());
    }
    match direction {
        KpiDirection::WithinRange if matches!(target, Some(Target::Range { .. })) => Ok(()),
        KpiDirection::WithinRange => Err(DomainError::GuardrailNeedsThreshold {
            field: "range_low",
            message: "a within-range guardrail needs its healthy range",
        }),
        _ if threshold.is_some() => Ok(()),
        _ => Err(DomainError::GuardrailNeedsThreshold {
            field: "guardrail_threshold",
            message: "a guardrail needs its threshold (e.g. refund rate ≤ 1.2: threshold 1.2, lower is better)",
        }),
    }
}

/// Declared bounds of valid values: finite, and the lower one not above the upper one.
pub fn check_bounds(min: Option<f64>, max: Option<f64>) -> Result<(), DomainError> {
    if let Some(v) = min {
        finite("valid_min", v)?;
    }
    if let Some(v) = max {
        finite("valid_max", v)?;
    }
    match (min, max) {
        (Some(lo), Some(hi)) if lo > hi => Err(DomainError::BoundsInverted),
        _ => Ok(()),
    }
}

/// The attainment from which a miss is a warning rather than a breach, a percentage.
pub fn check_warning_pct(pct: f64) -> Result<f64, DomainError> {
    let pct = finite("warning_from_pct", pct)?;
    if !(0.0..=100.0).contains(&pct) {
        return Err(DomainError::OutOfRange { field: "warning_from_pct", min: 0.0, max: 100.0 });
    }
    Ok(pct)
}

/// The trailing window for mean ± sd and stretch targets, in periods of the cadence.
pub fn check_window(periods: i64) -> Result<i64, DomainError> {
    crate::error::within("window_periods", periods, 2, 520)
}

/// A KPI cannot balance itself.
pub fn check_counterweight<T: PartialEq>(own: Option<T>, counterweight: Option<T>) -> Result<(), DomainError> {
    match (own, counterweight) {
        (Some(a), Some(b)) if a == b => Err(DomainError::CounterweightSelf),
        _ => Ok(()),
    }
}

/// The counterweight rule (METHOD.md §2): a speed or volume KPI that is not paired with a
/// quality KPI — it has no counterweight and is no other KPI's counterweight — is a warning.
pub fn missing_counterweight(nature: Nature, has_counterweight: bool, is_a_counterweight: bool) -> bool {
    nature.needs_counterweight() && !has_counterweight && !is_a_counterweight
}

/// Earliest and latest accepted measurement times, relative to now.
pub const MAX_FUTURE_HOURS: i64 = 24;

/// Checks one raw measurement: a finite value, a time between 1970 and a day from now, a
/// segment label of at most 100 characters.
pub fn check_measurement(
    at: chrono::DateTime<chrono::Utc>,
    value: f64,
    segment: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DomainError> {
    finite("value", value)?;
    if let Some(s) = segment {
        crate::text::plain("segment", s)?;
    }
    if at.timestamp() < 0 || at > now + chrono::Duration::hours(MAX_FUTURE_HOURS) {
        return Err(DomainError::TimestampOutOfRange);
    }
    if segment.is_some_and(|s| s.chars().count() > 100) {
        return Err(DomainError::TooLong { field: "segment", max: 100 });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_follow_the_direction() {
        assert_eq!(
            Target::new(KpiDirection::HigherIsBetter, Some(5.0), None, None),
            Ok(Some(Target::Value { value: 5.0 }))
        );
        assert_eq!(
            Target::new(KpiDirection::WithinRange, None, Some(1.0), Some(2.0)),
            Ok(Some(Target::Range { low: 1.0, high: 2.0 }))
        );
        assert_eq!(Target::new(KpiDirection::WithinRange, None, Some(3.0), Some(2.0)), Err(DomainError::RangeInverted));
        assert!(Target::new(KpiDirection::LowerIsBetter, None, Some(1.0), Some(2.0)).is_err());
        assert!(Target::new(KpiDirection::WithinRange, None, Some(1.0), None).is_err());
        assert!(Target::new(KpiDirection::HigherIsBetter, Some(f64::NAN), None, None).is_err());
    }

    #[test]
    fn definition_rules() {
        assert_eq!(aggregation_for(true, None), Ok(Aggregation::Formula));
        assert_eq!(aggregation_for(true, Some(Aggregation::Mean)), Err(DomainError::FormulaAggregation));
        assert_eq!(aggregation_for(false, Some(Aggregation::Formula)), Err(DomainError::FormulaMissing));
        assert_eq!(aggregation_for(false, None), Ok(Aggregation::Sum));
        assert!(check_guardrail(true, KpiDirection::LowerIsBetter, None, None).is_err());
        assert!(check_guardrail(true, KpiDirection::LowerIsBetter, Some(1.2), None).is_ok());
        assert!(check_guardrail(true, KpiDirection::WithinRange, Some(1.0), None).is_err());
        assert!(check_guardrail(false, KpiDirection::LowerIsBetter, None, None).is_ok());
        assert_eq!(check_bounds(Some(2.0), Some(1.0)), Err(DomainError::BoundsInverted));
        assert!(check_bounds(Some(f64::NAN), None).is_err());
        assert!(check_warning_pct(101.0).is_err() && check_warning_pct(90.0).is_ok());
        assert!(check_window(1).is_err() && check_window(12).is_ok());
        assert_eq!(check_counterweight(Some(1), Some(1)), Err(DomainError::CounterweightSelf));
        assert!(check_counterweight(Some(1), Some(2)).is_ok());
        assert!(missing_counterweight(Nature::Speed, false, false));
        assert!(!missing_counterweight(Nature::Speed, false, true), "being another KPI's counterweight pairs it");
        assert!(!missing_counterweight(Nature::Quality, false, false));
    }

    #[test]
    fn keys() {
        assert_eq!(KpiKey::from_name("Win rate (MM)").unwrap().as_str(), "win_rate_mm");
        assert_eq!(KpiKey::from_name("90-day retention").unwrap().as_str(), "k_90_day_retention");
        assert!(KpiKey::parse("Win-rate").is_err());
        assert!(KpiKey::parse("1x").is_err());
        assert!(KpiKey::parse("nps\u{0}").is_err());
        assert!(KpiKey::parse("nps_onboarding").is_ok());
    }
}
