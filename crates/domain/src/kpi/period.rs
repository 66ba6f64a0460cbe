//! Periods a KPI is aggregated over: day, ISO week (Monday to Sunday), month, quarter.

use crate::word_enum;
use chrono::{Datelike, Days, Months, NaiveDate};

word_enum!(Granularity { Day = "day", Week = "week", Month = "month", Quarter = "quarter" });

impl Granularity {
    /// The granularity that matches a review cadence.
    pub fn of_cadence(c: super::definition::Cadence) -> Granularity {
        match c {
            super::definition::Cadence::Daily => Granularity::Day,
            super::definition::Cadence::Weekly => Granularity::Week,
            super::definition::Cadence::Monthly => Granularity::Month,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub granularity: Granularity,
    /// First day of the period.
    pub start: NaiveDate,
}

impl Period {
    pub fn containing(granularity: Granularity, day: NaiveDate) -> Period {
        let start = match granularity {
            Granularity::Day => day,
            Granularity::Week => day - Days::new(day.weekday().num_days_from_monday() as u64),
            Granularity::Month => day.with_day(1).expect("day 1 exists"),
            Granularity::Quarter => {
                NaiveDate::from_ymd_opt(day.year(), day.month0() / 3 * 3 + 1, 1).expect("quarter start exists")
            }
        };
        Period { granularity, start }
    }

    /// The first day of the next period.
    pub fn next_start(&self) -> NaiveDate {
        match self.granularity {
            Granularity::Day => self.start + Days::new(1),
            Granularity::Week => self.start + Days::new(7),
            Granularity::Month => self.start + Months::new(1),
            Granularity::Quarter => self.start + Months::new(3),
        }
    }

    pub fn next(&self) -> Period {
        Period { granularity: self.granularity, start: self.next_start() }
    }

    pub fn prev(&self) -> Period {
        Period::containing(self.granularity, self.start.pred_opt().expect("dates before year -262144 are not used"))
    }

    /// Last day, inclusive.
    pub fn end(&self) -> NaiveDate {
        self.next_start().pred_opt().expect("valid date")
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day < self.next_start()
    }

    /// "2026-11-24", "2026-W48", "2026-11", "2026-Q4".
    pub fn label(&self) -> String {
        match self.granularity {
            Granularity::Day => self.start.to_string(),
            Granularity::Week => {
                let w = self.start.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Granularity::Month => format!("{}-{:02}", self.start.year(), self.start.month()),
            Granularity::Quarter => {
                format!("{}-Q{}", self.start.year(), self.start.month0() / 3 + 1)
            }
        }
    }
}

/// The periods from the one holding `from` to the one holding `to`, both included.
pub fn periods_between(granularity: Granularity, from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = Period> {
    let mut next = Some(Period::containing(granularity, from));
    let last = Period::containing(granularity, to);
    std::iter::from_fn(move || {
        let p = next.filter(|p| p.start <= last.start)?;
        next = Some(p.next());
        Some(p)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn labels_and_bounds() {
        let w = Period::containing(Granularity::Week, d("2026-11-24"));
        assert_eq!((w.start, w.end(), w.label()), (d("2026-11-23"), d("2026-11-29"), "2026-W48".into()));
        // ISO week 1 of 2027 starts on Monday 2027-01-04; 2027-01-01 belongs to 2026-W53.
        assert_eq!(Period::containing(Granularity::Week, d("2027-01-01")).label(), "2026-W53");
        let q = Period::containing(Granularity::Quarter, d("2026-11-24"));
        assert_eq!((q.start, q.end(), q.label()), (d("2026-10-01"), d("2026-12-31"), "2026-Q4".into()));
        let m = Period::containing(Granularity::Month, d("2024-02-10"));
        assert_eq!((m.end(), m.label()), (d("2024-02-29"), "2024-02".into()));
        assert_eq!(m.prev().label(), "2024-01");
        assert_eq!(periods_between(Granularity::Month, d("2026-01-31"), d("2026-04-01")).count(), 4);
    }

    proptest! {
        #[test]
        fn every_day_is_in_exactly_its_period(offset in 0i64..20_000, g in 0usize..4) {
            let g = Granularity::ALL[g];
            let day = d("2000-01-01") + chrono::Duration::days(offset);
            let p = Period::containing(g, day);
            prop_assert!(p.contains(day));
            prop_assert!(!p.next().contains(day) && !p.prev().contains(day));
            prop_assert_eq!(Period::containing(g, p.end()), p);
            prop_assert_eq!(p.next().prev(), p);
        }
    }
}
