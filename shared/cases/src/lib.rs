//! Reading test cases from JSONL and CSV files for `benchctl suite add`, `benchctl run --cases` and
//! the console's case upload.
//!
//! JSONL: one object per line (blank lines and lines starting with `#` are skipped):
//! `{"input": "...", "expected_output": "...", "rubric": "...", "tags": ["sql"], "grader": "exact"}`.
//! `expected` is accepted for `expected_output`; `tags` may also be one string separated by `,` or `;`.
//! `grader` is a name (`exact`, `normalized_exact`, `json_valid`, `llm_rubric`) or an object with a
//! `kind` and that grader's fields, e.g. `{"kind": "regex", "pattern": "^\\d+$"}`,
//! `{"kind": "contains", "needles": ["a", "b"], "all": true}`,
//! `{"kind": "numeric", "abs_tolerance": 0.01}`, `{"kind": "json_schema", "schema": {...}}`,
//! `{"kind": "llm_rubric", "judge": "openai/gpt-4o-mini", "pass_threshold": 70}`.
//!
//! CSV: a header row naming the columns `input` (required), `expected_output` (or `expected`),
//! `rubric`, `tags` (separated by `;` or `|`) and `grader` (a grader name); other columns are ignored.

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

use std::path::Path;

use anyhow::{Context as _, bail};
use benchhub_common::grading::{GraderKind, GraderSpec};
use benchhub_proto::pb;
use serde_json::Value;

/// File formats of case files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

impl Format {
    /// Picks the format from an explicit name, else the file extension (`.jsonl`, `.ndjson`, `.json`,
    /// `.csv`).
    pub fn detect(path: &Path, explicit: Option<&str>) -> anyhow::Result<Self> {
        let name = match explicit {
            Some(name) => name.to_lowercase(),
            None => path
                .extension()
                .and_then(|extension| extension.to_str())
                .unwrap_or_default()
                .to_lowercase(),
        };
        match name.as_str() {
            "jsonl" | "ndjson" | "json" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            other => bail!(
                "cannot tell the format of {} ('{other}'); use a .jsonl or .csv file or pass --format jsonl|csv",
                path.display()
            ),
        }
    }
}

/// Reads the cases of a file.
pub fn read_cases(path: &Path, format: Format) -> anyhow::Result<Vec<pb::TestCaseSpec>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path.display().to_string();
    match format {
        Format::Jsonl => parse_jsonl(&name, &text),
        Format::Csv => parse_csv(&name, &text),
    }
}

/// The objects of JSONL text, each with its position (`file:line`); blank lines and lines starting with
/// `#` are skipped; errors name the position.
pub fn jsonl_objects(
    name: &str,
    text: &str,
) -> anyhow::Result<Vec<(String, serde_json::Map<String, Value>)>> {
    let mut objects = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("{name}:{}", index + 1);
        let value: Value =
            serde_json::from_str(line).with_context(|| format!("{at}: not a JSON object"))?;
        let Value::Object(object) = value else {
            bail!("{at}: expected a JSON object");
        };
        objects.push((at, object));
    }
    Ok(objects)
}

/// Parses JSONL text; errors name the file and line.
pub fn parse_jsonl(name: &str, text: &str) -> anyhow::Result<Vec<pb::TestCaseSpec>> {
    let mut cases = Vec::new();
    for (at, object) in jsonl_objects(name, text)? {
        let object = &object;
        let text_field = |key: &str| -> anyhow::Result<String> {
            match object.get(key) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(text)) => Ok(text.clone()),
                Some(Value::Number(number)) => Ok(number.to_string()),
                Some(Value::Bool(flag)) => Ok(flag.to_string()),
                Some(other) => Ok(other.to_string()),
            }
        };
        let input = text_field("input")?;
        if input.trim().is_empty() {
            bail!("{at}: missing \"input\"");
        }
        let mut expected_output = text_field("expected_output")?;
        if expected_output.is_empty() {
            expected_output = text_field("expected")?;
        }
        let tags = match object.get("tags") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| item.to_string())
                })
                .collect(),
            Some(Value::String(text)) => split_tags(text, &[',', ';', '|']),
            Some(_) => bail!("{at}: \"tags\" must be a list of strings"),
        };
        let grader = match object.get("grader") {
            None | Some(Value::Null) => None,
            Some(value) => Some(grader_from_json(value).with_context(|| format!("{at}: grader"))?),
        };
        cases.push(pb::TestCaseSpec {
            input,
            expected_output,
            rubric: text_field("rubric")?,
            grader,
            tags,
        });
    }
    Ok(cases)
}

/// A CSV record with its position (`file: record N`), or why it is malformed.
pub type PositionedRecord = anyhow::Result<(String, csv::StringRecord)>;

/// The lower-case header row of CSV text, and its records, each with its position
/// (`file: record N`); errors name the position.
pub fn csv_records<'a>(
    name: &'a str,
    text: &'a str,
) -> anyhow::Result<(Vec<String>, impl Iterator<Item = PositionedRecord> + 'a)> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("{name}: cannot read the header row"))?
        .iter()
        .map(str::to_lowercase)
        .collect();
    let records = reader
        .into_records()
        .enumerate()
        .map(move |(index, record)| {
            let at = format!("{name}: record {}", index + 1);
            let record = record.with_context(|| format!("{at}: malformed CSV"))?;
            Ok((at, record))
        });
    Ok((headers, records))
}

/// Parses CSV text with a header row; errors name the file and record.
pub fn parse_csv(name: &str, text: &str) -> anyhow::Result<Vec<pb::TestCaseSpec>> {
    let (headers, records) = csv_records(name, text)?;
    let column = |names: &[&str]| {
        headers
            .iter()
            .position(|header| names.contains(&header.as_str()))
    };
    let input_column = column(&["input", "prompt", "question"])
        .with_context(|| format!("{name}: the header has no \"input\" column"))?;
    let expected_column = column(&["expected_output", "expected", "answer"]);
    let rubric_column = column(&["rubric"]);
    let tags_column = column(&["tags"]);
    let grader_column = column(&["grader"]);
    let mut cases = Vec::new();
    for record in records {
        let (at, record) = record?;
        let field = |column: Option<usize>| -> String {
            column
                .and_then(|column| record.get(column))
                .unwrap_or_default()
                .to_owned()
        };
        let input = field(Some(input_column));
        if input.trim().is_empty() {
            bail!("{at}: empty input");
        }
        let grader_name = field(grader_column);
        let grader = if grader_name.trim().is_empty() {
            None
        } else {
            Some(
                grader_from_json(&Value::String(grader_name.trim().to_owned()))
                    .with_context(|| format!("{at}: grader"))?,
            )
        };
        cases.push(pb::TestCaseSpec {
            input,
            expected_output: field(expected_column),
            rubric: field(rubric_column),
            grader,
            tags: split_tags(&field(tags_column), &[';', '|']),
        });
    }
    Ok(cases)
}

fn split_tags(text: &str, separators: &[char]) -> Vec<String> {
    text.split(|character| separators.contains(&character))
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Builds a grader from a name or an object with a `kind`: the case-file spelling is brought to the
/// stored form of [`GraderSpec`] (a `schema` object becomes `schema_json`, a `judge` name becomes
/// `{"model": ...}`, a contains grader's `all` defaults to true), which then reads it and converts it
/// to the contract the one way every service does.
pub fn grader_from_json(value: &Value) -> anyhow::Result<pb::Grader> {
    let mut fields = match value {
        Value::String(_) => serde_json::Map::from_iter([("kind".to_owned(), value.clone())]),
        Value::Object(object) => object.clone(),
        _ => bail!("must be a grader name or an object with a \"kind\""),
    };
    let kind = fields
        .get("kind")
        .and_then(Value::as_str)
        .context("an object grader needs a \"kind\"")?;
    let kind = GraderKind::from_name(kind)
        .with_context(|| format!("unknown grader '{kind}'; use {}", GraderKind::NAMES))?;
    match kind {
        GraderKind::Contains => {
            fields.entry("all").or_insert(Value::Bool(true));
        }
        GraderKind::JsonSchema => {
            if let Some(schema) = fields.remove("schema") {
                let text = match schema {
                    Value::String(text) => text,
                    schema => schema.to_string(),
                };
                fields.insert("schema_json".to_owned(), Value::String(text));
            }
        }
        GraderKind::LlmRubric => {
            if let Some(Value::String(model)) = fields.get("judge") {
                let judge = serde_json::json!({ "model": model });
                fields.insert("judge".to_owned(), judge);
            }
        }
        _ => {}
    }
    let spec: GraderSpec = serde_json::from_value(Value::Object(fields))
        .with_context(|| format!("not a valid {} grader", kind.as_str()))?;
    Ok(spec.to_pb())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_cases_with_every_field() {
        let text = r#"
# a comment
{"input": "2+2?", "expected": 4, "tags": ["math", "easy"], "grader": "exact"}

{"input": "Write SQL", "expected_output": "SELECT 1", "rubric": "valid SQL", "tags": "sql; hard",
  "grader": {"kind": "regex", "pattern": "(?i)select"}}
"#;
        // The second object spans two lines: JSONL needs one object per line.
        assert!(parse_jsonl("cases.jsonl", text).is_err());
        let text = concat!(
            "{\"input\": \"2+2?\", \"expected\": 4, \"tags\": [\"math\", \"easy\"], \"grader\": \"exact\"}\n",
            "\n",
            "{\"input\": \"Write SQL\", \"expected_output\": \"SELECT 1\", \"rubric\": \"valid SQL\", \"tags\": \"sql; hard\", \"grader\": {\"kind\": \"regex\", \"pattern\": \"(?i)select\"}}\n",
        );
        let cases = parse_jsonl("cases.jsonl", text).expect("valid");
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].expected_output, "4");
        assert_eq!(cases[0].tags, vec!["math", "easy"]);
        assert!(matches!(
            cases[0].grader.as_ref().and_then(|g| g.kind.clone()),
            Some(pb::grader::Kind::Exact(_))
        ));
        assert_eq!(cases[1].tags, vec!["sql", "hard"]);
        assert_eq!(cases[1].rubric, "valid SQL");
        assert!(matches!(
            cases[1].grader.as_ref().and_then(|g| g.kind.clone()),
            Some(pb::grader::Kind::Regex(pb::RegexGrader { pattern })) if pattern == "(?i)select"
        ));
    }

    #[test]
    fn jsonl_errors_name_the_line() {
        let error = parse_jsonl(
            "cases.jsonl",
            "{\"input\": \"ok\"}\n{\"expected\": \"x\"}\n",
        )
        .expect_err("missing input");
        assert!(format!("{error:#}").contains("cases.jsonl:2"), "{error:#}");
        let error = parse_jsonl("cases.jsonl", "not json\n").expect_err("not json");
        assert!(format!("{error:#}").contains("cases.jsonl:1"), "{error:#}");
        let error = parse_jsonl("c.jsonl", "{\"input\": \"x\", \"grader\": \"fuzzy\"}\n")
            .expect_err("unknown grader");
        assert!(
            format!("{error:#}").contains("unknown grader 'fuzzy'"),
            "{error:#}"
        );
    }

    #[test]
    fn csv_cases_with_quotes_and_tags() {
        let text = "Input,Expected,tags,grader,notes\n\"Say \"\"hi\"\", politely\",hi,greeting;easy,normalized_exact,ignored\nWhat is 3*3?,9,,,\n";
        let cases = parse_csv("cases.csv", text).expect("valid");
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].input, "Say \"hi\", politely");
        assert_eq!(cases[0].expected_output, "hi");
        assert_eq!(cases[0].tags, vec!["greeting", "easy"]);
        assert!(cases[0].grader.is_some());
        assert!(cases[1].tags.is_empty());
        assert!(cases[1].grader.is_none());
    }

    #[test]
    fn csv_errors_name_the_record() {
        let error = parse_csv("c.csv", "question,expected\nfine,1\n,2\n").expect_err("empty input");
        assert!(format!("{error:#}").contains("record 2"), "{error:#}");
        let error = parse_csv("c.csv", "expected\n1\n").expect_err("no input column");
        assert!(
            format!("{error:#}").contains("no \"input\" column"),
            "{error:#}"
        );
    }

    #[test]
    fn formats_come_from_the_extension_or_the_flag() {
        assert_eq!(
            Format::detect(Path::new("a.jsonl"), None).expect("jsonl"),
            Format::Jsonl
        );
        assert_eq!(
            Format::detect(Path::new("a.CSV"), None).expect("csv"),
            Format::Csv
        );
        assert_eq!(
            Format::detect(Path::new("a.txt"), Some("csv")).expect("flag"),
            Format::Csv
        );
        assert!(Format::detect(Path::new("a.txt"), None).is_err());
    }

    #[test]
    fn object_graders_carry_their_fields() {
        let grader = grader_from_json(
            &serde_json::json!({"kind": "json_schema", "schema": {"type": "object"}}),
        )
        .expect("valid");
        assert!(matches!(
            grader.kind,
            Some(pb::grader::Kind::JsonSchema(pb::JsonSchemaGrader { schema_json })) if schema_json == "{\"type\":\"object\"}"
        ));
        let grader = grader_from_json(
            &serde_json::json!({"kind": "llm_rubric", "judge": "fake/judge", "pass_threshold": 70}),
        )
        .expect("valid");
        assert!(matches!(
            grader.kind,
            Some(pb::grader::Kind::LlmRubric(pb::LlmRubricGrader { judge: Some(_), pass_threshold: Some(threshold), .. })) if threshold == 70.0
        ));
        assert!(grader_from_json(&serde_json::json!(7)).is_err());
        let grader = grader_from_json(&serde_json::json!({"kind": "contains", "needles": ["a"]}))
            .expect("valid");
        assert!(matches!(
            grader.kind,
            Some(pb::grader::Kind::Contains(pb::ContainsGrader {
                all: true,
                ..
            }))
        ));
        let error =
            grader_from_json(&serde_json::json!({"kind": "regex"})).expect_err("no pattern");
        assert!(
            format!("{error:#}").contains("not a valid regex grader")
                && format!("{error:#}").contains("pattern"),
            "{error:#}"
        );
    }
}
