//! Text helpers of the deterministic graders: normalisation, code fences, number extraction.

use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

/// Any Unicode punctuation character (general category P).
static PUNCTUATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\p{P}+").expect("static pattern compiles"));

/// A decimal number: optional sign, digits with optional `,` thousands groups, optional fraction and
/// exponent; or a leading-dot fraction.
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[-+]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?")
        .expect("static pattern compiles")
});

/// Normalises text for the normalized-exact grader: Unicode NFKC, lowercase (Unicode), punctuation
/// (category P) removed, whitespace runs collapsed to one space and trimmed.
pub fn normalize(text: &str) -> String {
    let compatible: String = text.nfkc().collect();
    let lowered = case_fold(&compatible);
    let without_punctuation = PUNCTUATION.replace_all(&lowered, "");
    without_punctuation
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Case-insensitive form used by the contains grader: Unicode lowercase, with `ß` folded to `ss` and
/// the final sigma to `σ` so that full case folding's common cases compare equal.
pub fn case_fold(text: &str) -> String {
    text.to_lowercase().replace('ß', "ss").replace('ς', "σ")
}

/// Strips one Markdown code fence around the whole text (```` ```json … ``` ````), if present.
pub fn strip_code_fence(text: &str) -> &str {
    let trimmed = text.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let Some(body) = rest.strip_suffix("```") else {
        return trimmed;
    };
    // Drop the info string (e.g. `json`) on the opening line.
    match body.split_once('\n') {
        Some((info, content)) if !info.contains('{') && !info.contains('[') => content.trim(),
        _ => body.trim(),
    }
}

/// Returns the last number in the text: thousands separators (`1,234`) are dropped, a Unicode minus
/// (U+2212) counts as `-`, full-width digits are read after NFKC, and a `-` glued to a word or number
/// is a hyphen (`gpt-4`, `3-5` end in 4 and 5). `None` when there is none.
pub fn last_number(text: &str) -> Option<f64> {
    let compatible: String = text.nfkc().collect::<String>().replace('\u{2212}', "-");
    NUMBER
        .find_iter(&compatible)
        .filter_map(|found| {
            let mut text = found.as_str();
            // A sign glued to a word or a number is a hyphen or a range ("gpt-4", "3-5"), not a sign.
            let glued = compatible[..found.start()]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric);
            if glued {
                text = text.trim_start_matches(['-', '+']);
            }
            text.replace(',', "").parse::<f64>().ok()
        })
        .filter(|value| value.is_finite())
        .last()
}

/// Returns the character index of the first difference between two strings, or `None` when equal.
pub fn first_difference(left: &str, right: &str) -> Option<usize> {
    let mut left_chars = left.chars();
    let mut right_chars = right.chars();
    let mut index = 0;
    loop {
        match (left_chars.next(), right_chars.next()) {
            (None, None) => return None,
            (Some(a), Some(b)) if a == b => index += 1,
            _ => return Some(index),
        }
    }
}

/// Shortens a text for notes: at most `limit` characters, with `…` when cut.
pub fn excerpt(text: &str, limit: usize) -> String {
    let mut characters = text.chars();
    let head: String = characters.by_ref().take(limit).collect();
    if characters.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_case_width_punctuation_and_whitespace() {
        assert_eq!(normalize("  Hello,   WORLD!! "), "hello world");
        // Full-width letters and the "ﬁ" ligature are NFKC-equivalent to ASCII.
        assert_eq!(normalize("ＨＥＬＬＯ ﬁne"), "hello fine");
        assert_eq!(normalize("Ça va?\n\tOui."), "ça va oui");
        // Composed and decomposed accents normalise alike.
        assert_eq!(normalize("caf\u{00e9}"), normalize("cafe\u{0301}"));
        assert_eq!(normalize("«quoted» — text…"), "quoted text");
        assert_eq!(normalize(""), "");
        assert_eq!(normalize(" \n "), "");
    }

    #[test]
    fn case_fold_handles_sharp_s_and_sigma() {
        assert_eq!(case_fold("STRASSE"), case_fold("straße"));
        assert_eq!(case_fold("ΟΔΟΣ"), case_fold("οδος"));
    }

    #[test]
    fn code_fences_are_stripped_once() {
        assert_eq!(strip_code_fence("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
        assert_eq!(strip_code_fence("```\n[1]\n```"), "[1]");
        assert_eq!(strip_code_fence("```{\"a\":1}```"), "{\"a\":1}");
        assert_eq!(strip_code_fence("  {\"a\": 1} "), "{\"a\": 1}");
        assert_eq!(strip_code_fence("```json\n{}"), "```json\n{}");
    }

    #[test]
    fn last_number_reads_signs_separators_and_exponents() {
        assert_eq!(last_number("The answer is 42."), Some(42.0));
        assert_eq!(last_number("between 3 and 1,234,567.5"), Some(1_234_567.5));
        assert_eq!(last_number("delta: \u{2212}3.5"), Some(-3.5));
        assert_eq!(last_number("x = 6.02e23"), Some(6.02e23));
        assert_eq!(last_number("#### ４２"), Some(42.0));
        assert_eq!(last_number("about .5 of it"), Some(0.5));
        assert_eq!(last_number("needle-42"), Some(42.0));
        assert_eq!(last_number("pages 3-5"), Some(5.0));
        assert_eq!(last_number("x = -3"), Some(-3.0));
        assert_eq!(last_number("(-7)"), Some(-7.0));
        assert_eq!(last_number("no digits here"), None);
        assert_eq!(last_number(""), None);
    }

    #[test]
    fn first_difference_counts_characters() {
        assert_eq!(first_difference("héllo", "hélLo"), Some(3));
        assert_eq!(first_difference("abc", "abc"), None);
        assert_eq!(first_difference("ab", "abc"), Some(2));
    }

    #[test]
    fn excerpt_cuts_on_characters() {
        assert_eq!(excerpt("ééé", 2), "éé…");
        assert_eq!(excerpt("ab", 2), "ab");
    }
}
