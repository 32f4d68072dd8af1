//! Text normalisation behind `matches_expected`: the same rule as the judge's normalized-exact grader
//! (Unicode NFKC, case folding, punctuation removed, whitespace collapsed).

use unicode_normalization::UnicodeNormalization;

/// Returns the normalised form of `text`.
pub fn normalize(text: &str) -> String {
    let folded: String = text.nfkc().flat_map(char::to_lowercase).collect();
    let mut out = String::with_capacity(folded.len());
    let mut pending_space = false;
    for character in folded.chars() {
        if character.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if !character.is_alphanumeric() {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(character);
    }
    out
}

/// Returns whether `output` equals `expected` after normalisation.
pub fn matches_expected(output: &str, expected: &str) -> bool {
    normalize(output) == normalize(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_case_punctuation_width_and_spacing() {
        assert!(matches_expected("  Paris. ", "paris"));
        assert!(matches_expected("ＡＢＣ", "abc"));
        assert!(matches_expected("hello,\n  world!", "Hello world"));
        assert!(!matches_expected("Paris", "London"));
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("  a  -  b "), "a b");
    }
}
