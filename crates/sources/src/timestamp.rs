//! Reading the many ways external systems write a point in time. Anything without an offset
//! is taken as UTC: sources rarely say, and UTC is what Quarterdeck stores.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Above this an epoch number is milliseconds: as seconds it would be after the year 5000.
const EPOCH_MILLIS_THRESHOLD: f64 = 1e11;

/// RFC 3339, "YYYY-MM-DD HH:MM:SS[.fff][+HH[:MM]]", "YYYY-MM-DD", or an integer epoch.
pub(crate) fn parse_text(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(epoch) = text.parse::<i64>() {
        return from_epoch_number(epoch as f64);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.to_utc());
    }
    // PostgreSQL writes offsets as "+00", which RFC 3339 does not allow.
    for format in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Some(at.to_utc());
        }
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(midnight)
}

/// Epoch seconds, or epoch milliseconds when the number is too large to be seconds.
pub(crate) fn from_epoch_number(epoch: f64) -> Option<DateTime<Utc>> {
    if !epoch.is_finite() {
        return None;
    }
    if epoch.abs() > EPOCH_MILLIS_THRESHOLD {
        return DateTime::from_timestamp_millis(epoch.round() as i64);
    }
    let whole = epoch.floor();
    let nanos = (((epoch - whole) * 1e9).round() as u32).min(999_999_999);
    DateTime::from_timestamp(whole as i64, nanos)
}

pub(crate) fn midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(chrono::NaiveTime::MIN).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn reads_text_forms() {
        let cases = [
            ("2024-03-01T10:20:30Z", "2024-03-01T10:20:30Z"),
            ("2024-03-01T12:20:30+02:00", "2024-03-01T10:20:30Z"),
            ("2024-03-01T10:20:30.250Z", "2024-03-01T10:20:30.250Z"),
            ("2024-03-01 10:20:30Z", "2024-03-01T10:20:30Z"),
            ("2024-03-01 12:20:30+02", "2024-03-01T10:20:30Z"),
            ("2024-03-01 10:20:30.5+00", "2024-03-01T10:20:30.5Z"),
            ("2024-03-01 10:20:30", "2024-03-01T10:20:30Z"),
            ("2024-03-01 10:20:30.125", "2024-03-01T10:20:30.125Z"),
            ("2024-03-01T10:20:30", "2024-03-01T10:20:30Z"),
            ("2024-03-01 10:20", "2024-03-01T10:20:00Z"),
            ("2024-03-01", "2024-03-01T00:00:00Z"),
            (" 2024-03-01 ", "2024-03-01T00:00:00Z"),
            ("1709288430", "2024-03-01T10:20:30Z"),
            ("1709288430000", "2024-03-01T10:20:30Z"),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_text(text), Some(utc(expected)), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        for text in ["", "yesterday", "2024-13-01", "2024-02-30", "01/03/2024", "12.5"] {
            assert_eq!(parse_text(text), None, "{text}");
        }
    }

    #[test]
    fn epoch_numbers_are_seconds_or_milliseconds() {
        assert_eq!(from_epoch_number(1_709_288_430.0), Some(utc("2024-03-01T10:20:30Z")));
        assert_eq!(from_epoch_number(1_709_288_430.5), Some(utc("2024-03-01T10:20:30.5Z")));
        assert_eq!(from_epoch_number(1_709_288_430_123.0), Some(utc("2024-03-01T10:20:30.123Z")));
        assert_eq!(from_epoch_number(0.0), Some(utc("1970-01-01T00:00:00Z")));
        assert_eq!(from_epoch_number(f64::NAN), None);
        assert_eq!(from_epoch_number(f64::INFINITY), None);
    }
}
