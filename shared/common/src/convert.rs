//! Conversions between chrono values and protobuf well-known types.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// Converts an instant to a protobuf timestamp.
pub fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: time.timestamp_subsec_nanos() as i32,
    }
}

/// Converts an optional instant to an optional protobuf timestamp.
pub fn optional_timestamp(time: Option<DateTime<Utc>>) -> Option<prost_types::Timestamp> {
    time.map(timestamp)
}

/// Converts a protobuf timestamp to an instant; `None` when out of range.
pub fn from_timestamp(value: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    let nanos = u32::try_from(value.nanos).ok()?;
    Utc.timestamp_opt(value.seconds, nanos).single()
}

/// Formats a calendar date as `YYYY-MM-DD` (empty for none), the wire form of dates.
pub fn date_text(date: Option<NaiveDate>) -> String {
    date.map(|date| date.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Earliest date a request may name.
pub const MIN_DATE: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date");
/// Latest date a request may name.
pub const MAX_DATE: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid date");

/// Parses a `YYYY-MM-DD` date from 1900-01-01 to 9999-12-31; empty text means none. Errors quote at
/// most a prefix of the text.
pub fn parse_date(text: &str) -> Result<Option<NaiveDate>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let shown: String = text.chars().take(40).collect();
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("'{shown}' is not a date; use YYYY-MM-DD"))?;
    if !(MIN_DATE..=MAX_DATE).contains(&date) {
        return Err(format!(
            "'{shown}' is out of range; use a date from {MIN_DATE} to {MAX_DATE}"
        ));
    }
    Ok(Some(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        let time = Utc
            .with_ymd_and_hms(2026, 11, 23, 17, 52, 0)
            .single()
            .expect("valid");
        assert_eq!(from_timestamp(&timestamp(time)), Some(time));
    }

    #[test]
    fn dates_parse_and_format() {
        let date = parse_date("2026-01-08").expect("valid");
        assert_eq!(date_text(date), "2026-01-08");
        assert_eq!(parse_date(""), Ok(None));
        assert!(parse_date("08/01/2026").is_err());
        // Postgres stops at 4713 BC; benchhub at documented bounds, with INVALID_ARGUMENT.
        for outside in ["-4714-01-01", "0001-01-01", "1899-12-31", "+10000-01-01"] {
            let error = parse_date(outside).expect_err(outside);
            assert!(
                error.contains("out of range") || error.contains("not a date"),
                "{outside}: {error}"
            );
        }
        assert_eq!(parse_date("1900-01-01"), Ok(Some(MIN_DATE)));
        assert_eq!(parse_date("9999-12-31"), Ok(Some(MAX_DATE)));
        let long = "9".repeat(10_000);
        assert!(parse_date(&long).expect_err("long").len() < 120);
    }
}
