//! Deterministic graders over gRPC: edge cases, limits and field-named errors.

use benchhub_proto::pb;
use benchhub_proto::pb::grader::Kind;

use crate::helpers::{Harness, assert_invalid, grader};

fn exact(expected: &str) -> Kind {
    Kind::Exact(pb::ExactGrader {
        expected: expected.to_owned(),
    })
}

fn normalized(expected: &str) -> Kind {
    Kind::NormalizedExact(pb::NormalizedExactGrader {
        expected: expected.to_owned(),
    })
}

fn regex(pattern: &str) -> Kind {
    Kind::Regex(pb::RegexGrader {
        pattern: pattern.to_owned(),
    })
}

fn schema(schema_json: &str) -> Kind {
    Kind::JsonSchema(pb::JsonSchemaGrader {
        schema_json: schema_json.to_owned(),
    })
}

fn numeric(expected: f64, abs_tolerance: f64, rel_tolerance: f64) -> Kind {
    Kind::Numeric(pb::NumericGrader {
        expected: Some(expected),
        abs_tolerance,
        rel_tolerance,
    })
}

#[tokio::test]
async fn deterministic_graders_score_pass_and_fail() {
    let harness = Harness::start().await;

    let result = harness.score(" 42\n", exact("42")).await.expect("scored");
    assert_eq!((result.score, result.passed), (Some(100.0), Some(true)));
    assert_eq!(result.grader, pb::GraderKind::Exact as i32);
    assert_eq!(
        (result.judge_attempts, result.judge_model.as_str()),
        (0, "")
    );
    assert!(result.error.is_empty());
    let result = harness
        .score("Paris", exact("paris"))
        .await
        .expect("scored");
    assert_eq!((result.score, result.passed), (Some(0.0), Some(false)));
    assert!(result.notes.contains("character 0"), "{}", result.notes);

    // Unicode: NFKC (full-width, ligatures), combining accents, case and punctuation.
    for (expected, output) in [
        ("Ｔｏｋｙｏ", "tokyo"),
        ("café", "CAFE\u{301}!"),
        ("ﬁnal answer", "Final  answer."),
        ("", "  ...  "),
    ] {
        let result = harness
            .score(output, normalized(expected))
            .await
            .expect("scored");
        assert_eq!(
            result.passed,
            Some(true),
            "{expected:?} vs {output:?}: {}",
            result.notes
        );
    }
    assert_eq!(
        harness
            .score("Kyoto", normalized("Tokyo"))
            .await
            .expect("scored")
            .passed,
        Some(false)
    );

    let contains = |needles: &[&str], all: bool| {
        Kind::Contains(pb::ContainsGrader {
            needles: needles.iter().map(|needle| (*needle).to_owned()).collect(),
            all,
            case_insensitive: true,
        })
    };
    let result = harness
        .score(
            "SELECT id FROM users USING INDEX",
            contains(&["select", "join"], true),
        )
        .await
        .expect("scored");
    assert_eq!(result.passed, Some(false));
    assert!(result.notes.contains("'join'"), "{}", result.notes);
    assert_eq!(
        harness
            .score("SELECT id", contains(&["select", "join"], false))
            .await
            .expect("scored")
            .passed,
        Some(true)
    );

    assert_eq!(
        harness
            .score("call 555-1234", regex(r"\d{3}-\d{4}"))
            .await
            .expect("scored")
            .passed,
        Some(true)
    );
    assert_eq!(
        harness
            .score("ответ: да", regex(r"^\p{Cyrillic}+: да$"))
            .await
            .expect("scored")
            .passed,
        Some(true)
    );
    assert_eq!(
        harness.score("", regex("^$")).await.expect("scored").passed,
        Some(true)
    );

    let person = r#"{"type":"object","required":["name"],"properties":{"name":{"type":"string","minLength":1},"age":{"type":"integer"}}}"#;
    let result = harness
        .score(
            "```json\n{\"name\": \"Zoë\", \"age\": 3}\n```",
            schema(person),
        )
        .await
        .expect("scored");
    assert_eq!(result.passed, Some(true), "{}", result.notes);
    let result = harness
        .score(r#"{"name": "", "age": "three"}"#, schema(person))
        .await
        .expect("scored");
    assert_eq!(result.passed, Some(false));
    assert!(
        result.notes.contains("/age") || result.notes.contains("/name"),
        "{}",
        result.notes
    );
    let result = harness
        .score("not json", Kind::JsonValid(pb::JsonValidGrader {}))
        .await
        .expect("scored");
    assert_eq!(result.passed, Some(false));
    assert_eq!(result.grader, pb::GraderKind::JsonValid as i32);

    assert_eq!(
        harness
            .score("≈ 3.1416", numeric(std::f64::consts::PI, 0.001, 0.0))
            .await
            .expect("scored")
            .passed,
        Some(true)
    );
    assert_eq!(
        harness
            .score("1,050 units", numeric(1000.0, 0.0, 0.04))
            .await
            .expect("scored")
            .passed,
        Some(false)
    );
    let result = harness
        .score("no number", numeric(1.0, 1.0, 0.0))
        .await
        .expect("scored");
    assert_eq!(result.passed, Some(false));
    assert!(result.notes.contains("no number"), "{}", result.notes);
}

#[tokio::test]
async fn large_inputs_within_limits_are_graded_and_larger_ones_rejected() {
    let harness = Harness::start().await;
    let limit = 256 * 1024;
    let mut big = "lorem ipsum ".repeat((limit - 16) / 12);
    big.push_str("needle-42");
    assert!(big.len() <= limit);
    let result = harness
        .score(&big, regex(r"needle-\d+$"))
        .await
        .expect("scored");
    assert_eq!(result.passed, Some(true));
    let result = harness
        .score(&big, numeric(42.0, 0.0, 0.0))
        .await
        .expect("scored");
    assert_eq!(result.passed, Some(true), "{}", result.notes);

    let too_big = "x".repeat(limit + 1);
    let status = harness
        .score(&too_big, exact("x"))
        .await
        .expect_err("too big");
    assert_invalid(&status, "output");
    let status = harness
        .score_with_input(&too_big, "x", exact("x"))
        .await
        .expect_err("too big");
    assert_invalid(&status, "input");
}

#[tokio::test]
async fn invalid_graders_are_rejected_naming_the_field() {
    let harness = Harness::start().await;
    let message = assert_invalid(
        &harness
            .score("x", regex("([a-z]"))
            .await
            .expect_err("bad regex"),
        "grader.regex.pattern",
    );
    assert!(
        message.contains("not a valid regular expression"),
        "{message}"
    );
    let message = assert_invalid(
        &harness
            .score("x", regex(r"(\w+)\s\1"))
            .await
            .expect_err("backreference"),
        "grader.regex.pattern",
    );
    assert!(message.contains("backreferences"), "{message}");
    let message = assert_invalid(
        &harness
            .score("x", regex(r"[\w\d]{500}{500}"))
            .await
            .expect_err("huge"),
        "grader.regex.pattern",
    );
    assert!(message.contains("limit"), "{message}");
    assert_invalid(
        &harness
            .score("{}", schema("{\"type\": "))
            .await
            .expect_err("bad json"),
        "grader.json_schema.schema_json",
    );
    let message = assert_invalid(
        &harness
            .score(
                "{}",
                schema(r#"{"type": "object", "properties": {"a": {"type": 7}}}"#),
            )
            .await
            .expect_err("bad schema"),
        "grader.json_schema.schema_json",
    );
    assert!(message.contains("not a valid JSON Schema"), "{message}");
    assert_invalid(
        &harness
            .score("1", Kind::Numeric(pb::NumericGrader::default()))
            .await
            .expect_err("no expected"),
        "grader.numeric.expected",
    );
    assert_invalid(
        &harness
            .score("x", Kind::Contains(pb::ContainsGrader::default()))
            .await
            .expect_err("no needles"),
        "grader.contains.needles",
    );

    let mut client = harness.client.clone();
    let status = client
        .score(harness.request(pb::ScoreRequest {
            input: String::new(),
            output: "x".to_owned(),
            grader: None,
        }))
        .await
        .expect_err("no grader");
    let message = assert_invalid(&status, "grader");
    assert!(message.contains("json_schema"), "{message}");
}

#[tokio::test]
async fn score_batch_keeps_order_and_validates_every_item_first() {
    let harness = Harness::start().await;
    let mut client = harness.client.clone();
    let items: Vec<pb::ScoreItem> = (0..300)
        .map(|index| pb::ScoreItem {
            input: String::new(),
            output: format!("{{\"id\": {index}}}"),
            grader: Some(grader(match index % 3 {
                0 => regex(&format!("\"id\": {index}\\}}$")),
                1 => schema(
                    r#"{"type":"object","properties":{"id":{"type":"integer","multipleOf":2}}}"#,
                ),
                _ => numeric(index as f64, 0.0, 0.0),
            })),
        })
        .collect();
    let response = client
        .score_batch(harness.request(pb::ScoreBatchRequest {
            items,
            concurrency: 0,
        }))
        .await
        .expect("scored")
        .into_inner();
    assert_eq!(response.results.len(), 300);
    for (index, result) in response.results.iter().enumerate() {
        let expected_kind = match index % 3 {
            0 => pb::GraderKind::Regex,
            1 => pb::GraderKind::JsonSchema,
            _ => pb::GraderKind::Numeric,
        };
        assert_eq!(result.grader, expected_kind as i32, "item {index}");
        let expected_pass = index % 3 != 1 || index % 2 == 0;
        assert_eq!(
            result.passed,
            Some(expected_pass),
            "item {index}: {}",
            result.notes
        );
    }

    let bad_items = vec![
        pb::ScoreItem {
            input: String::new(),
            output: "a".to_owned(),
            grader: Some(grader(regex("a"))),
        },
        pb::ScoreItem {
            input: String::new(),
            output: "b".to_owned(),
            grader: Some(grader(regex("(b"))),
        },
    ];
    let status = client
        .score_batch(harness.request(pb::ScoreBatchRequest {
            items: bad_items,
            concurrency: 4,
        }))
        .await
        .expect_err("invalid item");
    assert_invalid(&status, "items[1].grader.regex.pattern");

    let status = client
        .score_batch(harness.request(pb::ScoreBatchRequest {
            items: Vec::new(),
            concurrency: 0,
        }))
        .await
        .expect_err("empty");
    assert_invalid(&status, "items");
    let status = client
        .score_batch(harness.request(pb::ScoreBatchRequest {
            items: vec![pb::ScoreItem {
                input: String::new(),
                output: "a".to_owned(),
                grader: Some(grader(exact("a"))),
            }],
            concurrency: 1_000,
        }))
        .await
        .expect_err("concurrency");
    assert_invalid(&status, "concurrency");
}
