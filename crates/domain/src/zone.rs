//! The organisation's time zone: "today", the days of periods and the first day of a cycle
//! are calendar days there. UTC unless the organisation says otherwise.

use crate::DomainError;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(chrono_tz::Tz);

impl Default for Zone {
    fn default() -> Self {
        Zone(chrono_tz::UTC)
    }
}

impl Zone {
    /// An IANA time zone name ("Europe/Oslo", "America/New_York", "UTC").
    pub fn parse(raw: &str) -> Result<Zone, DomainError> {
        let name = crate::text::plain("time_zone", raw)?.trim();
        name.parse::<chrono_tz::Tz>().map(Zone).map_err(|_| DomainError::InvalidTimeZone { name: name.to_owned() })
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The calendar day of a moment, here.
    pub fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.0).date_naive()
    }

    /// The first moment of a calendar day, here (a day that starts in a DST gap starts at the
    /// first moment that exists).
    pub fn start_of(&self, day: NaiveDate) -> DateTime<Utc> {
        let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
        match self.0.from_local_datetime(&midnight) {
            chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            chrono::LocalResult::None => {
                let later = midnight + chrono::Duration::hours(1);
                self.0
                    .from_local_datetime(&later)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(midnight.and_utc())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn days_are_the_organisations() {
        let oslo = Zone::parse("Europe/Oslo").unwrap();
        let late: DateTime<Utc> = "2026-11-01T23:30:00Z".parse().unwrap();
        assert_eq!(oslo.local_date(late), "2026-11-02".parse::<NaiveDate>().unwrap());
        assert_eq!(Zone::default().local_date(late), "2026-11-01".parse::<NaiveDate>().unwrap());
        assert_eq!(
            oslo.start_of("2026-11-02".parse().unwrap()),
            "2026-11-01T23:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert!(matches!(Zone::parse("Mars/Olympus"), Err(DomainError::InvalidTimeZone { .. })));
        assert_eq!(Zone::parse(" UTC ").unwrap().name(), "UTC");
    }

    proptest! {
        #[test]
        fn a_day_starts_on_that_day(offset in 0i64..4000, zone in 0usize..4) {
            let zone = Zone::parse(["UTC", "Europe/Oslo", "America/Sao_Paulo", "Pacific/Auckland"][zone]).unwrap();
            let day = "2024-01-01".parse::<NaiveDate>().unwrap() + chrono::Duration::days(offset);
            let start = zone.start_of(day);
            prop_assert_eq!(zone.local_date(start), day);
            prop_assert_eq!(zone.local_date(start - chrono::Duration::seconds(1)), day.pred_opt().unwrap());
        }
    }
}
