//! What the fake models answer: fixed text, echo, the quality-graded oracle and the judge.
//!
//! # The oracle marker
//!
//! A prompt containing `<<answer:TEXT>>` tells the oracle models the expected answer: `good` answers
//! TEXT, `okay` and `bad` answer TEXT with words replaced (each word kept with probability 0.6 or
//! 0.15, decided by a hash of the seed, the model, the prompt and the word's position). Without a
//! marker the oracle degrades the last user message the same way (so `good` echoes it).
//!
//! # The judge protocol
//!
//! The benchhub judge writes its prompts in sections delimited by whole lines `<<<NAME NONCE>>>` and
//! `<<<END NAME NONCE>>>`, where NAME is `TASK`, `REFERENCE ANSWER`, `GRADING INSTRUCTIONS`,
//! `RESPONSE` (rubric grading) or `RESPONSE A` and `RESPONSE B` (pairwise), and NONCE is a hex token
//! the judge derives from the prompt's content. The fake judge reads the first user message:
//! - rubric: `score` = round(100 × token F1 between the response and the reference answer), where
//!   tokens are lowercase alphanumeric runs counted as a multiset (both empty: 100, one empty: 0;
//!   without a reference: 50); `pass` = score ≥ 60; it answers `{"score", "pass", "notes"}`.
//! - pairwise: each response is scored as above; a gap of at most 5 points is a tie, otherwise the
//!   higher one wins; it answers `{"winner": "A"|"B"|"tie", "notes"}`.
//!
//! A prompt without a response section gets prose (which the judge treats as malformed), so a drift
//! in the prompt format shows up in tests.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::config::{AnswerMode, JudgeStyle, Quality};

/// Filler words that replace dropped words of a degraded answer.
const FILLER: [&str; 12] = [
    "banana", "seven", "purple", "quickly", "tuesday", "gravel", "maybe", "oblong", "zero",
    "lantern", "north", "violin",
];

/// One message as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    pub role: String,
    pub content: String,
}

/// A received prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conversation {
    pub system: Option<String>,
    pub messages: Vec<Message>,
}

impl Conversation {
    fn last_user(&self) -> &str {
        self.messages
            .iter()
            .rev()
            .find(|message| message.role == "user")
            .map(|message| message.content.as_str())
            .unwrap_or_default()
    }

    fn first_user(&self) -> &str {
        self.messages
            .iter()
            .find(|message| message.role == "user")
            .map(|message| message.content.as_str())
            .unwrap_or_default()
    }

    fn has_assistant_turn(&self) -> bool {
        self.messages
            .iter()
            .any(|message| message.role == "assistant")
    }
}

/// Returns a number in [0, 1) derived from the parts (SHA-256, first 8 bytes).
pub(crate) fn unit(parts: &[&[u8]]) -> f64 {
    let mut digest = Sha256::new();
    for part in parts {
        digest.update((part.len() as u64).to_le_bytes());
        digest.update(part);
    }
    let bytes = digest.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes[..8]);
    (u64::from_le_bytes(first) >> 11) as f64 / (1u64 << 53) as f64
}

/// Returns the answer text of a model in `mode`.
pub(crate) fn answer(
    mode: &AnswerMode,
    conversation: &Conversation,
    seed: u64,
    model: &str,
    input_hash: &str,
) -> String {
    match mode {
        AnswerMode::Fixed { text } => text.clone(),
        AnswerMode::Echo => conversation.last_user().to_owned(),
        AnswerMode::Oracle { quality } => {
            let expected = conversation
                .messages
                .iter()
                .filter(|message| message.role == "user")
                .find_map(|message| answer_marker(&message.content))
                .unwrap_or_else(|| conversation.last_user().to_owned());
            degrade(&expected, *quality, seed, model, input_hash)
        }
        AnswerMode::Judge { style } => judge_answer(*style, conversation),
    }
}

/// Returns the text of the first `<<answer:TEXT>>` marker, trimmed.
fn answer_marker(text: &str) -> Option<String> {
    let start = text.find("<<answer:")? + "<<answer:".len();
    let length = text[start..].find(">>")?;
    Some(text[start..start + length].trim().to_owned())
}

fn degrade(text: &str, quality: Quality, seed: u64, model: &str, input_hash: &str) -> String {
    if quality == Quality::Good {
        return text.to_owned();
    }
    let keep = quality.keep_fraction();
    let seed_bytes = seed.to_le_bytes();
    text.split_whitespace()
        .enumerate()
        .map(|(position, word)| {
            let position_bytes = (position as u64).to_le_bytes();
            let draw = unit(&[
                &seed_bytes,
                model.as_bytes(),
                input_hash.as_bytes(),
                &position_bytes,
            ]);
            if draw < keep {
                word.to_owned()
            } else {
                let pick = unit(&[
                    &seed_bytes,
                    input_hash.as_bytes(),
                    &position_bytes,
                    b"filler",
                ]);
                FILLER[(pick * FILLER.len() as f64) as usize % FILLER.len()].to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sections of a judge prompt, by name.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct JudgePrompt {
    pub reference: Option<String>,
    pub response: Option<String>,
    pub response_a: Option<String>,
    pub response_b: Option<String>,
}

/// Parses the `<<<NAME NONCE>>>` … `<<<END NAME NONCE>>>` sections of a judge prompt.
pub(crate) fn parse_judge_prompt(text: &str) -> JudgePrompt {
    let mut prompt = JudgePrompt::default();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(inner) = line
            .trim()
            .strip_prefix("<<<")
            .and_then(|rest| rest.strip_suffix(">>>"))
        else {
            continue;
        };
        let Some((name, nonce)) = inner.rsplit_once(' ') else {
            continue;
        };
        if name.starts_with("END ") {
            continue;
        }
        let end = format!("<<<END {name} {nonce}>>>");
        let mut body = Vec::new();
        for content_line in lines.by_ref() {
            if content_line.trim() == end {
                break;
            }
            body.push(content_line);
        }
        let body = body.join("\n");
        match name {
            "REFERENCE ANSWER" => prompt.reference = Some(body),
            "RESPONSE" => prompt.response = Some(body),
            "RESPONSE A" => prompt.response_a = Some(body),
            "RESPONSE B" => prompt.response_b = Some(body),
            _ => {}
        }
    }
    prompt
}

/// Lowercase alphanumeric runs.
fn tokens(text: &str) -> Vec<String> {
    text.split(|character: char| !character.is_alphanumeric())
        .filter(|token| !token.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Token F1 (multiset) between a response and a reference, from 0 to 1.
pub(crate) fn token_f1(response: &str, reference: &str) -> f64 {
    let response_tokens = tokens(response);
    let reference_tokens = tokens(reference);
    if response_tokens.is_empty() && reference_tokens.is_empty() {
        return 1.0;
    }
    if response_tokens.is_empty() || reference_tokens.is_empty() {
        return 0.0;
    }
    let total = response_tokens.len() + reference_tokens.len();
    let mut remaining: HashMap<&str, usize> = HashMap::new();
    for token in &reference_tokens {
        *remaining.entry(token.as_str()).or_default() += 1;
    }
    let mut overlap = 0usize;
    for token in &response_tokens {
        if let Some(count) = remaining.get_mut(token.as_str())
            && *count > 0
        {
            *count -= 1;
            overlap += 1;
        }
    }
    2.0 * overlap as f64 / total as f64
}

fn score_against(response: &str, reference: Option<&str>) -> u32 {
    match reference {
        Some(reference) => (token_f1(response, reference) * 100.0).round() as u32,
        None => 50,
    }
}

const MALFORMED: &str =
    "The response looks mostly right to me; I would give it a solid eight out of ten.";

fn judge_answer(style: JudgeStyle, conversation: &Conversation) -> String {
    let malformed = match style {
        JudgeStyle::Malformed => true,
        JudgeStyle::MalformedOnce => !conversation.has_assistant_turn(),
        JudgeStyle::WellFormed | JudgeStyle::Fenced | JudgeStyle::PositionBiased => false,
    };
    if malformed {
        return MALFORMED.to_owned();
    }
    let prompt = parse_judge_prompt(conversation.first_user());
    let reference = prompt.reference.as_deref();
    let json = match (&prompt.response_a, &prompt.response_b, &prompt.response) {
        (Some(first), Some(second), _) => {
            let first_score = score_against(first, reference);
            let second_score = score_against(second, reference);
            let winner = if style == JudgeStyle::PositionBiased {
                "A"
            } else if first_score.abs_diff(second_score) <= 5 {
                "tie"
            } else if first_score > second_score {
                "A"
            } else {
                "B"
            };
            serde_json::json!({
                "winner": winner,
                "notes": format!("overlap with the reference: A {first_score}, B {second_score}"),
            })
        }
        (_, _, Some(response)) => {
            let score = score_against(response, reference);
            let notes = match reference {
                Some(_) => format!("token overlap with the reference answer: {score}%"),
                None => "no reference answer to compare with; neutral score".to_owned(),
            };
            serde_json::json!({"score": score, "pass": score >= 60, "notes": notes})
        }
        _ => return "I cannot find the response to grade in this prompt.".to_owned(),
    };
    match style {
        JudgeStyle::Fenced => format!("Here is my verdict:\n```json\n{json}\n```"),
        _ => json.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(messages: &[(&str, &str)]) -> Conversation {
        Conversation {
            system: None,
            messages: messages
                .iter()
                .map(|(role, content)| Message {
                    role: (*role).to_owned(),
                    content: (*content).to_owned(),
                })
                .collect(),
        }
    }

    fn rubric_prompt(reference: &str, response: &str) -> String {
        format!(
            "Grade this.\n<<<TASK ab12>>>\nWhat is the capital?\n<<<END TASK ab12>>>\n<<<REFERENCE ANSWER ab12>>>\n{reference}\n<<<END REFERENCE ANSWER ab12>>>\n<<<RESPONSE ab12>>>\n{response}\n<<<END RESPONSE ab12>>>\nAnswer in JSON."
        )
    }

    #[test]
    fn oracle_uses_the_marker_and_degrades_deterministically() {
        let prompt = conversation(&[("user", "What is 6 x 7? <<answer: the answer is 42 >>")]);
        let good = AnswerMode::Oracle {
            quality: Quality::Good,
        };
        assert_eq!(answer(&good, &prompt, 0, "good", "h"), "the answer is 42");
        let bad = AnswerMode::Oracle {
            quality: Quality::Bad,
        };
        let first = answer(&bad, &prompt, 0, "bad", "h");
        assert_eq!(first, answer(&bad, &prompt, 0, "bad", "h"));
        assert_eq!(first.split_whitespace().count(), 4);
        assert_ne!(first, "the answer is 42");
    }

    #[test]
    fn okay_keeps_more_words_than_bad_on_average() {
        let text = (0..400)
            .map(|index| format!("w{index}"))
            .collect::<Vec<_>>()
            .join(" ");
        let kept = |quality| {
            degrade(&text, quality, 1, "m", "h")
                .split_whitespace()
                .filter(|word| word.starts_with('w'))
                .count()
        };
        let okay = kept(Quality::Okay);
        let bad = kept(Quality::Bad);
        assert!((200..=280).contains(&okay), "{okay}");
        assert!((30..=90).contains(&bad), "{bad}");
    }

    #[test]
    fn echo_and_fixed() {
        let prompt = conversation(&[("user", "first"), ("assistant", "x"), ("user", "last")]);
        assert_eq!(answer(&AnswerMode::Echo, &prompt, 0, "echo", "h"), "last");
        assert_eq!(
            answer(
                &AnswerMode::Fixed {
                    text: "hi".to_owned()
                },
                &prompt,
                0,
                "f",
                "h"
            ),
            "hi"
        );
    }

    #[test]
    fn judge_prompt_sections_are_parsed() {
        let prompt = parse_judge_prompt(&rubric_prompt("Paris", "It is Paris.\nDefinitely."));
        assert_eq!(prompt.reference.as_deref(), Some("Paris"));
        assert_eq!(
            prompt.response.as_deref(),
            Some("It is Paris.\nDefinitely.")
        );
    }

    #[test]
    fn rubric_judge_scores_token_overlap() {
        let style = AnswerMode::Judge {
            style: JudgeStyle::WellFormed,
        };
        let prompt = conversation(&[(
            "user",
            &rubric_prompt("Paris is the capital", "paris is the capital!"),
        )]);
        let verdict: serde_json::Value =
            serde_json::from_str(&answer(&style, &prompt, 0, "judge", "h")).expect("json");
        assert_eq!(verdict["score"], 100);
        assert_eq!(verdict["pass"], true);
        let prompt = conversation(&[("user", &rubric_prompt("Paris", "London"))]);
        let verdict: serde_json::Value =
            serde_json::from_str(&answer(&style, &prompt, 0, "judge", "h")).expect("json");
        assert_eq!(verdict["score"], 0);
        assert_eq!(verdict["pass"], false);
    }

    #[test]
    fn malformed_once_recovers_after_a_repair_turn() {
        let style = AnswerMode::Judge {
            style: JudgeStyle::MalformedOnce,
        };
        let text = rubric_prompt("a", "a");
        let first = conversation(&[("user", &text)]);
        assert!(
            serde_json::from_str::<serde_json::Value>(&answer(&style, &first, 0, "j", "h"))
                .is_err()
        );
        let repair = conversation(&[
            ("user", &text),
            ("assistant", MALFORMED),
            ("user", "fix it"),
        ]);
        assert!(
            serde_json::from_str::<serde_json::Value>(&answer(&style, &repair, 0, "j", "h"))
                .is_ok()
        );
    }

    #[test]
    fn pairwise_judge_prefers_the_closer_response_and_biased_prefers_the_first() {
        let text = "<<<REFERENCE ANSWER n1>>>\nthe cat sat\n<<<END REFERENCE ANSWER n1>>>\n<<<RESPONSE A n1>>>\na dog ran\n<<<END RESPONSE A n1>>>\n<<<RESPONSE B n1>>>\nthe cat sat\n<<<END RESPONSE B n1>>>";
        let prompt = conversation(&[("user", text)]);
        let fair: serde_json::Value = serde_json::from_str(&answer(
            &AnswerMode::Judge {
                style: JudgeStyle::WellFormed,
            },
            &prompt,
            0,
            "j",
            "h",
        ))
        .expect("json");
        assert_eq!(fair["winner"], "B");
        let biased: serde_json::Value = serde_json::from_str(&answer(
            &AnswerMode::Judge {
                style: JudgeStyle::PositionBiased,
            },
            &prompt,
            0,
            "j",
            "h",
        ))
        .expect("json");
        assert_eq!(biased["winner"], "A");
    }

    #[test]
    fn token_f1_edge_cases() {
        assert_eq!(token_f1("", ""), 1.0);
        assert_eq!(token_f1("a", ""), 0.0);
        assert_eq!(token_f1("a b", "a c"), 0.5);
        assert_eq!(token_f1("Ünïcode ÉTÉ", "ünïcode été"), 1.0);
    }
}
