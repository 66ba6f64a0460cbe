//! Cycles: the time box an OKR lives in (METHOD.md §3). A quarter by default; 6-week,
//! half-year and custom ranges are valid too.

use crate::{DomainError, word_enum};
use chrono::{Datelike, Days, Months, NaiveDate};

word_enum!(
    /// How long a cycle runs.
    CycleKind { Quarter = "quarter", SixWeeks = "six_weeks", HalfYear = "half_year", Custom = "custom" }
);

word_enum!(
    /// planning → active → closed. A closed cycle is graded and read-only.
    CycleState { Planning = "planning", Active = "active", Closed = "closed" }
);

impl CycleState {
    /// The states a cycle may move to from this one.
    pub fn can_move_to(self, to: CycleState) -> bool {
        matches!((self, to), (CycleState::Planning, CycleState::Active) | (CycleState::Active, CycleState::Closed))
    }

    pub fn transition(self, to: CycleState) -> Result<CycleState, DomainError> {
        if self.can_move_to(to) {
            Ok(to)
        } else {
            Err(DomainError::InvalidTransition { entity: "cycle", from: self.as_str(), to: to.as_str() })
        }
    }
}

/// The first and last day of a cycle, both inclusive. `start <= end` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleDates {
    start: NaiveDate,
    end: NaiveDate,
}

impl CycleDates {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Self, DomainError> {
        if end < start {
            return Err(DomainError::CycleEndsBeforeStart { start, end });
        }
        Ok(Self { start, end })
    }

    /// The dates of a cycle of `kind` starting on `start`; a custom cycle needs `end`.
    pub fn for_kind(kind: CycleKind, start: NaiveDate, end: Option<NaiveDate>) -> Result<Self, DomainError> {
        let derived = match kind {
            CycleKind::Quarter => start.checked_add_months(Months::new(3)),
            CycleKind::HalfYear => start.checked_add_months(Months::new(6)),
            CycleKind::SixWeeks => start.checked_add_days(Days::new(42)),
            CycleKind::Custom => None,
        }
        .and_then(|next| next.pred_opt());
        match (end, derived) {
            (Some(end), _) => Self::new(start, end),
            (None, Some(end)) => Self::new(start, end),
            (None, None) => Err(DomainError::CycleNeedsEnd),
        }
    }

    /// The calendar quarter that holds `day`.
    pub fn quarter_of(day: NaiveDate) -> Self {
        let first_month = (day.month0() / 3) * 3 + 1;
        let start = NaiveDate::from_ymd_opt(day.year(), first_month, 1).expect("valid quarter start");
        Self::for_kind(CycleKind::Quarter, start, None).expect("a quarter has dates")
    }

    pub fn start(&self) -> NaiveDate {
        self.start
    }
    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// Number of days in the cycle, counting both ends.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day <= self.end
    }

    /// Share of the cycle that has passed by the end of `today`, in 0..=1.
    pub fn elapsed_share(&self, today: NaiveDate) -> f64 {
        let elapsed = ((today - self.start).num_days() + 1).clamp(0, self.days());
        elapsed as f64 / self.days() as f64
    }

    /// The name people use for a cycle: "2026-Q4", "2026-H2", or the date range.
    pub fn default_name(&self, kind: CycleKind) -> String {
        let (y, m) = (self.start.year(), self.start.month());
        match kind {
            CycleKind::Quarter if self.start.day() == 1 && (m - 1) % 3 == 0 => {
                format!("{y}-Q{}", (m - 1) / 3 + 1)
            }
            CycleKind::HalfYear if self.start.day() == 1 && (m == 1 || m == 7) => {
                format!("{y}-H{}", if m == 1 { 1 } else { 2 })
            }
            _ => format!("{} – {}", self.start, self.end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn quarters_are_calendar_quarters() {
        let q = CycleDates::quarter_of(d("2026-11-24"));
        assert_eq!((q.start(), q.end()), (d("2026-10-01"), d("2026-12-31")));
        assert_eq!(q.days(), 92);
        assert_eq!(q.default_name(CycleKind::Quarter), "2026-Q4");
        let q1 = CycleDates::quarter_of(d("2027-02-28"));
        assert_eq!((q1.start(), q1.end()), (d("2027-01-01"), d("2027-03-31")));
    }

    #[test]
    fn kinds_derive_their_end() {
        let six = CycleDates::for_kind(CycleKind::SixWeeks, d("2026-01-05"), None).unwrap();
        assert_eq!(six.days(), 42);
        let half = CycleDates::for_kind(CycleKind::HalfYear, d("2026-07-01"), None).unwrap();
        assert_eq!(half.end(), d("2026-12-31"));
        assert_eq!(half.default_name(CycleKind::HalfYear), "2026-H2");
        assert_eq!(CycleDates::for_kind(CycleKind::Custom, d("2026-07-01"), None), Err(DomainError::CycleNeedsEnd));
        assert!(CycleDates::new(d("2026-07-02"), d("2026-07-01")).is_err());
    }

    #[test]
    fn elapsed_share_runs_from_first_to_last_day() {
        let q = CycleDates::quarter_of(d("2026-10-01"));
        assert_eq!(q.elapsed_share(d("2026-09-30")), 0.0);
        assert!((q.elapsed_share(d("2026-10-01")) - 1.0 / 92.0).abs() < 1e-12);
        assert_eq!(q.elapsed_share(d("2026-12-31")), 1.0);
        assert_eq!(q.elapsed_share(d("2027-05-01")), 1.0);
    }

    #[test]
    fn states_move_forward_only() {
        assert!(CycleState::Planning.transition(CycleState::Active).is_ok());
        assert!(CycleState::Active.transition(CycleState::Closed).is_ok());
        assert!(CycleState::Closed.transition(CycleState::Active).is_err());
        assert!(CycleState::Planning.transition(CycleState::Closed).is_err());
    }
}
