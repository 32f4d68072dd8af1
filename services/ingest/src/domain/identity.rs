//! Model identity: an upstream spelling of a model taken apart into what identifies it.
//!
//! A canonical model is one model a team can call. Its spelling names
//! - a **line**: the words and sizes naming the model (`gpt 4o`, `gpt 4o mini`, `claude sonnet 3 5`,
//!   `llama 4 maverick 17b 128e`); mini, plus, turbo… are words of the line, so `gpt-4o-mini` is a
//!   line of its own;
//! - a **version** of the line: a date (`2024-08-06`, `20241022`, `2411` = Nov 2024, `0613` = 13 June,
//!   `08-2024`) or a release counter (`002`); undated spellings name no version;
//! - a **stage**: generally available, preview (`preview`, `exp`, `beta`) or the `latest` alias;
//! - a **mode**: a reasoning mode or effort the same API model runs in (`thinking`, `-thinking-32k`,
//!   `high`, `(medium reasoning)`), and a **flavour**: instruct or base weights.
//!
//! What differs between sources but not between models is dropped: case and punctuation, display
//! labels (`OpenAI: `), provider paths (`openai/`, `org__`), hosting prefixes (`cerebras-`),
//! quantisations (`fp8`), `:free` and other variant suffixes (kept as flags), and the two word orders
//! of Claude (`claude-3-5-sonnet`, `Claude 4.5 Opus`) and Gemini (`Gemini Pro 1.5`).
//! Notes in parentheses are read, not just dropped: a full date is the version (`GPT-4o (2024-11-20)`),
//! a month is a hint (`GPT 4o (Aug 2024)`), effort words are the mode (`O3-Mini (High)`).
//!
//! [`crate::domain::matcher`] compares these parts to decide which catalog model a spelling means.

use chrono::{Datelike, NaiveDate};

/// Names a thread's parse memo holds before it starts over.
const PARSE_MEMO_LIMIT: usize = 100_000;

thread_local! {
    /// Parsed names, without (index 0) and with (index 1) efforts read as modes.
    static PARSED: std::cell::RefCell<std::collections::HashMap<String, [Option<NameParts>; 2]>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Release stage of a spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// Generally available (no stage word).
    Ga,
    /// A preview, experimental or beta release.
    Preview,
    /// The provider's moving `latest` alias.
    Latest,
}

/// Instruct or base weights, when the spelling says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// Not said (API models are instruct/chat models).
    Unspecified,
    /// `instruct`, `-it`.
    Instruct,
    /// `base`: pretrained weights, never an API chat model.
    Base,
}

/// A date with possibly missing year or day (`0613` has no year, `2411` no day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartialDate {
    /// Year, when spelled.
    pub year: Option<i32>,
    /// Month, 1–12.
    pub month: u32,
    /// Day, when spelled.
    pub day: Option<u32>,
}

impl PartialDate {
    /// Whether two spellings can name the same day: every field both spell agrees.
    pub fn compatible(&self, other: &PartialDate) -> bool {
        self.month == other.month
            && self.year.zip(other.year).is_none_or(|(a, b)| a == b)
            && self.day.zip(other.day).is_none_or(|(a, b)| a == b)
    }

    /// The day this date most likely is: a missing year comes from `reference` (the model's release
    /// date, else the date it was observed), a missing day is the 1st. `None` without any year.
    pub fn resolve(&self, reference: Option<NaiveDate>) -> Option<NaiveDate> {
        let year = match (self.year, reference) {
            (Some(year), _) => year,
            (None, Some(reference)) => {
                // `0613` seen on 2024-01-10 is June 2023, not June 2024.
                let candidate = reference.year();
                let day = self.day.unwrap_or(1);
                match NaiveDate::from_ymd_opt(candidate, self.month, day) {
                    Some(date) if date > reference + chrono::Days::new(45) => candidate - 1,
                    _ => candidate,
                }
            }
            (None, None) => return None,
        };
        NaiveDate::from_ymd_opt(year, self.month, self.day.unwrap_or(1))
            .or_else(|| NaiveDate::from_ymd_opt(year, self.month, 1))
    }
}

/// The version a spelling names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// A release date.
    Date(PartialDate),
    /// A release counter such as Gemini's `002`.
    Counter(u32),
}

impl Version {
    /// Whether two versions can be the same release.
    pub fn compatible(&self, other: &Version) -> bool {
        match (self, other) {
            (Version::Date(left), Version::Date(right)) => left.compatible(right),
            (Version::Counter(left), Version::Counter(right)) => left == right,
            _ => false,
        }
    }
}

/// A year and month, from a note such as `(Aug 2024)` or `(Oct '24)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
}

impl YearMonth {
    /// The last day of the month.
    pub fn last_day(&self) -> NaiveDate {
        let (year, month) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        NaiveDate::from_ymd_opt(year, month, 1)
            .and_then(|first| first.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    }
}

/// A spelling taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NameParts {
    /// Words and sizes naming the model line, lower-case ASCII.
    pub line: Vec<String>,
    /// Instruct or base weights.
    pub flavor: Flavor,
    /// Version, when spelled.
    pub version: Option<Version>,
    /// Release stage.
    pub stage: Stage,
    /// Reasoning mode or effort: `thinking`, `minimal`, `low`, `medium`, `high` or `xhigh`.
    pub mode: Option<&'static str>,
    /// Month-precision date from a note, when no version is spelled.
    pub hint: Option<YearMonth>,
    /// `:free` (an OpenRouter free variant).
    pub free_variant: bool,
}

/// Words naming a reasoning (thinking) mode.
const THINKING_WORDS: &[&str] = &["thinking", "reasoning", "reasoner", "think"];
/// Effort levels, with the spellings that mean them.
const EFFORT_WORDS: &[(&str, &str)] = &[
    ("minimal", "minimal"),
    ("low", "low"),
    ("med", "medium"),
    ("medium", "medium"),
    ("high", "high"),
    ("xhigh", "xhigh"),
    ("highthinking", "high"),
    ("lowthinking", "low"),
];
/// Words meaning the default, non-reasoning mode.
const NO_THINKING_WORDS: &[&str] = &["nothinking", "nonthinking", "nonreasoning"];
/// Release-stage words.
const PREVIEW_WORDS: &[&str] = &["preview", "exp", "experimental", "beta", "alpha"];
/// Quantisation and packaging words: the same model, served differently.
const PACKAGING_WORDS: &[&str] = &[
    "hf", "fp8", "fp16", "bf16", "fp4", "int4", "int8", "awq", "gptq", "gguf", "mlx", "maas",
];
/// Hosting prefixes some catalogs put before a model id (`cerebras-llama-4-maverick`).
const HOST_PREFIXES: &[&str] = &[
    "cerebras",
    "groq",
    "together",
    "fireworks",
    "deepinfra",
    "sambanova",
];
/// Words that name a smaller, larger or faster sibling within a family.
const VARIANT_WORDS: &[&str] = &[
    "mini",
    "nano",
    "micro",
    "plus",
    "turbo",
    "lite",
    "fast",
    "pro",
    "max",
    "air",
    "flash",
    "flashx",
    "highspeed",
    "speciale",
    "ultra",
];
/// Claude's tiers, which moved from after the version to before it with Claude 4.
const CLAUDE_TIERS: &[&str] = &["opus", "sonnet", "haiku"];
/// Gemini's tiers (`Gemini Pro 1.5` is `gemini-1.5-pro`).
const GEMINI_TIERS: &[&str] = &["pro", "flash", "ultra", "nano"];
/// Month names as notes spell them.
const MONTHS: &[(&str, u32)] = &[
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("may", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

fn is_digits(token: &str, length: usize) -> bool {
    token.len() == length && token.bytes().all(|byte| byte.is_ascii_digit())
}

fn is_number(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|byte| byte.is_ascii_digit())
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

/// Whether a token is a parameter count or expert count: `7b`, `6p7b` (6.7B), `135m`, `a22b`
/// (active parameters), `8x7b`, `128e`.
pub fn is_size(token: &str) -> bool {
    let body = token.strip_prefix('a').unwrap_or(token);
    if let Some(number) = body
        .strip_suffix('b')
        .or_else(|| token.strip_suffix('m').filter(|_| !token.starts_with('a')))
    {
        let number = match number.split_once('x') {
            Some((experts, size)) if is_number(experts) => size,
            _ => number,
        };
        let (whole, fraction) = number.split_once('p').unwrap_or((number, "0"));
        return is_number(whole) && is_number(fraction);
    }
    token
        .strip_suffix('e')
        .is_some_and(|experts| is_number(experts) && !token.starts_with('a'))
}

fn is_budget(token: &str) -> bool {
    token.len() >= 2 && token.ends_with('k') && is_number(&token[..token.len() - 1])
}

/// A date spelled by the trailing tokens, and how many tokens it takes.
fn trailing_date(tokens: &[String]) -> Option<(Version, usize)> {
    let count = tokens.len();
    let at = |back: usize| tokens[count - back].as_str();
    if count >= 3 && is_year(at(3)) && is_month(at(2)) && is_day(at(1)) {
        return Some((
            Version::Date(PartialDate {
                year: Some(number(at(3)) as i32),
                month: number(at(2)),
                day: Some(number(at(1))),
            }),
            3,
        ));
    }
    if count >= 2 && is_month(at(2)) && is_year(at(1)) {
        return Some((
            Version::Date(PartialDate {
                year: Some(number(at(1)) as i32),
                month: number(at(2)),
                day: None,
            }),
            2,
        ));
    }
    if count >= 2 && is_month(at(2)) && is_day(at(1)) {
        return Some((
            Version::Date(PartialDate {
                year: None,
                month: number(at(2)),
                day: Some(number(at(1))),
            }),
            2,
        ));
    }
    let last = at(1);
    if is_digits(last, 8) && is_year(&last[..4]) && is_month(&last[4..6]) && is_day(&last[6..]) {
        return Some((
            Version::Date(PartialDate {
                year: Some(number(&last[..4]) as i32),
                month: number(&last[4..6]),
                day: Some(number(&last[6..])),
            }),
            1,
        ));
    }
    if is_digits(last, 4) {
        let (first, second) = (&last[..2], &last[2..]);
        // `2402` is Feb 2024; `0613` is 13 June; `1106` is 6 Nov (no 2011 model dates).
        if (23..=39).contains(&number(first)) && is_month(second) {
            return Some((
                Version::Date(PartialDate {
                    year: Some(2000 + number(first) as i32),
                    month: number(second),
                    day: None,
                }),
                1,
            ));
        }
        if is_month(first) && is_day(second) {
            return Some((
                Version::Date(PartialDate {
                    year: None,
                    month: number(first),
                    day: Some(number(second)),
                }),
                1,
            ));
        }
    }
    if is_digits(last, 3) && last.starts_with("00") {
        return Some((Version::Counter(number(last)), 1));
    }
    None
}

/// Splits `qwen2`, `llama3`, `gpt4o` at the letter→digit boundary so they equal `qwen-2`, `llama-3`,
/// `gpt-4o`. Prefixes of one or two letters stay joined: `o3`, `r1`, `k2`, `v3`, `m2` are names.
fn split_word(token: &str, into: &mut Vec<String>) {
    if is_size(token) || is_budget(token) {
        into.push(token.to_owned());
        return;
    }
    let letters = token.bytes().take_while(u8::is_ascii_lowercase).count();
    if letters >= 3 && letters < token.len() && token.as_bytes()[letters].is_ascii_digit() {
        into.push(token[..letters].to_owned());
        into.push(token[letters..].to_owned());
    } else {
        into.push(token.to_owned());
    }
}

/// Lower-case words of `text`: decimals of sizes kept (`6.7b` → `6p7b`), everything else split at
/// punctuation and at letter→digit boundaries.
fn words(text: &str) -> Vec<String> {
    let bytes: Vec<char> = text.chars().collect();
    let mut cleaned = String::with_capacity(text.len());
    for (index, character) in bytes.iter().enumerate() {
        // `6.7b` → `6p7b`: a decimal point between digits that ends in a size unit.
        if *character == '.'
            && index > 0
            && bytes[index - 1].is_ascii_digit()
            && bytes.get(index + 1).is_some_and(char::is_ascii_digit)
        {
            let rest: String = bytes[index + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            let unit = &rest[digits..];
            if unit == "b" || unit == "m" {
                cleaned.push('p');
                continue;
            }
        }
        cleaned.push(*character);
    }
    let mut tokens = Vec::new();
    for raw in cleaned
        .split(|character: char| !character.is_ascii_alphanumeric())
        .filter(|token| !token.is_empty())
    {
        split_word(raw, &mut tokens);
    }
    tokens
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

/// Splits `text` into the part outside brackets and the notes inside them.
fn split_notes(text: &str) -> (String, Vec<String>) {
    let mut outside = String::with_capacity(text.len());
    let mut notes = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for character in text.chars() {
        match character {
            '(' | '[' => {
                if depth == 0 {
                    current.clear();
                } else {
                    current.push(' ');
                }
                depth += 1;
            }
            ')' | ']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    notes.push(std::mem::take(&mut current));
                    outside.push(' ');
                } else {
                    current.push(' ');
                }
            }
            _ if depth == 0 => outside.push(character),
            _ => current.push(character),
        }
    }
    if !outside.chars().any(|c| c.is_ascii_alphanumeric()) {
        return (text.to_owned(), Vec::new());
    }
    (outside, notes)
}

/// Removes a trailing `:variant` (OpenRouter's `:free`, `:thinking`, `:beta`…) and returns it.
fn split_variant(text: &str) -> (&str, Option<&str>) {
    match text.rsplit_once(':') {
        Some((head, tail))
            if head.chars().any(|c| c.is_ascii_alphanumeric())
                && !tail.is_empty()
                && tail
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            (head, Some(tail))
        }
        _ => (text, None),
    }
}

fn strip_provider(text: &str) -> &str {
    let candidate = text
        .rsplit('/')
        .find(|segment| segment.chars().any(|c| c.is_ascii_alphanumeric()))
        .unwrap_or(text);
    match candidate.rsplit_once("__") {
        // `o3-mini-2025-01-31__low` (LiveCodeBench) is an effort suffix, not an organisation.
        Some((_, rest)) if effort(rest).is_some() || THINKING_WORDS.contains(&rest) => candidate,
        Some((_, rest)) if rest.chars().any(|c| c.is_ascii_alphanumeric()) => rest,
        _ => candidate,
    }
}

fn effort(word: &str) -> Option<&'static str> {
    EFFORT_WORDS
        .iter()
        .find(|(spelling, _)| *spelling == word)
        .map(|(_, effort)| *effort)
}

/// Reads a note such as `Aug 2024`, `Oct '24`, `2025-05-06`, `20251101`, `High`, `medium reasoning`.
fn read_note(note: &str, parts: &mut NameParts) {
    let tokens = words(note);
    if tokens.is_empty() {
        return;
    }
    if let Some((version, length)) = trailing_date(&tokens)
        && length == tokens.len()
    {
        parts.version.get_or_insert(version);
        return;
    }
    // Month-year hints: `aug 2024`, `june 2024`, `sept 2024`, `oct 24`.
    if tokens.len() == 2
        && let Some((_, month)) = MONTHS
            .iter()
            .find(|(prefix, _)| tokens[0].starts_with(prefix))
    {
        let year = match tokens[1].len() {
            4 if is_year(&tokens[1]) => Some(number(&tokens[1]) as i32),
            2 if is_number(&tokens[1]) => Some(2000 + number(&tokens[1]) as i32),
            _ => None,
        };
        if let Some(year) = year {
            parts.hint = Some(YearMonth {
                year,
                month: *month,
            });
            return;
        }
    }
    read_modes(&tokens, parts);
    if tokens.iter().any(|token| token == "latest") {
        parts.stage = Stage::Latest;
    }
    if tokens
        .iter()
        .any(|token| PREVIEW_WORDS.contains(&token.as_str()))
        && parts.stage == Stage::Ga
    {
        parts.stage = Stage::Preview;
    }
}

/// Sets the mode from the words of a note: an effort word wins over `thinking`; `non-thinking` and
/// `non-reasoning` mean the default mode.
fn read_modes(tokens: &[String], parts: &mut NameParts) {
    let joined: String = tokens.concat();
    if NO_THINKING_WORDS.iter().any(|word| joined.contains(word)) {
        return;
    }
    if let Some(level) = tokens.iter().find_map(|token| effort(token)) {
        parts.mode = Some(level);
    } else if tokens
        .iter()
        .any(|token| THINKING_WORDS.contains(&token.as_str()))
    {
        parts.mode.get_or_insert("thinking");
    }
}

/// Consumes trailing date, counter, stage, mode and budget tokens; with `efforts` false, a trailing
/// effort word (`medium`, `high`) stays a word of the line.
fn strip_trailing(tokens: &mut Vec<String>, parts: &mut NameParts, efforts: bool) {
    loop {
        let count = tokens.len();
        if count < 2 {
            return;
        }
        let last = tokens[count - 1].as_str();
        let before = tokens[count - 2].as_str();
        if is_budget(last) && THINKING_WORDS.contains(&before) {
            tokens.truncate(count - 2);
            parts.mode.get_or_insert("thinking");
            continue;
        }
        if THINKING_WORDS.contains(&last) {
            if before == "non" || before == "no" {
                if count < 3 {
                    return;
                }
                tokens.truncate(count - 2);
                continue;
            }
            if let Some(level) = effort(before).filter(|_| count >= 3) {
                parts.mode.get_or_insert(level);
                tokens.truncate(count - 2);
                continue;
            }
            tokens.truncate(count - 1);
            parts.mode.get_or_insert("thinking");
            continue;
        }
        if NO_THINKING_WORDS.contains(&last) {
            tokens.truncate(count - 1);
            continue;
        }
        if last == "effort"
            && let Some(level) = effort(before).filter(|_| count >= 3)
        {
            parts.mode.get_or_insert(level);
            tokens.truncate(count - 2);
            continue;
        }
        if efforts && let Some(level) = effort(last) {
            parts.mode.get_or_insert(level);
            tokens.truncate(count - 1);
            continue;
        }
        if PREVIEW_WORDS.contains(&last) {
            if parts.stage == Stage::Ga {
                parts.stage = Stage::Preview;
            }
            tokens.truncate(count - 1);
            continue;
        }
        if last == "latest" {
            parts.stage = Stage::Latest;
            tokens.truncate(count - 1);
            continue;
        }
        if let Some((version, length)) = trailing_date(tokens)
            && length < count
        {
            if parts.version.is_none() {
                parts.version = Some(version);
            }
            tokens.truncate(count - length);
            continue;
        }
        return;
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
    if tier_position > 1 && !tokens[1..tier_position].iter().all(|t| is_number(t)) {
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

fn reorder_gemini(tokens: &mut [String]) {
    if tokens.first().map(String::as_str) != Some("gemini") || tokens.len() < 3 {
        return;
    }
    if !GEMINI_TIERS.contains(&tokens[1].as_str()) || !is_number(&tokens[2]) {
        return;
    }
    let end = tokens[2..]
        .iter()
        .position(|token| !is_number(token))
        .map(|offset| offset + 2)
        .unwrap_or(tokens.len());
    // gemini pro 1 5 → gemini 1 5 pro
    tokens[1..end].rotate_left(1);
}

/// `claude opus 4 0` is Claude Opus 4.
fn drop_zero_minor(tokens: &mut Vec<String>) {
    let count = tokens.len();
    if count >= 3 && tokens[count - 1] == "0" && is_number(&tokens[count - 2]) {
        tokens.truncate(count - 1);
    }
}

impl NameParts {
    /// Takes an upstream spelling apart. Never fails; a name without letters or digits has an empty
    /// line.
    pub fn parse(name: &str) -> NameParts {
        Self::parse_with(name, true)
    }

    /// The other reading of a spelling that ends in an effort word: the word as part of the line
    /// (`mistral-medium` is Mistral Medium; `gpt-5-medium` is GPT-5 at medium effort). `None` when the
    /// spelling has no such word.
    pub fn parse_literal(name: &str) -> Option<NameParts> {
        let parts = Self::parse_with(name, true);
        let literal = Self::parse_with(name, false);
        (literal.line != parts.line).then_some(literal)
    }

    /// Parses through a per-thread memo: one ingest parses each name several times (its board's
    /// date, the record it describes, the catalog's and the observations' matching).
    fn parse_with(name: &str, efforts: bool) -> NameParts {
        PARSED.with(|cache| {
            let mut cache = cache.borrow_mut();
            if let Some(parts) = cache
                .get(name)
                .and_then(|both| both[usize::from(efforts)].as_ref())
            {
                return parts.clone();
            }
            if cache.len() >= PARSE_MEMO_LIMIT {
                cache.clear();
            }
            let parts = Self::parse_uncached(name, efforts);
            cache.entry(name.to_owned()).or_default()[usize::from(efforts)] = Some(parts.clone());
            parts
        })
    }

    fn parse_uncached(name: &str, efforts: bool) -> NameParts {
        let mut parts = NameParts {
            line: Vec::new(),
            flavor: Flavor::Unspecified,
            version: None,
            stage: Stage::Ga,
            mode: None,
            hint: None,
            free_variant: false,
        };
        let lower = name.trim().to_lowercase();
        let without_label = strip_display_label(&lower);
        let (outside, notes) = split_notes(without_label);
        let (head, variant) = split_variant(outside.trim());
        match variant {
            Some("free") => parts.free_variant = true,
            Some(variant) if THINKING_WORDS.contains(&variant) => parts.mode = Some("thinking"),
            _ => {}
        }
        let unqualified = strip_provider(head).replace('+', " plus ");
        let mut tokens = words(&unqualified);
        // Hosting prefixes and `meta-llama-3` style organisation words.
        if tokens.len() > 1 && HOST_PREFIXES.contains(&tokens[0].as_str()) {
            tokens.remove(0);
        }
        if tokens.len() > 1 && tokens[0] == "meta" && tokens[1].starts_with("llama") {
            tokens.remove(0);
        }
        let mut kept = Vec::with_capacity(tokens.len());
        for (index, token) in tokens.into_iter().enumerate() {
            match token.as_str() {
                "instruct" => parts.flavor = Flavor::Instruct,
                "it" if index > 0 => parts.flavor = Flavor::Instruct,
                "base" if index > 0 => parts.flavor = Flavor::Base,
                word if PACKAGING_WORDS.contains(&word) && index > 0 => {}
                _ => kept.push(token),
            }
        }
        let mut tokens = kept;
        strip_trailing(&mut tokens, &mut parts, efforts);
        for note in &notes {
            read_note(note, &mut parts);
        }
        reorder_claude(&mut tokens);
        reorder_gemini(&mut tokens);
        drop_zero_minor(&mut tokens);
        if parts.version.is_some() {
            parts.hint = None;
        }
        parts.line = tokens;
        parts
    }

    /// The line as one key (`gpt 4o mini`).
    pub fn line_key(&self) -> String {
        self.line.join(" ")
    }

    /// The line without sizes (`llama 4 maverick` for `llama 4 maverick 17b 128e`).
    pub fn line_key_without_sizes(&self) -> String {
        self.line
            .iter()
            .filter(|token| !is_size(token))
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether the line has any size word.
    pub fn has_sizes(&self) -> bool {
        self.line.iter().any(|token| is_size(token))
    }

    /// The family's words: the line without trailing sizes and sibling words (`gpt 4o` for
    /// `gpt-4o-mini`, `llama 3 1` for `llama-3.1-70b`), never empty.
    pub fn family_words(&self) -> Vec<String> {
        let mut words = self.line.clone();
        while words.len() > 1 {
            let last = words[words.len() - 1].as_str();
            if is_size(last) || VARIANT_WORDS.contains(&last) {
                words.pop();
            } else {
                break;
            }
        }
        words
    }

    /// Whether the spelling names no version (no date, no counter).
    pub fn is_undated(&self) -> bool {
        self.version.is_none()
    }
}

/// Renders words as a slug: dashes between words, dots between consecutive numbers
/// (`claude opus 4 5` → `claude-opus-4.5`).
pub fn slug_of_words(words: &[String]) -> String {
    let mut slug = String::new();
    for (index, word) in words.iter().enumerate() {
        if index > 0 {
            // `claude opus 4 5` → `claude-opus-4.5`, `deepseek v3 2` → `deepseek-v3.2`.
            let previous = &words[index - 1];
            let after_digit =
                previous.ends_with(|c: char| c.is_ascii_digit()) && !is_size(previous);
            slug.push(if after_digit && is_number(word) {
                '.'
            } else {
                '-'
            });
        }
        if is_size(word) {
            slug.push_str(&word.replace('p', "."));
        } else {
            slug.push_str(word);
        }
    }
    slug
}

/// The id slug of a model created from an upstream spelling: the spelling without provider path,
/// display label and notes (a full date or effort in a note is kept), lower-case, runs of other
/// characters as one dash (`Qwen2.5-Coder-32B-Instruct` → `qwen2.5-coder-32b-instruct`).
pub fn slug_of_name(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let without_label = strip_display_label(&lower);
    let (outside, notes) = split_notes(without_label);
    let (head, variant) = split_variant(outside.trim());
    let mut text = strip_provider(head).replace('+', "-plus");
    for note in &notes {
        let mut parts = NameParts::parse("x");
        read_note(note, &mut parts);
        if let Some(Version::Date(date)) = parts.version
            && let (Some(year), Some(day)) = (date.year, date.day)
        {
            text.push_str(&format!("-{year:04}-{:02}-{day:02}", date.month));
        } else if let Some(mode) = parts.mode {
            text.push('-');
            text.push_str(mode);
        }
    }
    if let Some(variant) = variant.filter(|variant| THINKING_WORDS.contains(variant)) {
        text.push('-');
        text.push_str(variant);
    }
    let mut slug = String::with_capacity(text.len());
    for character in text.chars() {
        if character.is_ascii_alphanumeric() || character == '.' {
            slug.push(character);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_matches(|c| c == '-' || c == '.').to_owned()
}

/// Known first words of model lines and the lab that makes them.
const LINE_CREATORS: &[(&str, &str)] = &[
    ("gpt", "openai"),
    ("chatgpt", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("davinci", "openai"),
    ("codex", "openai"),
    ("claude", "anthropic"),
    ("gemini", "google"),
    ("gemma", "google"),
    ("codegemma", "google"),
    ("palm", "google"),
    ("llama", "meta"),
    ("codellama", "meta"),
    ("mistral", "mistral"),
    ("mixtral", "mistral"),
    ("codestral", "mistral"),
    ("devstral", "mistral"),
    ("ministral", "mistral"),
    ("magistral", "mistral"),
    ("pixtral", "mistral"),
    ("qwen", "alibaba"),
    ("qwq", "alibaba"),
    ("qvq", "alibaba"),
    ("codeqwen", "alibaba"),
    ("deepseek", "deepseek"),
    ("grok", "xai"),
    ("glm", "zai"),
    ("chatglm", "zai"),
    ("codegeex", "zai"),
    ("kimi", "moonshotai"),
    ("minimax", "minimax"),
    ("phi", "microsoft"),
    ("wavecoder", "microsoft"),
    ("command", "cohere"),
    ("aya", "cohere"),
    ("c4ai", "cohere"),
    ("starcoder", "bigcode"),
    ("starcoderbase", "bigcode"),
    ("santacoder", "bigcode"),
    ("granite", "ibm"),
    ("nemotron", "nvidia"),
    ("yi", "01-ai"),
    ("olmo", "allenai"),
    ("hunyuan", "tencent"),
    ("ernie", "baidu"),
    ("doubao", "bytedance"),
    ("jamba", "ai21"),
    ("dbrx", "databricks"),
    ("solar", "upstage"),
    ("internlm", "shanghai-ai-lab"),
    ("codegen", "salesforce"),
    ("codegen2", "salesforce"),
    ("codet5", "salesforce"),
    ("stablelm", "stabilityai"),
    ("falcon", "tii"),
    ("vicuna", "lmsys"),
    ("wizardcoder", "wizardlm"),
    ("wizardlm", "wizardlm"),
    ("magicoder", "ise-uiuc"),
    ("incoder", "meta"),
    ("nova", "amazon"),
    ("reka", "reka"),
    ("sonar", "perplexity"),
    ("amazon", "amazon"),
    ("athene", "nexusflow"),
    ("starling", "nexusflow"),
    ("cogvlm", "zai"),
    ("cogvlm2", "zai"),
    ("dolly", "databricks"),
    ("dolphin", "cognitivecomputations"),
    ("guanaco", "timdettmers"),
    ("internvl", "shanghai-ai-lab"),
    ("internvl2", "shanghai-ai-lab"),
    ("ling", "inclusionai"),
    ("ring", "inclusionai"),
    ("llava", "llava-hf"),
    ("mai", "microsoft"),
    ("minicpm", "openbmb"),
    ("mpt", "mosaicml"),
    ("nous", "nousresearch"),
    ("hermes", "nousresearch"),
    ("nvidia", "nvidia"),
    ("nvila", "nvidia"),
    ("openchat", "openchat"),
    ("openhermes", "teknium"),
    ("smollm", "huggingface"),
    ("smollm2", "huggingface"),
    ("snowflake", "snowflake"),
    ("step", "stepfun"),
    ("stripedhyena", "togethercomputer"),
    ("tulu", "allenai"),
    ("zephyr", "huggingfaceh4"),
    ("ernie", "baidu"),
    ("lfm", "liquid"),
    ("granite", "ibm"),
    ("glm4", "zai"),
];

/// Organisation spellings (Hugging Face orgs, OpenRouter vendors, arena organisations, website
/// domains) and the lab they stand for.
const ORGANISATIONS: &[(&str, &str)] = &[
    ("meta-llama", "meta"),
    ("meta", "meta"),
    ("facebook", "meta"),
    ("codellama", "meta"),
    ("about.fb.com", "meta"),
    ("ai.meta.com", "meta"),
    ("qwen", "alibaba"),
    ("alibaba", "alibaba"),
    ("mistralai", "mistral"),
    ("mistral", "mistral"),
    ("mistral.ai", "mistral"),
    ("deepseek-ai", "deepseek"),
    ("deepseek", "deepseek"),
    ("google", "google"),
    ("google-deepmind", "google"),
    ("ai.google.dev", "google"),
    ("deepmind.google", "google"),
    ("blog.google", "google"),
    ("cohereforai", "cohere"),
    ("coherelabs", "cohere"),
    ("cohere", "cohere"),
    ("x-ai", "xai"),
    ("xai", "xai"),
    ("x.ai", "xai"),
    ("z-ai", "zai"),
    ("zai", "zai"),
    ("zai-org", "zai"),
    ("zhipu", "zai"),
    ("zhipuai", "zai"),
    ("thudm", "zai"),
    ("moonshotai", "moonshotai"),
    ("moonshot", "moonshotai"),
    ("microsoft", "microsoft"),
    ("openai", "openai"),
    ("openai.com", "openai"),
    ("platform.openai.com", "openai"),
    ("anthropic", "anthropic"),
    ("www.anthropic.com", "anthropic"),
    ("anthropic.com", "anthropic"),
    ("01-ai", "01-ai"),
    ("nvidia", "nvidia"),
    ("ibm-granite", "ibm"),
    ("ibm", "ibm"),
    ("allenai", "allenai"),
    ("tencent", "tencent"),
    ("bigcode", "bigcode"),
    ("lmsys.org", "lmsys"),
    ("www.eleuther.ai", "eleutherai"),
    ("eleuther.ai", "eleutherai"),
    ("eleutherai", "eleutherai"),
    ("blog.salesforceairesearch.com", "salesforce"),
    ("salesforce", "salesforce"),
    ("stabilityai", "stabilityai"),
    ("minimaxai", "minimax"),
    ("minimax", "minimax"),
    ("amazon", "amazon"),
    ("ai21labs", "ai21"),
];

/// Slugs an organisation name: lower-case, runs of other characters as one dash.
fn organisation_slug(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for character in text.trim().to_lowercase().chars() {
        if character.is_ascii_alphanumeric() || character == '.' {
            slug.push(character);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_owned()
}

/// The organisation a link names: the Hugging Face or GitHub owner, else the website's host;
/// `None` for hosts that name no organisation (arxiv.org, …).
pub fn organisation_of_link(link: &str) -> Option<String> {
    let rest = link
        .trim()
        .strip_prefix("https://")
        .or_else(|| link.trim().strip_prefix("http://"))?;
    let mut segments = rest.split('/');
    let host = segments.next()?.to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    let owner = segments.next().filter(|owner| !owner.is_empty());
    match host.as_str() {
        "huggingface.co" | "github.com" => {
            let owner = owner?;
            (owner != "datasets" && owner != "spaces").then(|| organisation_slug(owner))
        }
        "arxiv.org" | "paperswithcode.com" | "github.io" => None,
        // Placeholder hosts (RFC 2606) name nobody.
        _ if host.ends_with(".invalid")
            || host.ends_with(".example")
            || host.ends_with(".test")
            || host.starts_with("example.") =>
        {
            None
        }
        _ if host.ends_with(".github.io") => None,
        _ if ORGANISATIONS.iter().any(|(spelling, _)| *spelling == host) => Some(host),
        _ => {
            // The registrable label: `deepseek` of `deepseek.com`, `qwenlm` of `qwenlm.github.io`.
            let labels: Vec<&str> = host.split('.').collect();
            (labels.len() >= 2).then(|| labels[labels.len() - 2].to_owned())
        }
    }
}

/// How much of a spelling is hosting, packaging or flavour rather than the model
/// (`cerebras-llama-4-maverick-17b-128e-instruct` has 2): catalogs that list one model several times
/// create it from the plainest spelling.
pub fn spelling_noise(name: &str) -> usize {
    let lower = name.to_lowercase();
    let tokens = words(strip_provider(&lower));
    tokens
        .iter()
        .enumerate()
        .filter(|(index, token)| {
            let token = token.as_str();
            (*index == 0 && HOST_PREFIXES.contains(&token))
                || (*index > 0
                    && (PACKAGING_WORDS.contains(&token) || token == "instruct" || token == "it"))
        })
        .count()
}

/// The lab behind a model: the organisation hint (arena organisation, Hugging Face owner, creator
/// slug) when it names one, else the lab known for the line's first word. `None` when neither says.
pub fn infer_creator(parts: &NameParts, hint: Option<&str>) -> Option<String> {
    if let Some(hint) = hint.map(organisation_slug).filter(|hint| !hint.is_empty()) {
        let known = ORGANISATIONS
            .iter()
            .find(|(spelling, _)| *spelling == hint)
            .map(|(_, lab)| (*lab).to_owned());
        return Some(known.unwrap_or(hint).replace('.', "-"));
    }
    let first = parts.line.first()?;
    if first == "gpt" && parts.line.get(1).is_some_and(|w| w == "j" || w == "neo") {
        return Some("eleutherai".to_owned());
    }
    if first == "gpt" && parts.line.get(1).is_some_and(|w| w == "4all") {
        return Some("nomic-ai".to_owned());
    }
    LINE_CREATORS
        .iter()
        .find(|(word, _)| first == word)
        .map(|(_, lab)| (*lab).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(year: Option<i32>, month: u32, day: Option<u32>) -> Option<Version> {
        Some(Version::Date(PartialDate { year, month, day }))
    }

    fn line(name: &str) -> String {
        NameParts::parse(name).line_key()
    }

    #[test]
    fn lines_ignore_case_punctuation_prefixes_and_packaging() {
        for (name, expected) in [
            ("gpt-4o-2024-08-06", "gpt 4o"),
            ("openai/gpt-4o-2024-08-06", "gpt 4o"),
            ("OpenAI: GPT-4o (2024-08-06)", "gpt 4o"),
            ("GPT 4o (Aug 2024)", "gpt 4o"),
            ("GPT-4O-2024-08-06", "gpt 4o"),
            ("gpt4o", "gpt 4o"),
            ("claude-3-5-sonnet-20241022", "claude sonnet 3 5"),
            ("anthropic/claude-3.5-sonnet", "claude sonnet 3 5"),
            ("Claude Sonnet 3.5 (June 2024)", "claude sonnet 3 5"),
            ("claude-35-sonnet", "claude sonnet 3 5"),
            ("Claude 4.5 Opus medium (20251101)", "claude opus 4 5"),
            ("claude-opus-4-0", "claude opus 4"),
            ("claude-4-opus-20250514", "claude opus 4"),
            ("Gemini Pro 1.5", "gemini 1 5 pro"),
            ("gemini-1.5-pro-002", "gemini 1 5 pro"),
            ("qwen-2.5-72b-instruct", "qwen 2 5 72b"),
            ("qwen2-5-72b-instruct", "qwen 2 5 72b"),
            ("Qwen/Qwen2.5-72B-Instruct", "qwen 2 5 72b"),
            (
                "llama-4-maverick-17b-128e-instruct-fp8",
                "llama 4 maverick 17b 128e",
            ),
            (
                "cerebras-llama-4-maverick-17b-128e-instruct",
                "llama 4 maverick 17b 128e",
            ),
            ("Meta-Llama-3.1-405B-Instruct", "llama 3 1 405b"),
            ("Llama3-70B-instruct", "llama 3 70b"),
            ("DeepSeek-Coder-6.7B-instruct", "deepseek coder 6p7b"),
            ("qwen3-235b-a22b-thinking-2507", "qwen 3 235b a22b"),
            ("Mixtral-8x22B-Instruct-v0.1", "mixtral 8x22b v0 1"),
            ("intfloat__multilingual-e5-large", "multilingual e5 large"),
            ("kimi-k2-0905-preview", "kimi k2"),
            ("o3-mini-2025-01-31__low", "o3 mini"),
            ("grok-3-mini-beta_high", "grok 3 mini"),
            ("command-r-plus-08-2024", "command r plus"),
            ("command-r7b-12-2024", "command r7b"),
            ("MiniMax-M2", "minimax m2"),
            ("Command-R+", "command r plus"),
        ] {
            assert_eq!(line(name), expected, "{name}");
        }
    }

    #[test]
    fn versions_are_read_from_every_date_spelling() {
        let version = |name: &str| NameParts::parse(name).version;
        assert_eq!(version("gpt-4o-2024-08-06"), date(Some(2024), 8, Some(6)));
        assert_eq!(
            version("claude-3-5-sonnet-20241022"),
            date(Some(2024), 10, Some(22))
        );
        assert_eq!(
            version("GPT-4o (2024-11-20)"),
            date(Some(2024), 11, Some(20))
        );
        assert_eq!(
            version("Claude 4.5 Opus medium (20251101)"),
            date(Some(2025), 11, Some(1))
        );
        assert_eq!(version("mistral-large-2411"), date(Some(2024), 11, None));
        assert_eq!(version("gpt-4-0613"), date(None, 6, Some(13)));
        assert_eq!(version("gpt-4-1106-preview"), date(None, 11, Some(6)));
        assert_eq!(
            version("gemini-2.5-flash-preview-04-17"),
            date(None, 4, Some(17))
        );
        assert_eq!(version("command-r-plus-08-2024"), date(Some(2024), 8, None));
        assert_eq!(version("o3-20250416"), date(Some(2025), 4, Some(16)));
        assert_eq!(version("gemini-1.5-pro-002"), Some(Version::Counter(2)));
        assert_eq!(version("Gemini 1.5 Pro 002"), Some(Version::Counter(2)));
        assert_eq!(version("gpt-4o"), None);
        assert_eq!(version("claude-opus-4-5"), None);
        assert_eq!(version("gpt-5.1"), None);
        assert_eq!(version("RAG + GPT 4 (1106)"), date(None, 11, Some(6)));
        assert_eq!(version("Devstral small (2512)"), date(Some(2025), 12, None));
    }

    #[test]
    fn stages_modes_and_flavours() {
        let parts = NameParts::parse("gpt-4-1106-preview");
        assert_eq!(parts.stage, Stage::Preview);
        assert_eq!(
            NameParts::parse("claude-3-5-haiku-latest").stage,
            Stage::Latest
        );
        assert_eq!(
            NameParts::parse("gemini-2.5-pro-exp-03-25").stage,
            Stage::Preview
        );
        assert_eq!(
            NameParts::parse("O1 Preview (Sept 2024)").stage,
            Stage::Preview
        );
        for (name, mode) in [
            ("claude-opus-4-5-20251101-thinking-32k", Some("thinking")),
            ("claude-opus-4-5-20251101-high-effort", Some("high")),
            ("claude-opus-4-5-thinking", Some("thinking")),
            ("O3-Mini-2025-01-31 (High)", Some("high")),
            ("O3-Mini-2025-01-31 (Med)", Some("medium")),
            ("GPT-5 (2025-08-07) (medium reasoning)", Some("medium")),
            ("Claude-3.7-Sonnet (Thinking)", Some("thinking")),
            ("gemini-3-flash (thinking-minimal)", Some("minimal")),
            ("gemini-2.5-pro-06-05-highthinking", Some("high")),
            ("anthropic/claude-3.7-sonnet:thinking", Some("thinking")),
            ("deepseek-v3.2-reasoner", Some("thinking")),
            ("grok-4.20-0309-reasoning", Some("thinking")),
            ("grok-4.20-0309-non-reasoning", None),
            ("Claude 4.5 Sonnet (Non-reasoning)", None),
            ("kimi-k2-thinking", Some("thinking")),
            ("gpt-4o", None),
        ] {
            assert_eq!(NameParts::parse(name).mode, mode, "{name}");
        }
        assert_eq!(NameParts::parse("gemma-2-27b-it").flavor, Flavor::Instruct);
        assert_eq!(
            NameParts::parse("DeepSeek-Coder-33B-base").flavor,
            Flavor::Base
        );
        assert_eq!(
            NameParts::parse("CodeLlama-70B").flavor,
            Flavor::Unspecified
        );
        assert!(NameParts::parse("openai/gpt-oss-20b:free").free_variant);
    }

    #[test]
    fn notes_give_hints_without_a_version() {
        let parts = NameParts::parse("GPT 4o (Aug 2024)");
        assert_eq!(parts.version, None);
        assert_eq!(
            parts.hint,
            Some(YearMonth {
                year: 2024,
                month: 8
            })
        );
        assert_eq!(
            NameParts::parse("Claude 3.5 Sonnet (Oct '24)").hint,
            Some(YearMonth {
                year: 2024,
                month: 10
            })
        );
        assert_eq!(
            NameParts::parse("O1 Mini (Sept 2024)").hint,
            Some(YearMonth {
                year: 2024,
                month: 9
            })
        );
        assert_eq!(
            NameParts::parse("o1-Preview-2024-09-12 (temperature=1)").hint,
            None
        );
        assert_eq!(
            YearMonth {
                year: 2024,
                month: 2
            }
            .last_day(),
            NaiveDate::from_ymd_opt(2024, 2, 29).expect("date")
        );
    }

    #[test]
    fn distinct_models_keep_distinct_parts() {
        let pairs = [
            ("gpt-4-0314", "gpt-4-1106-preview"),
            ("mistral-large-2402", "mistral-large-2411"),
            ("mistral-large-2411", "mistral-large-2512"),
            ("command-r-08-2024", "command-r-plus-08-2024"),
            ("kimi-k2", "kimi-k2-thinking"),
            ("claude-3-5-sonnet-20240620", "claude-3-5-sonnet-20241022"),
            ("o1", "o1-preview"),
            ("gpt-4o-2024-05-13", "gpt-4o-2024-08-06"),
            ("gpt-4o", "gpt-4o-mini"),
            ("claude-3-5-haiku", "claude-3-5-sonnet"),
            ("qwen3-max", "qwen3"),
            ("CodeLlama-70B", "CodeLlama-70B-Instruct"),
        ];
        for (left, right) in pairs {
            assert_ne!(
                NameParts::parse(left),
                NameParts::parse(right),
                "{left} vs {right}"
            );
        }
    }

    #[test]
    fn dates_compare_on_the_fields_both_spell() {
        let full = PartialDate {
            year: Some(2024),
            month: 11,
            day: Some(6),
        };
        let month_day = PartialDate {
            year: None,
            month: 11,
            day: Some(6),
        };
        let year_month = PartialDate {
            year: Some(2024),
            month: 11,
            day: None,
        };
        assert!(full.compatible(&month_day));
        assert!(full.compatible(&year_month));
        assert!(!full.compatible(&PartialDate {
            year: Some(2023),
            ..full
        }));
        let reference = NaiveDate::from_ymd_opt(2024, 1, 10);
        // 13 June seen in January 2024 is June 2023.
        assert_eq!(
            PartialDate {
                year: None,
                month: 6,
                day: Some(13)
            }
            .resolve(reference),
            NaiveDate::from_ymd_opt(2023, 6, 13)
        );
        assert_eq!(
            year_month.resolve(None),
            NaiveDate::from_ymd_opt(2024, 11, 1)
        );
    }

    #[test]
    fn families_drop_sizes_and_sibling_words() {
        let family = |name: &str| slug_of_words(&NameParts::parse(name).family_words());
        assert_eq!(family("gpt-4o-mini-2024-07-18"), "gpt-4o");
        assert_eq!(family("gpt-4o-2024-08-06"), "gpt-4o");
        assert_eq!(family("llama-3.1-70b-instruct"), "llama-3.1");
        assert_eq!(family("claude-opus-4-5-20251101"), "claude-opus-4.5");
        assert_eq!(family("kimi-k2-thinking"), "kimi-k2");
        assert_eq!(family("gemini-2.5-flash"), "gemini-2.5");
        assert_eq!(family("qwen3-235b-a22b"), "qwen-3");
        assert_eq!(family("deepseek-v3.2"), "deepseek-v3.2");
        assert_eq!(family("mistral-large-2411"), "mistral-large");
    }

    #[test]
    fn slugs_of_created_models() {
        assert_eq!(
            slug_of_name("Qwen2.5-Coder-32B-Instruct"),
            "qwen2.5-coder-32b-instruct"
        );
        assert_eq!(slug_of_name("claude-2 (Mar 2024)"), "claude-2");
        assert_eq!(slug_of_name("GPT-4o (2024-11-20)"), "gpt-4o-2024-11-20");
        assert_eq!(slug_of_name("O4-Mini (High)"), "o4-mini-high");
        assert_eq!(slug_of_name("meta-llama/Llama-3-8B"), "llama-3-8b");
        assert_eq!(slug_of_name("Zephyr β-7B"), "zephyr-7b");
    }

    #[test]
    fn creators_from_hints_then_line_words() {
        let creator = |name: &str, hint: Option<&str>| infer_creator(&NameParts::parse(name), hint);
        assert_eq!(
            creator("Qwen2.5-Coder-32B-Instruct", Some("Qwen")).as_deref(),
            Some("alibaba")
        );
        assert_eq!(
            creator("Magicoder-S-DS-6.7B", Some("ise-uiuc")).as_deref(),
            Some("ise-uiuc")
        );
        assert_eq!(creator("claude-2", None).as_deref(), Some("anthropic"));
        assert_eq!(creator("GPT-J-6B", None).as_deref(), Some("eleutherai"));
        assert_eq!(creator("o3-mini", None).as_deref(), Some("openai"));
        assert_eq!(creator("mystery-model", None), None);
        assert_eq!(
            organisation_of_link("https://huggingface.co/deepseek-ai/DeepSeek-V3").as_deref(),
            Some("deepseek-ai")
        );
        assert_eq!(
            organisation_of_link("https://arxiv.org/abs/2203.13474"),
            None
        );
        assert_eq!(organisation_of_link("https://example.invalid"), None);
        assert_eq!(
            organisation_of_link("https://www.deepseek.com/").as_deref(),
            Some("deepseek")
        );
        assert_eq!(
            creator("DeepSeek-Coder-V2", Some("deepseek")).as_deref(),
            Some("deepseek")
        );
        assert_eq!(
            spelling_noise("cerebras-llama-4-maverick-17b-128e-instruct"),
            2
        );
        assert_eq!(spelling_noise("llama-4-maverick"), 0);
        assert_eq!(
            organisation_of_link("https://mistral.ai/news/mistral-large/").as_deref(),
            Some("mistral.ai")
        );
        assert_eq!(
            creator("Mistral Large", Some("mistral.ai")).as_deref(),
            Some("mistral")
        );
    }

    #[test]
    fn sizes_are_recognised() {
        for size in [
            "7b", "70b", "6p7b", "135m", "a22b", "8x7b", "8x22b", "128e", "16e",
        ] {
            assert!(is_size(size), "{size}");
        }
        for word in ["4o", "b", "mini", "abc", "e", "v0", "r7b2"] {
            assert!(!is_size(word), "{word}");
        }
    }

    fn word() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9]{0,6}".prop_filter("a plain word", |word| {
            let parts = NameParts::parse(word);
            parts.line == vec![word.clone()]
                && !CLAUDE_TIERS.contains(&word.as_str())
                && word != "claude"
                && word != "gemini"
                && word != "meta"
        })
    }

    proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC{0,60}") {
            let parts = NameParts::parse(&text);
            prop_assert!(parts.line.iter().all(|word| !word.is_empty()));
        }

        #[test]
        fn case_punctuation_and_providers_do_not_matter(
            words in prop::collection::vec(word(), 1..4),
            separator in "[-_. ]",
            provider in "[a-z][a-z0-9-]{0,8}",
        ) {
            let dashed = words.join("-");
            let other = format!("{provider}/{}", words.join(&separator).to_uppercase());
            prop_assert_eq!(NameParts::parse(&other), NameParts::parse(&dashed));
        }

        #[test]
        fn dates_are_versions_not_words(
            words in prop::collection::vec(word(), 1..4),
            suffix in prop::sample::select(vec!["-20240806", "-2024-08-06", "-0613", "-2402"]),
        ) {
            let bare = words.join("-");
            let dated = NameParts::parse(&format!("{bare}{suffix}"));
            let undated = NameParts::parse(&bare);
            prop_assert_eq!(&dated.line, &undated.line);
            prop_assert!(dated.version.is_some());
            prop_assert!(undated.version.is_none());
        }
    }
}
