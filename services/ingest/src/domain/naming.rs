//! Model-name normalisation: turns every upstream spelling of a model into one comparison key.
//!
//! The key is lower-case ASCII words joined by `-`. On the way it drops what differs between sources
//! but not between models:
//! - case and punctuation (`GPT 4o`, `gpt_4o`, `gpt-4o`, `gemini-2.5-pro` vs `gemini-2-5-pro`);
//! - display prefixes (`OpenAI: GPT-4o`) and provider prefixes (`openai/`, `google_genai/`,
//!   `intfloat__`), variants after a colon (`:free`, `:thinking`);
//! - parenthesised notes (`(Aug 2024)`, `(2025-05-06)`, `(temperature=1)`, `(High)`);
//! - trailing dates (`-20241022`, `-2024-08-06`, `-03-25`, `-0613`, `-08-2024`), release stages
//!   (`-latest`, `-preview`, `-exp`, `-beta`, `-002`) and effort levels (`-thinking-32k`, `-high`,
//!   `-high-effort`, `-highthinking`, `-reasoning`);
//! - Anthropic's two word orders (`claude-3-5-sonnet`, `Claude 4.5 Opus`, `claude-opus-4-5`) become
//!   one (`claude-sonnet-3-5`, `claude-opus-4-5`), and `claude-35-sonnet` is read as 3.5.
//!
//! What normalisation cannot reconcile (`deepseek-chat` is DeepSeek-V3) is the alias table's job.

/// Effort, reasoning-mode and budget words that variants of one model append.
const EFFORT_WORDS: &[&str] = &[
    "thinking",
    "nothinking",
    "highthinking",
    "lowthinking",
    "reasoning",
    "non",
    "effort",
    "xhigh",
    "high",
    "medium",
    "med",
    "low",
    "minimal",
];

/// Release-stage words that do not change which model it is.
const STAGE_WORDS: &[&str] = &["latest", "preview", "exp", "experimental", "beta"];

/// Anthropic model tiers, which moved from after the version to before it with Claude 4.
const CLAUDE_TIERS: &[&str] = &["opus", "sonnet", "haiku"];

/// Returns the comparison key of a model name; see the module documentation for what it drops.
/// The result is empty only when `name` has no ASCII letter or digit.
pub fn normalize(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let without_label = strip_display_label(&lower);
    let without_notes = strip_bracketed(without_label);
    let without_variant = strip_variant(&without_notes);
    let unqualified = strip_provider(without_variant);
    let mut tokens: Vec<String> = unqualified
        .split(|character: char| !character.is_ascii_alphanumeric())
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
        .collect();
    strip_suffixes(&mut tokens);
    reorder_claude(&mut tokens);
    strip_suffixes(&mut tokens);
    tokens.join("-")
}

/// Returns `name` without trailing dates and release stages, keeping its own spelling otherwise
/// (`claude-3-5-sonnet-20241022` → `claude-3-5-sonnet`, `gpt-4o-2024-08-06` → `gpt-4o`). Used to
/// derive canonical model ids from upstream ids.
pub fn strip_date_suffix(name: &str) -> String {
    let mut current = name.trim().to_lowercase();
    loop {
        let parts: Vec<&str> = current.split('-').collect();
        let count = parts.len();
        let remove = if count >= 4 && is_year(parts[count - 3]) && is_month(parts[count - 2]) {
            (is_day(parts[count - 1])).then_some(3)
        } else {
            None
        }
        .or_else(|| (count >= 2 && is_compact_date(parts[count - 1])).then_some(1))
        .or_else(|| {
            (count >= 3 && is_month(parts[count - 2]) && is_day(parts[count - 1])).then_some(2)
        })
        .or_else(|| (count >= 2 && is_short_date(parts[count - 1])).then_some(1))
        .or_else(|| (count >= 2 && STAGE_WORDS.contains(&parts[count - 1])).then_some(1));
        match remove {
            Some(remove) => current = parts[..count - remove].join("-"),
            None => return current,
        }
    }
}

fn strip_display_label(name: &str) -> &str {
    match name.split_once(": ") {
        Some((label, rest))
            if !label.contains('/') && rest.chars().any(|c| c.is_ascii_alphanumeric()) =>
        {
            rest
        }
        _ => name,
    }
}

fn strip_bracketed(name: &str) -> String {
    let mut result = String::with_capacity(name.len());
    let mut depth = 0usize;
    for character in name.chars() {
        match character {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => result.push(character),
            _ => {}
        }
    }
    if result.chars().any(|c| c.is_ascii_alphanumeric()) {
        result
    } else {
        name.to_owned()
    }
}

fn strip_variant(name: &str) -> &str {
    match name.rsplit_once(':') {
        Some((head, tail))
            if head.chars().any(|c| c.is_ascii_alphanumeric())
                && !tail.is_empty()
                && tail
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            head
        }
        _ => name,
    }
}

fn strip_provider(name: &str) -> &str {
    let candidate = name
        .rsplit('/')
        .find(|segment| segment.chars().any(|c| c.is_ascii_alphanumeric()))
        .unwrap_or(name);
    match candidate.rsplit_once("__") {
        Some((_, rest)) if rest.chars().any(|c| c.is_ascii_alphanumeric()) => rest,
        _ => candidate,
    }
}

fn is_digits(token: &str, length: usize) -> bool {
    token.len() == length && token.bytes().all(|byte| byte.is_ascii_digit())
}

fn number(token: &str) -> u32 {
    token.parse().unwrap_or(0)
}

fn is_year(token: &str) -> bool {
    is_digits(token, 4) && (2020..=2039).contains(&number(token))
}

fn is_month(token: &str) -> bool {
    is_digits(token, 2) && (1..=12).contains(&number(token))
}

fn is_day(token: &str) -> bool {
    is_digits(token, 2) && (1..=31).contains(&number(token))
}

/// `YYYYMMDD`.
fn is_compact_date(token: &str) -> bool {
    is_digits(token, 8) && is_year(&token[..4]) && is_month(&token[4..6]) && is_day(&token[6..])
}

/// `YYMM` (`2402`, `2507`) or `MMDD` (`0613`, `1106`).
fn is_short_date(token: &str) -> bool {
    if !is_digits(token, 4) {
        return false;
    }
    let (first, second) = (&token[..2], &token[2..]);
    let year_month = (23..=39).contains(&number(first)) && is_month(second);
    let month_day = is_month(first) && is_day(second);
    year_month || month_day
}

/// A release counter such as Gemini's `002`.
fn is_release_counter(token: &str) -> bool {
    is_digits(token, 3) && token.starts_with("00")
}

fn is_budget(token: &str) -> bool {
    token.len() >= 2
        && token.ends_with('k')
        && token[..token.len() - 1]
            .bytes()
            .all(|byte| byte.is_ascii_digit())
}

fn is_number(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|byte| byte.is_ascii_digit())
}

/// How many trailing tokens are a suffix to drop, if any. Never consumes every token.
fn suffix_length(tokens: &[String]) -> Option<usize> {
    let count = tokens.len();
    let at = |back: usize| tokens[count - back].as_str();
    if count >= 3 && is_budget(at(1)) && at(2) == "thinking" {
        return Some(2);
    }
    if count >= 2 && (EFFORT_WORDS.contains(&at(1)) || STAGE_WORDS.contains(&at(1))) {
        return Some(1);
    }
    if count >= 3 && at(1) == "max" {
        return Some(1);
    }
    if count >= 4 && is_year(at(3)) && is_month(at(2)) && is_day(at(1)) {
        return Some(3);
    }
    if count >= 3 && is_month(at(2)) && is_year(at(1)) {
        return Some(2);
    }
    if count >= 3 && is_month(at(2)) && is_day(at(1)) {
        return Some(2);
    }
    if count >= 2 && (is_compact_date(at(1)) || is_short_date(at(1)) || is_release_counter(at(1))) {
        return Some(1);
    }
    if count >= 3 && at(1) == "0" && is_number(at(2)) {
        return Some(1);
    }
    None
}

fn strip_suffixes(tokens: &mut Vec<String>) {
    while let Some(length) = suffix_length(tokens) {
        tokens.truncate(tokens.len() - length);
    }
}

fn reorder_claude(tokens: &mut Vec<String>) {
    if tokens.first().map(String::as_str) != Some("claude") {
        return;
    }
    let Some(tier_position) = tokens
        .iter()
        .position(|token| CLAUDE_TIERS.contains(&token.as_str()))
    else {
        return;
    };
    if tier_position > 1
        && !tokens[1..tier_position]
            .iter()
            .all(|token| is_number(token))
    {
        return;
    }
    let after_tier = tier_position + 1;
    let end = tokens[after_tier..]
        .iter()
        .position(|token| !is_number(token))
        .map(|offset| offset + after_tier)
        .unwrap_or(tokens.len());
    let mut versions = tokens[1..tier_position].to_vec();
    versions.extend_from_slice(&tokens[after_tier..end]);
    let rest = tokens[end..].to_vec();
    // Claude versions are single digits, so a fused `35` is 3.5.
    let versions = versions.into_iter().flat_map(|version| {
        if version.len() == 2 {
            version.chars().map(String::from).collect::<Vec<_>>()
        } else {
            vec![version]
        }
    });
    let tier = tokens[tier_position].clone();
    let mut reordered = vec!["claude".to_owned(), tier];
    reordered.extend(versions);
    reordered.extend(rest);
    *tokens = reordered;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_spelling_table_collapses_per_model() {
        let rows: &[(&str, &[&str])] = &[
            (
                "gpt-4o",
                &[
                    "gpt-4o-2024-08-06",
                    "openai/gpt-4o-2024-08-06",
                    "OpenAI: GPT-4o (2024-08-06)",
                    "GPT-4o-2024-08-06",
                    "GPT 4o (Aug 2024)",
                    "GPT-4O-2024-08-06",
                ],
            ),
            (
                "claude-sonnet-3-5",
                &[
                    "claude-3-5-sonnet-20241022",
                    "anthropic/claude-3.5-sonnet",
                    "Claude-3.5-Sonnet-20241022",
                    "claude-35-sonnet",
                    "Claude Sonnet 3.5 (June 2024)",
                ],
            ),
            (
                "claude-opus-4-5",
                &[
                    "claude-opus-4-5-20251101",
                    "claude-opus-4-5-20251101-thinking-32k",
                    "anthropic/claude-opus-4.5",
                    "claude-opus-4-5",
                    "Claude 4.5 Opus medium (20251101)",
                    "anthropic/claude-opus-4-5-20251101",
                    "claude-opus-4-5-20251101-high-effort",
                    "claude-opus-4-5-thinking",
                ],
            ),
            (
                "deepseek-v3",
                &["deepseek-v3", "DeepSeek-V3", "DeepSeek-V3 (Nov 2024)"],
            ),
            (
                "gemini-2-5-pro",
                &[
                    "gemini-2.5-pro",
                    "google/gemini-2.5-pro",
                    "Gemini-2.5-Pro-Exp-03-25",
                    "Gemini-2.5-Pro",
                    "gemini-2.5-pro-exp-03-25",
                    "Gemini 2.5 Pro (2025-05-06)",
                    "google_genai/gemini-2.5-pro",
                    "gemini-2.5-pro-06-05-highthinking",
                    "gemini-2-5-pro",
                ],
            ),
        ];
        for (expected, spellings) in rows {
            for spelling in *spellings {
                assert_eq!(normalize(spelling), *expected, "{spelling}");
            }
        }
    }

    #[test]
    fn distinct_models_stay_distinct() {
        assert_ne!(normalize("gpt-4o-mini"), normalize("gpt-4o"));
        assert_ne!(
            normalize("claude-3-5-haiku"),
            normalize("claude-3-5-sonnet")
        );
        assert_eq!(normalize("qwen3-max"), "qwen3-max");
        assert_eq!(normalize("Llama-3-70B-Instruct"), "llama-3-70b-instruct");
        assert_eq!(normalize("mistral-large-2402"), "mistral-large");
        assert_eq!(normalize("gpt-4-0613"), "gpt-4");
        assert_eq!(normalize("claude-opus-4-0"), "claude-opus-4");
        assert_eq!(normalize("claude-opus-4-20250514"), "claude-opus-4");
        assert_eq!(normalize("openai/gpt-oss-20b:free"), "gpt-oss-20b");
        assert_eq!(
            normalize("intfloat__multilingual-e5-large"),
            "multilingual-e5-large"
        );
        assert_eq!(normalize("O3-Mini-2025-01-31 (High)"), "o3-mini");
        assert_eq!(normalize("Gemini 1.5 Pro 002"), "gemini-1-5-pro");
        assert_eq!(normalize("latest"), "latest");
        assert_eq!(normalize("  "), "");
    }

    #[test]
    fn date_suffixes_are_stripped_in_the_original_spelling() {
        assert_eq!(
            strip_date_suffix("claude-3-5-sonnet-20241022"),
            "claude-3-5-sonnet"
        );
        assert_eq!(strip_date_suffix("gpt-4o-2024-08-06"), "gpt-4o");
        assert_eq!(strip_date_suffix("gemini-2.5-pro"), "gemini-2.5-pro");
        assert_eq!(
            strip_date_suffix("gemini-2.5-flash-preview-04-17"),
            "gemini-2.5-flash"
        );
        assert_eq!(strip_date_suffix("gpt-4-0613"), "gpt-4");
    }

    fn word() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9]{0,6}".prop_filter("not a suffix word", |word| {
            !EFFORT_WORDS.contains(&word.as_str())
                && !STAGE_WORDS.contains(&word.as_str())
                && word != "max"
                && !CLAUDE_TIERS.contains(&word.as_str())
                && word != "claude"
        })
    }

    fn name() -> impl Strategy<Value = Vec<String>> {
        prop::collection::vec(word(), 1..5)
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(text in "[ -~]{0,40}") {
            let once = normalize(&text);
            prop_assert_eq!(normalize(&once), once.clone());
        }

        #[test]
        fn output_is_lowercase_words_joined_by_single_dashes(text in "\\PC{0,40}") {
            let key = normalize(&text);
            prop_assert!(key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            prop_assert!(!key.starts_with('-') && !key.ends_with('-') && !key.contains("--"));
        }

        #[test]
        fn case_and_punctuation_do_not_matter(words in name(), separator in "[-_. ]") {
            let dashed = words.join("-");
            let other = words.join(&separator).to_uppercase();
            prop_assert_eq!(normalize(&other), normalize(&dashed));
        }

        #[test]
        fn provider_prefixes_do_not_matter(words in name(), provider in "[a-z][a-z0-9_-]{0,10}") {
            let bare = words.join("-");
            prop_assert_eq!(normalize(&format!("{provider}/{bare}")), normalize(&bare));
        }

        #[test]
        fn date_and_stage_suffixes_do_not_matter(
            words in name(),
            suffix in prop::sample::select(vec![
                "-20240806", "-2024-08-06", "-03-25", "-0613", "-2402", " (Aug 2024)",
                "-latest", "-preview", "-thinking-32k", "-high", ":free", "-exp-03-25",
            ]),
        ) {
            let bare = words.join("-");
            prop_assert_eq!(normalize(&format!("{bare}{suffix}")), normalize(&bare));
        }

        #[test]
        fn non_empty_names_keep_a_key(words in name()) {
            prop_assert!(!normalize(&words.join("-")).is_empty());
        }
    }
}
