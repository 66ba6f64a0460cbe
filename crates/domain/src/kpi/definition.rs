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
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
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

/// Key of a KPI: the name formulas use. Lower-case letters, digits and '_', starting with a letter.
pub fn parse_key(raw: &str) -> Result<String, DomainError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(DomainError::Empty { field: "key" });
    }
    if s.len() > 64 {
        return Err(DomainError::TooLong { field: "key", max: 64 });
    }
    let mut chars = s.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok { Ok(s.to_owned()) } else { Err(DomainError::InvalidKey) }
}

/// A key made from a name: "Win rate (MM)" → "win_rate_mm".
pub fn key_from_name(name: &str) -> Option<String> {
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
    parse_key(out.trim_end_matches('_')).ok()
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
    fn keys() {
        assert_eq!(key_from_name("Win rate (MM)").as_deref(), Some("win_rate_mm"));
        assert_eq!(key_from_name("90-day retention").as_deref(), Some("k_90_day_retention"));
        assert!(parse_key("Win-rate").is_err());
        assert!(parse_key("1x").is_err());
        assert!(parse_key("nps_onboarding").is_ok());
    }
}
