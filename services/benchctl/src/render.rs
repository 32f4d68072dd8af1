//! Table and value formatting for terminal output.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

/// Creates a table with the given header, sized to the terminal.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    table
}

/// Formats a protobuf timestamp as UTC `YYYY-MM-DD HH:MM`, or `-`.
pub fn time(value: Option<&prost_types::Timestamp>) -> String {
    value
        .and_then(benchhub_common::convert::from_timestamp)
        .map(|time| time.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".to_owned())
}

pub use benchhub_common::stats::format_p_value as p_value;

/// Returns `-` for empty text.
pub fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_missing_values_as_dash() {
        assert_eq!(time(None), "-");
        assert_eq!(or_dash(""), "-");
        assert_eq!(or_dash("x"), "x");
        assert_eq!(p_value(0.0), "< 0.001");
        assert_eq!(p_value(0.165), "0.165");
        let stamp = prost_types::Timestamp {
            seconds: 0,
            nanos: 0,
        };
        assert_eq!(time(Some(&stamp)), "1970-01-01 00:00");
    }
}
