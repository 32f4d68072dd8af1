//! Hostile input for the case importers: arbitrary text never panics `parse_jsonl` or `parse_csv`,
//! and valid cases written as JSONL or CSV read back unchanged.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

use benchhub_benchctl::commands::runner::{grader_from_json, parse_csv, parse_jsonl};
use benchhub_proto::pb;
use proptest::prelude::*;
use serde_json::{Value, json};

const GRADERS: &[&str] = &["exact", "normalized_exact", "json_valid", "llm_rubric"];

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text that leans towards the characters the importers treat specially.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\{\\}\\[\\]\",:;|#\\\\\n\r\t a-z0-9]{0,200}",
        prop::collection::vec(
            prop_oneof![
                Just("{\"input\": \"x\"}".to_owned()),
                Just("{\"input\": 1, \"tags\": 2}".to_owned()),
                Just("{\"input\": \"x\", \"grader\": {\"kind\": 3}}".to_owned()),
                Just(
                    "{\"input\": \"x\", \"grader\": {\"kind\": \"numeric\", \"expected\": 1e999}}"
                        .to_owned()
                ),
                Just("input,expected,tags,grader".to_owned()),
                Just("\"unterminated".to_owned()),
                Just("a,b,c,d,e,f".to_owned()),
                Just("# comment".to_owned()),
                any::<String>(),
            ],
            0..8
        )
        .prop_map(|lines| lines.join("\n")),
    ]
}

/// One case whose fields survive both formats: non-blank input, tags without separators or
/// surrounding spaces, and a grader given by name.
fn case() -> impl Strategy<Value = pb::TestCaseSpec> {
    let tag = "[a-zA-Z0-9_.-]{1,12}";
    (
        "\\PC*[a-zA-Z0-9]\\PC*",
        "\\PC*",
        "\\PC*",
        prop::collection::vec(tag, 0..4),
        prop::option::of(prop::sample::select(GRADERS)),
    )
        .prop_map(
            |(input, expected_output, rubric, tags, grader)| pb::TestCaseSpec {
                input,
                expected_output,
                rubric,
                tags,
                grader: grader.map(|name| {
                    grader_from_json(&Value::String(name.to_owned())).expect("known grader")
                }),
            },
        )
}

fn grader_name(case: &pb::TestCaseSpec) -> &'static str {
    use pb::grader::Kind;
    match case.grader.as_ref().and_then(|grader| grader.kind.as_ref()) {
        None => "",
        Some(Kind::Exact(_)) => "exact",
        Some(Kind::NormalizedExact(_)) => "normalized_exact",
        Some(Kind::JsonValid(_)) => "json_valid",
        Some(Kind::LlmRubric(_)) => "llm_rubric",
        Some(other) => panic!("not generated: {other:?}"),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_jsonl_never_panics(text in hostile_text()) {
        if let Err(error) = parse_jsonl("cases.jsonl", &text) {
            prop_assert!(format!("{error:#}").contains("cases.jsonl:"), "{error:#}");
        }
    }

    #[test]
    fn arbitrary_csv_never_panics(text in hostile_text()) {
        if let Err(error) = parse_csv("cases.csv", &text) {
            prop_assert!(format!("{error:#}").contains("cases.csv"), "{error:#}");
        }
    }

    #[test]
    fn arbitrary_grader_objects_never_panic(
        kind in prop_oneof![prop::sample::select(GRADERS), Just("regex"), Just("numeric"), Just("contains"), Just("json_schema"), Just("bogus")],
        field in "[a-z_]{1,12}",
        value in prop_oneof![Just(Value::Null), any::<f64>().prop_map(Value::from), any::<String>().prop_map(Value::from), Just(json!([1, "a", null]))],
    ) {
        let object = json!({"kind": kind, field: value});
        let _ = grader_from_json(&object);
    }

    #[test]
    fn jsonl_cases_round_trip(cases in prop::collection::vec(case(), 1..6)) {
        let text: String = cases
            .iter()
            .map(|case| {
                let mut object = json!({
                    "input": case.input,
                    "expected_output": case.expected_output,
                    "rubric": case.rubric,
                    "tags": case.tags,
                });
                let grader = grader_name(case);
                if !grader.is_empty() {
                    object["grader"] = Value::from(grader);
                }
                format!("{object}\n")
            })
            .collect();
        let parsed = parse_jsonl("cases.jsonl", &text).map_err(|error| TestCaseError::fail(format!("{error:#}")))?;
        prop_assert_eq!(parsed, cases);
    }

    #[test]
    fn csv_cases_round_trip(cases in prop::collection::vec(case(), 1..6)) {
        let mut writer = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .from_writer(Vec::new());
        writer
            .write_record(["input", "expected_output", "rubric", "tags", "grader"])
            .expect("header");
        for case in &cases {
            writer
                .write_record([
                    case.input.as_str(),
                    case.expected_output.as_str(),
                    case.rubric.as_str(),
                    &case.tags.join(";"),
                    grader_name(case),
                ])
                .expect("record");
        }
        let bytes = writer.into_inner().expect("flushed");
        let text = String::from_utf8(bytes).expect("utf-8");
        let parsed = parse_csv("cases.csv", &text).map_err(|error| TestCaseError::fail(format!("{error:#}")))?;
        prop_assert_eq!(parsed, cases);
    }
}
