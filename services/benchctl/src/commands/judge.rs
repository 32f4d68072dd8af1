//! `benchctl judge score|compare|rank`: the judge service on files, for outputs produced outside a run.
//!
//! - `score FILE`: grade outputs (ScoreBatch); rows `input`, `output`, and optionally `id`, `expected`,
//!   `rubric`, `grader` (a name or an object, as in case files). Table of scores, then the pass rate
//!   with its Wilson 95% interval and the mean score with a bootstrap 95% interval.
//! - `compare FILE`: judge pairs of outputs (Compare, both orders); rows `input`, `output_a`,
//!   `output_b`, and optionally `id`, `expected`, `rubric`, `model_a`, `model_b`. Table of verdicts, then
//!   per pair of models the wins, the judge's consistency and an exact sign test with Holm correction.
//!   `--verdicts-out` writes the verdicts for `judge rank`.
//! - `rank FILE`: Bradley–Terry ratings with bootstrap intervals (RankModels) from verdict rows
//!   `model_a`, `model_b`, `winner` (`a`, `b`, `tie`, `inconsistent`, or one of the two model names),
//!   and whether the leader is separated from the runner-up.
//!
//! Files are JSONL (one object per line; blank and `#` lines skipped) or CSV with a header row.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use benchhub_common::grading::GraderKind;
use benchhub_common::stats;
use benchhub_proto::pb;
use futures::StreamExt as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value};

use crate::client::{Clients, explain};
use crate::commands::runner::import::{Format, csv_records, grader_from_json, jsonl_objects};
use crate::render;

/// `benchctl judge …`.
#[derive(Debug, clap::Subcommand)]
pub enum JudgeCommand {
    /// Grade outputs from a JSONL or CSV file and show the scores with the pass rate's interval.
    Score(ScoreArgs),
    /// Judge pairs of outputs in both orders and show the verdicts with a sign test per model pair.
    Compare(CompareArgs),
    /// Fit Bradley–Terry ratings with 95% intervals to pairwise verdicts.
    Rank(RankArgs),
}

/// Arguments of `benchctl judge score`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Rows: input, output, and optionally id, expected, rubric, grader.
Examples:
  benchctl judge score outputs.jsonl --grader exact
  benchctl judge score outputs.csv --grader llm_rubric --judge-model openai/gpt-4o-mini
  benchctl judge score outputs.jsonl --grader '{\"kind\": \"regex\", \"pattern\": \"^\\\\d+$\"}'")]
pub struct ScoreArgs {
    /// The file of outputs (.jsonl or .csv).
    pub file: PathBuf,
    /// File format when the extension does not tell: jsonl or csv.
    #[arg(long, value_parser = ["jsonl", "csv"])]
    pub format: Option<String>,
    /// Grader of rows without their own: a name (exact, normalized_exact, contains, regex, json_valid,
    /// json_schema, numeric, llm_rubric) or a JSON object with a "kind", as in case files.
    #[arg(long, default_value = "exact")]
    pub grader: String,
    /// Judge model of llm_rubric graders that name none (default: the judge service's).
    #[arg(long)]
    pub judge_model: Option<String>,
    /// Outputs graded at the same time (1–256).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(i32).range(1..=256))]
    pub concurrency: i32,
    /// Print one JSON object per row instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `benchctl judge compare`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Rows: input, output_a, output_b, and optionally id, expected, rubric, model_a, model_b.
Example:
  benchctl judge compare pairs.jsonl --judge-model openai/gpt-4o --verdicts-out verdicts.jsonl
  benchctl judge rank verdicts.jsonl")]
pub struct CompareArgs {
    /// The file of output pairs (.jsonl or .csv).
    pub file: PathBuf,
    /// File format when the extension does not tell: jsonl or csv.
    #[arg(long, value_parser = ["jsonl", "csv"])]
    pub format: Option<String>,
    /// Judge model (default: the judge service's).
    #[arg(long)]
    pub judge_model: Option<String>,
    /// Grading instructions for rows without a rubric.
    #[arg(long)]
    pub rubric: Option<String>,
    /// Pairs judged at the same time (1–64).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Write the verdicts as JSONL (model_a, model_b, winner) for `benchctl judge rank`.
    #[arg(long)]
    pub verdicts_out: Option<PathBuf>,
    /// Print one JSON object per row instead of the tables.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `benchctl judge rank`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Rows: model_a, model_b, winner (a, b, tie, inconsistent, or one of the two model names).")]
pub struct RankArgs {
    /// The file of verdicts (.jsonl or .csv), e.g. written by `judge compare --verdicts-out`.
    pub file: PathBuf,
    /// File format when the extension does not tell: jsonl or csv.
    #[arg(long, value_parser = ["jsonl", "csv"])]
    pub format: Option<String>,
    /// Bootstrap rounds of the 95% intervals (0 turns them off; at most 10,000).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(i32).range(0..=10_000))]
    pub bootstrap: i32,
    /// Seed of the bootstrap (the same verdicts and seed give the same intervals).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the ratings as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// One row of an input file: where it is (file:line or file: record N) and its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Position for messages.
    pub at: String,
    /// Fields by lower-case name.
    pub fields: Map<String, Value>,
}

impl Row {
    fn text(&self, key: &str) -> String {
        match self.fields.get(key) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
        }
    }

    fn has(&self, key: &str) -> bool {
        !matches!(self.fields.get(key), None | Some(Value::Null))
    }

    fn required(&self, key: &str) -> anyhow::Result<String> {
        if !self.has(key) {
            bail!("{}: missing \"{key}\"", self.at);
        }
        Ok(self.text(key))
    }

    /// The row's label: its id, else its position.
    fn label(&self) -> String {
        let id = self.text("id");
        if id.is_empty() { self.at.clone() } else { id }
    }
}

/// Reads the rows of a JSONL or CSV file.
pub fn read_rows(path: &Path, format: Option<&str>) -> anyhow::Result<Vec<Row>> {
    let format = Format::detect(path, format)?;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let rows = parse_rows(&path.display().to_string(), &text, format)?;
    if rows.is_empty() {
        bail!("{} holds no rows", path.display());
    }
    Ok(rows)
}

/// Parses rows from text; errors name the file and line or record.
pub fn parse_rows(name: &str, text: &str, format: Format) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    match format {
        Format::Jsonl => {
            for (at, object) in jsonl_objects(name, text)? {
                let fields = object
                    .into_iter()
                    .map(|(key, value)| (key.to_lowercase(), value))
                    .collect();
                rows.push(Row { at, fields });
            }
        }
        Format::Csv => {
            let (headers, records) = csv_records(name, text)?;
            for record in records {
                let (at, record) = record?;
                let fields = headers
                    .iter()
                    .zip(record.iter())
                    .map(|(key, value)| (key.clone(), Value::String(value.to_owned())))
                    .collect();
                rows.push(Row { at, fields });
            }
        }
    }
    Ok(rows)
}

fn grader_option(text: &str) -> anyhow::Result<pb::Grader> {
    let trimmed = text.trim();
    let value = if trimmed.starts_with('{') {
        serde_json::from_str(trimmed).context("--grader is not a JSON object")?
    } else {
        Value::String(trimmed.to_owned())
    };
    grader_from_json(&value).context("--grader")
}

/// The grader of one row: its own or the default, with the row's expected output, rubric and the
/// judge model filled in where the grader leaves them empty.
pub fn row_grader(
    row: &Row,
    default: &pb::Grader,
    judge_model: Option<&str>,
) -> anyhow::Result<pb::Grader> {
    use pb::grader::Kind;
    let mut grader = match row.fields.get("grader") {
        None | Some(Value::Null) => default.clone(),
        Some(Value::String(text)) if text.trim().is_empty() => default.clone(),
        Some(Value::String(text)) if text.trim().starts_with('{') => {
            let value: Value = serde_json::from_str(text.trim())
                .with_context(|| format!("{}: grader is not a JSON object", row.at))?;
            grader_from_json(&value).with_context(|| format!("{}: grader", row.at))?
        }
        Some(value) => grader_from_json(value).with_context(|| format!("{}: grader", row.at))?,
    };
    let expected = row.text("expected");
    let expected = if expected.is_empty() {
        row.text("expected_output")
    } else {
        expected
    };
    match grader.kind.as_mut() {
        Some(Kind::Exact(exact)) if exact.expected.is_empty() => exact.expected = expected,
        Some(Kind::NormalizedExact(normalized)) if normalized.expected.is_empty() => {
            normalized.expected = expected;
        }
        Some(Kind::Numeric(numeric)) if numeric.expected.is_none() => {
            let value: f64 = expected.trim().replace(',', "").parse().map_err(|_| {
                anyhow::anyhow!(
                    "{}: the numeric grader needs a number in \"expected\", got '{expected}'",
                    row.at
                )
            })?;
            numeric.expected = Some(value);
        }
        Some(Kind::LlmRubric(rubric)) => {
            if rubric.expected.is_empty() {
                rubric.expected = expected;
            }
            if rubric.rubric.is_empty() {
                rubric.rubric = row.text("rubric");
            }
            if rubric.judge.is_none() {
                rubric.judge = judge_model.map(|model| pb::JudgeModel {
                    model: model.to_owned(),
                    ..pb::JudgeModel::default()
                });
            }
            if rubric.candidate_models.is_empty() && row.has("model") {
                rubric.candidate_models = vec![row.text("model")];
            }
        }
        _ => {}
    }
    Ok(grader)
}

fn progress(length: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(length as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn shorten(text: &str, limit: usize) -> String {
    let text = text.replace(['\n', '\r'], " ");
    if text.chars().count() <= limit {
        text
    } else {
        let mut short: String = text.chars().take(limit.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

/// Items sent per ScoreBatch call.
const SCORE_CHUNK: usize = 500;

/// Grades the rows of `args.file`; returns each row's label with its result.
pub async fn score_rows(
    clients: &Clients,
    args: &ScoreArgs,
    show_progress: bool,
) -> anyhow::Result<Vec<(String, pb::ScoreResult)>> {
    let rows = read_rows(&args.file, args.format.as_deref())?;
    let default = grader_option(&args.grader)?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        items.push(pb::ScoreItem {
            input: row.text("input"),
            output: row.required("output")?,
            grader: Some(row_grader(row, &default, args.judge_model.as_deref())?),
        });
    }
    let mut client = clients.judge().await?;
    let bar = show_progress.then(|| progress(items.len(), "graded"));
    let mut results = Vec::with_capacity(items.len());
    for (chunk_index, chunk) in items.chunks(SCORE_CHUNK).enumerate() {
        let first = chunk_index * SCORE_CHUNK;
        let response = client
            .score_batch(pb::ScoreBatchRequest {
                items: chunk.to_vec(),
                concurrency: args.concurrency,
            })
            .await
            .map_err(|status| {
                explain(&status).context(format!(
                    "rows from {} on (items[i] counts from there)",
                    rows[first].at
                ))
            })?
            .into_inner();
        if let Some(bar) = &bar {
            bar.inc(chunk.len() as u64);
        }
        results.extend(response.results);
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(rows.iter().map(Row::label).zip(results).collect())
}

/// The pass rate and mean score of graded results, with their 95% intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreSummary {
    /// Rows graded (a score came back).
    pub graded: usize,
    /// Rows whose grading failed.
    pub errors: usize,
    /// Graded rows that passed.
    pub passed: usize,
    /// Wilson 95% interval of the pass rate.
    pub pass_interval: Option<(f64, f64)>,
    /// Mean score 0–100.
    pub mean_score: Option<f64>,
    /// Bootstrap 95% interval of the mean score.
    pub mean_interval: Option<(f64, f64)>,
    /// Judge tokens in and out.
    pub judge_tokens: (i64, i64),
}

/// Summarises graded results.
pub fn summarize_scores(results: &[(String, pb::ScoreResult)]) -> ScoreSummary {
    let scores: Vec<f64> = results
        .iter()
        .filter_map(|(_, result)| result.score)
        .collect();
    let passed = results
        .iter()
        .filter(|(_, result)| result.score.is_some() && result.passed == Some(true))
        .count();
    ScoreSummary {
        graded: scores.len(),
        errors: results.len() - scores.len(),
        passed,
        pass_interval: stats::wilson_interval(passed as u64, scores.len() as u64),
        mean_score: (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64),
        mean_interval: stats::bootstrap_mean_interval(&scores, stats::SEED),
        judge_tokens: results.iter().fold((0, 0), |(input, output), (_, result)| {
            (
                input + result.judge_input_tokens,
                output + result.judge_output_tokens,
            )
        }),
    }
}

/// The score table.
pub fn score_table(results: &[(String, pb::ScoreResult)]) -> comfy_table::Table {
    let mut table = render::table(&[
        "row",
        "score",
        "passed",
        "grader",
        "judge tokens",
        "notes",
        "error",
    ]);
    for (label, result) in results {
        table.add_row(vec![
            label.clone(),
            result
                .score
                .map_or_else(|| "-".to_owned(), |score| format!("{score:.1}")),
            match result.passed {
                Some(true) => "yes".to_owned(),
                Some(false) => "no".to_owned(),
                None => "-".to_owned(),
            },
            grader_name(result.grader).to_owned(),
            if result.judge_model.is_empty() {
                "-".to_owned()
            } else {
                format!(
                    "{}/{}{}",
                    result.judge_input_tokens,
                    result.judge_output_tokens,
                    if result.self_judged {
                        " (self-judged)"
                    } else {
                        ""
                    }
                )
            },
            render::or_dash(&shorten(&result.notes, 60)),
            render::or_dash(&shorten(&result.error, 60)),
        ]);
    }
    table
}

fn grader_name(kind: i32) -> &'static str {
    GraderKind::from_pb(kind).map_or("-", GraderKind::as_str)
}

/// The summary line under the score table.
pub fn score_summary_line(summary: &ScoreSummary) -> String {
    let mut parts = vec![format!(
        "{} graded{}",
        summary.graded,
        if summary.errors > 0 {
            format!(", {} failed to grade", summary.errors)
        } else {
            String::new()
        }
    )];
    if summary.graded > 0 {
        let rate = summary.passed as f64 / summary.graded as f64 * 100.0;
        parts.push(match summary.pass_interval {
            Some((low, high)) => format!(
                "pass rate {}/{} = {rate:.1}% (95% CI {:.1}–{:.1}%, Wilson)",
                summary.passed,
                summary.graded,
                low * 100.0,
                high * 100.0
            ),
            None => format!("pass rate {}/{}", summary.passed, summary.graded),
        });
    }
    if let Some(mean) = summary.mean_score {
        parts.push(match summary.mean_interval {
            Some((low, high)) => {
                format!("mean score {mean:.1} (95% CI {low:.1}–{high:.1}, bootstrap over rows)")
            }
            None => format!("mean score {mean:.1}"),
        });
    }
    if summary.judge_tokens != (0, 0) {
        parts.push(format!(
            "judge tokens {} in / {} out",
            summary.judge_tokens.0, summary.judge_tokens.1
        ));
    }
    parts.join(" · ")
}

async fn run_score(clients: &Clients, args: ScoreArgs) -> anyhow::Result<()> {
    let results = score_rows(clients, &args, !args.json).await?;
    if args.json {
        for (label, result) in &results {
            println!(
                "{}",
                serde_json::json!({
                    "row": label,
                    "score": result.score,
                    "passed": result.passed,
                    "grader": grader_name(result.grader),
                    "notes": result.notes,
                    "error": result.error,
                    "judge_model": result.judge_model,
                    "judge_input_tokens": result.judge_input_tokens,
                    "judge_output_tokens": result.judge_output_tokens,
                    "self_judged": result.self_judged,
                })
            );
        }
        return Ok(());
    }
    println!("{}", score_table(&results));
    println!("{}", score_summary_line(&summarize_scores(&results)));
    Ok(())
}

/// One judged pair of outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// Row label.
    pub row: String,
    /// Model of output A (or "A").
    pub model_a: String,
    /// Model of output B (or "B").
    pub model_b: String,
    /// The judge's answer.
    pub response: pb::CompareResponse,
}

/// Judges the pairs of `args.file` (concurrently, in file order in the result).
pub async fn compare_rows(
    clients: &Clients,
    args: &CompareArgs,
    show_progress: bool,
) -> anyhow::Result<Vec<Judged>> {
    let rows = read_rows(&args.file, args.format.as_deref())?;
    let mut requests = Vec::with_capacity(rows.len());
    for row in &rows {
        let model_a = row.text("model_a");
        let model_b = row.text("model_b");
        let rubric = row.text("rubric");
        requests.push((
            row.label(),
            if model_a.is_empty() {
                "A".to_owned()
            } else {
                model_a.clone()
            },
            if model_b.is_empty() {
                "B".to_owned()
            } else {
                model_b.clone()
            },
            pb::CompareRequest {
                input: row.required("input")?,
                output_a: row.required("output_a")?,
                output_b: row.required("output_b")?,
                expected: row.text("expected"),
                rubric: if rubric.is_empty() {
                    args.rubric.clone().unwrap_or_default()
                } else {
                    rubric
                },
                judge: args.judge_model.as_ref().map(|model| pb::JudgeModel {
                    model: model.clone(),
                    ..pb::JudgeModel::default()
                }),
                candidate_models: [model_a, model_b]
                    .into_iter()
                    .filter(|model| !model.is_empty())
                    .collect(),
            },
        ));
    }
    let client = clients.judge().await?;
    let bar = show_progress.then(|| progress(requests.len(), "judged"));
    let mut judged: Vec<(usize, Judged)> = futures::stream::iter(requests.into_iter().enumerate())
        .map(|(index, (row, model_a, model_b, request))| {
            let mut client = client.clone();
            async move {
                let response = client
                    .compare(request)
                    .await
                    .map_err(|status| explain(&status).context(row.clone()))?
                    .into_inner();
                Ok::<_, anyhow::Error>((
                    index,
                    Judged {
                        row,
                        model_a,
                        model_b,
                        response,
                    },
                ))
            }
        })
        .buffer_unordered(usize::from(args.concurrency))
        .inspect(|_| {
            if let Some(bar) = &bar {
                bar.inc(1);
            }
        })
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    judged.sort_by_key(|(index, _)| *index);
    Ok(judged.into_iter().map(|(_, judged)| judged).collect())
}

fn verdict_word(verdict: i32) -> &'static str {
    match pb::Verdict::try_from(verdict) {
        Ok(pb::Verdict::A) => "a",
        Ok(pb::Verdict::B) => "b",
        Ok(pb::Verdict::Tie) => "tie",
        Ok(pb::Verdict::Inconsistent) => "inconsistent",
        _ => "-",
    }
}

/// Wins and the sign test of one pair of models.
#[derive(Debug, Clone, PartialEq)]
pub struct PairTally {
    /// First model (alphabetically).
    pub first: String,
    /// Second model.
    pub second: String,
    /// Comparisons the first won.
    pub first_wins: u64,
    /// Comparisons the second won.
    pub second_wins: u64,
    /// Ties.
    pub ties: u64,
    /// Orders that disagreed.
    pub inconsistent: u64,
    /// Comparisons whose judging failed.
    pub failed: u64,
    /// Exact two-sided sign test over the decisive verdicts.
    pub p_value: f64,
    /// Holm-adjusted across the pairs of the file.
    pub adjusted_p_value: f64,
}

impl PairTally {
    /// Verdicts the judge gave (both orders answered).
    pub fn judged(&self) -> u64 {
        self.first_wins + self.second_wins + self.ties + self.inconsistent
    }

    /// Share of judged comparisons whose two orders agreed.
    pub fn consistency(&self) -> Option<f64> {
        let judged = self.judged();
        (judged > 0).then(|| (judged - self.inconsistent) as f64 / judged as f64)
    }

    /// The verdict at α = 0.05 on the Holm-adjusted p-value.
    pub fn verdict(&self) -> String {
        if self.first_wins + self.second_wins == 0 {
            return "no decisive verdicts".to_owned();
        }
        if self.adjusted_p_value >= stats::ALPHA {
            return "no significant difference".to_owned();
        }
        if self.first_wins > self.second_wins {
            format!("{} better", self.first)
        } else {
            format!("{} better", self.second)
        }
    }
}

/// Tallies verdicts per unordered pair of models, with sign tests and Holm correction.
pub fn tally(judged: &[Judged]) -> Vec<PairTally> {
    let mut pairs: BTreeMap<(String, String), PairTally> = BTreeMap::new();
    for item in judged {
        let swapped = item.model_a > item.model_b;
        let (first, second) = if swapped {
            (item.model_b.clone(), item.model_a.clone())
        } else {
            (item.model_a.clone(), item.model_b.clone())
        };
        let entry = pairs
            .entry((first.clone(), second.clone()))
            .or_insert_with(|| PairTally {
                first,
                second,
                first_wins: 0,
                second_wins: 0,
                ties: 0,
                inconsistent: 0,
                failed: 0,
                p_value: 1.0,
                adjusted_p_value: 1.0,
            });
        match (pb::Verdict::try_from(item.response.verdict), swapped) {
            (Ok(pb::Verdict::A), false) | (Ok(pb::Verdict::B), true) => entry.first_wins += 1,
            (Ok(pb::Verdict::B), false) | (Ok(pb::Verdict::A), true) => entry.second_wins += 1,
            (Ok(pb::Verdict::Tie), _) => entry.ties += 1,
            (Ok(pb::Verdict::Inconsistent), _) => entry.inconsistent += 1,
            _ => entry.failed += 1,
        }
    }
    let mut tallies: Vec<PairTally> = pairs.into_values().collect();
    for tally in &mut tallies {
        tally.p_value = stats::sign_test(tally.first_wins, tally.second_wins);
    }
    let adjusted = stats::holm_adjust(
        &tallies
            .iter()
            .map(|tally| tally.p_value)
            .collect::<Vec<_>>(),
    );
    for (tally, adjusted) in tallies.iter_mut().zip(adjusted) {
        tally.adjusted_p_value = adjusted;
    }
    tallies
}

/// The verdict table.
pub fn compare_table(judged: &[Judged]) -> comfy_table::Table {
    let mut table = render::table(&[
        "row",
        "A",
        "B",
        "verdict",
        "A first / B first",
        "judge tokens",
        "notes (A first)",
        "error",
    ]);
    for item in judged {
        let response = &item.response;
        let verdict = match pb::Verdict::try_from(response.verdict) {
            Ok(pb::Verdict::A) => format!("{} better", item.model_a),
            Ok(pb::Verdict::B) => format!("{} better", item.model_b),
            Ok(pb::Verdict::Tie) => "tie".to_owned(),
            Ok(pb::Verdict::Inconsistent) => "inconsistent (orders disagree)".to_owned(),
            _ => "-".to_owned(),
        };
        table.add_row(vec![
            item.row.clone(),
            item.model_a.clone(),
            item.model_b.clone(),
            verdict,
            format!(
                "{} / {}",
                verdict_word(response.verdict_ab),
                verdict_word(response.verdict_ba)
            ),
            format!(
                "{}/{}{}",
                response.judge_input_tokens,
                response.judge_output_tokens,
                if response.self_judged {
                    " (self-judged)"
                } else {
                    ""
                }
            ),
            render::or_dash(&shorten(&response.notes_ab, 50)),
            render::or_dash(&shorten(&response.error, 50)),
        ]);
    }
    table
}

/// The per-pair summary table.
pub fn tally_table(tallies: &[PairTally]) -> comfy_table::Table {
    let mut table = render::table(&[
        "pair",
        "wins",
        "ties",
        "inconsistent",
        "judge consistency",
        "sign test p (Holm)",
        "verdict",
    ]);
    for tally in tallies {
        table.add_row(vec![
            format!("{} vs {}", tally.first, tally.second),
            format!("{}–{}", tally.first_wins, tally.second_wins),
            tally.ties.to_string(),
            tally.inconsistent.to_string(),
            tally
                .consistency()
                .map_or_else(|| "-".to_owned(), |share| format!("{:.0}%", share * 100.0)),
            format!(
                "{} ({})",
                render::p_value(tally.p_value),
                render::p_value(tally.adjusted_p_value)
            ),
            tally.verdict(),
        ]);
    }
    table
}

/// The verdicts as JSONL lines for `judge rank` (failed comparisons left out).
pub fn verdict_lines(judged: &[Judged]) -> String {
    judged
        .iter()
        .filter(|item| verdict_word(item.response.verdict) != "-")
        .map(|item| {
            serde_json::json!({
                "model_a": item.model_a,
                "model_b": item.model_b,
                "winner": verdict_word(item.response.verdict),
            })
            .to_string()
                + "\n"
        })
        .collect()
}

async fn run_compare(clients: &Clients, args: CompareArgs) -> anyhow::Result<()> {
    let judged = compare_rows(clients, &args, !args.json).await?;
    if let Some(path) = &args.verdicts_out {
        std::fs::write(path, verdict_lines(&judged))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        for item in &judged {
            println!(
                "{}",
                serde_json::json!({
                    "row": item.row,
                    "model_a": item.model_a,
                    "model_b": item.model_b,
                    "winner": verdict_word(item.response.verdict),
                    "a_first": verdict_word(item.response.verdict_ab),
                    "b_first": verdict_word(item.response.verdict_ba),
                    "notes_a_first": item.response.notes_ab,
                    "notes_b_first": item.response.notes_ba,
                    "error": item.response.error,
                    "judge_model": item.response.judge_model,
                    "judge_input_tokens": item.response.judge_input_tokens,
                    "judge_output_tokens": item.response.judge_output_tokens,
                })
            );
        }
        return Ok(());
    }
    println!("{}", compare_table(&judged));
    println!("{}", tally_table(&tally(&judged)));
    println!(
        "Sign test: exact two-sided binomial over decisive verdicts (ties and inconsistent ones left out), Holm-corrected across pairs; verdicts at 0.05."
    );
    if let Some(path) = &args.verdicts_out {
        println!(
            "Verdicts written to {} (benchctl judge rank {}).",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

/// Reads verdict rows into RankModels verdicts.
pub fn verdicts(rows: &[Row]) -> anyhow::Result<Vec<pb::PairwiseVerdict>> {
    rows.iter()
        .map(|row| {
            let model_a = row.required("model_a")?;
            let model_b = row.required("model_b")?;
            let winner = row.required("winner")?;
            let verdict = match winner.trim().to_lowercase().as_str() {
                "a" => pb::Verdict::A,
                "b" => pb::Verdict::B,
                "tie" | "draw" => pb::Verdict::Tie,
                "inconsistent" => pb::Verdict::Inconsistent,
                _ if winner.trim() == model_a => pb::Verdict::A,
                _ if winner.trim() == model_b => pb::Verdict::B,
                _ => bail!(
                    "{}: winner '{winner}' is none of a, b, tie, inconsistent, '{model_a}' or '{model_b}'",
                    row.at
                ),
            };
            Ok(pb::PairwiseVerdict {
                model_a,
                model_b,
                winner: verdict as i32,
            })
        })
        .collect()
}

/// How sure the ranking is about its leader.
pub fn leader_line(response: &pb::RankModelsResponse) -> String {
    let ratings = &response.ratings;
    let Some(first) = ratings.first() else {
        return "No ratings.".to_owned();
    };
    let Some(second) = ratings.get(1) else {
        return format!("Only {} was rated.", first.model);
    };
    if response.bootstrap_rounds == 0 {
        return format!(
            "#1 {} leads #2 {} by {:.0} points; no intervals (bootstrap off), so how sure is unknown.",
            first.model,
            second.model,
            first.rating - second.rating
        );
    }
    if first.ci_low > second.ci_high {
        format!(
            "#1 {} is ahead of #2 {}: their 95% intervals do not overlap ({:.0}–{:.0} vs {:.0}–{:.0}).",
            first.model, second.model, first.ci_low, first.ci_high, second.ci_low, second.ci_high
        )
    } else {
        format!(
            "#1 {} is not separated from #2 {}: their 95% intervals overlap ({:.0}–{:.0} vs {:.0}–{:.0}); more verdicts are needed to name a winner.",
            first.model, second.model, first.ci_low, first.ci_high, second.ci_low, second.ci_high
        )
    }
}

/// The ratings table.
pub fn rank_table(response: &pb::RankModelsResponse) -> comfy_table::Table {
    let mut table = render::table(&[
        "rank", "model", "rating", "95% CI", "W/L/T", "games", "win rate",
    ]);
    for rating in &response.ratings {
        table.add_row(vec![
            rating.rank.to_string(),
            rating.model.clone(),
            format!("{:.0}", rating.rating),
            if response.bootstrap_rounds > 0 {
                format!("{:.0}–{:.0}", rating.ci_low, rating.ci_high)
            } else {
                "-".to_owned()
            },
            format!("{}/{}/{}", rating.wins, rating.losses, rating.ties),
            rating.games.to_string(),
            format!("{:.1}%", rating.win_rate * 100.0),
        ]);
    }
    table
}

/// Ranks the verdicts of `args.file`.
pub async fn rank_rows(
    clients: &Clients,
    args: &RankArgs,
) -> anyhow::Result<pb::RankModelsResponse> {
    let rows = read_rows(&args.file, args.format.as_deref())?;
    let verdicts = verdicts(&rows)?;
    let mut client = clients.judge().await?;
    Ok(client
        .rank_models(pb::RankModelsRequest {
            verdicts,
            bootstrap_rounds: Some(args.bootstrap),
            seed: args.seed,
        })
        .await
        .map_err(|status| explain(&status))?
        .into_inner())
}

async fn run_rank(clients: &Clients, args: RankArgs) -> anyhow::Result<()> {
    let response = rank_rows(clients, &args).await?;
    if args.json {
        let ratings: Vec<Value> = response
            .ratings
            .iter()
            .map(|rating| {
                serde_json::json!({
                    "rank": rating.rank,
                    "model": rating.model,
                    "rating": rating.rating,
                    "ci_low": rating.ci_low,
                    "ci_high": rating.ci_high,
                    "wins": rating.wins,
                    "losses": rating.losses,
                    "ties": rating.ties,
                    "games": rating.games,
                    "win_rate": rating.win_rate,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "ratings": ratings,
                "games": response.games,
                "bootstrap_rounds": response.bootstrap_rounds,
                "seed": response.seed,
                "regularized": response.regularized,
            })
        );
        return Ok(());
    }
    println!("{}", rank_table(&response));
    println!(
        "{} verdicts; Bradley–Terry ratings (Elo-like scale, mean 1000) with {} bootstrap rounds, seed {}.",
        response.games, response.bootstrap_rounds, response.seed
    );
    if response.regularized {
        println!(
            "Some models never won, never lost, or were never compared with the others: every model played one virtual tie against a 1000-rated reference, shrinking those ratings towards 1000."
        );
    }
    println!("{}", leader_line(&response));
    Ok(())
}

/// Runs a `benchctl judge` subcommand.
pub async fn run(clients: &Clients, command: JudgeCommand) -> anyhow::Result<()> {
    match command {
        JudgeCommand::Score(args) => run_score(clients, args).await,
        JudgeCommand::Compare(args) => run_compare(clients, args).await,
        JudgeCommand::Rank(args) => run_rank(clients, args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Row> {
        parse_rows("f.jsonl", text, Format::Jsonl).expect("rows")
    }

    #[test]
    fn rows_fill_the_grader_from_their_fields() {
        let rows = rows(concat!(
            "{\"id\": \"q1\", \"input\": \"2+2?\", \"output\": \"4\", \"expected\": 4}\n",
            "# comment\n",
            "{\"input\": \"sum\", \"output\": \"1,000\", \"expected\": \"1,000\", \"grader\": {\"kind\": \"numeric\"}}\n",
            "{\"input\": \"essay\", \"output\": \"text\", \"rubric\": \"be brief\", \"grader\": \"llm_rubric\"}\n",
        ));
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].label(), "q1");
        assert_eq!(rows[1].label(), "f.jsonl:3");
        let exact = grader_option("exact").expect("grader");
        let first = row_grader(&rows[0], &exact, None).expect("grader");
        assert_eq!(
            first.kind,
            Some(pb::grader::Kind::Exact(pb::ExactGrader {
                expected: "4".to_owned()
            }))
        );
        let numeric = row_grader(&rows[1], &exact, None).expect("grader");
        assert!(matches!(
            numeric.kind,
            Some(pb::grader::Kind::Numeric(pb::NumericGrader { expected: Some(value), .. })) if value == 1000.0
        ));
        let rubric = row_grader(&rows[2], &exact, Some("fake/judge")).expect("grader");
        let Some(pb::grader::Kind::LlmRubric(rubric)) = rubric.kind else {
            panic!("rubric grader");
        };
        assert_eq!(rubric.rubric, "be brief");
        assert_eq!(rubric.judge.expect("judge").model, "fake/judge");
    }

    #[test]
    fn bad_rows_are_named() {
        let rows = rows("{\"input\": \"x\", \"output\": \"y\", \"expected\": \"many\"}\n");
        let numeric = grader_option("{\"kind\": \"numeric\"}").expect("grader");
        let error = row_grader(&rows[0], &numeric, None).expect_err("not a number");
        assert!(error.to_string().contains("f.jsonl:1"), "{error}");
        assert!(rows[0].required("output_a").is_err());
        let csv = parse_rows(
            "v.csv",
            "model_a,model_b,winner\nx,y,a\nx,y,z\n",
            Format::Csv,
        )
        .expect("csv");
        let error = verdicts(&csv).expect_err("bad winner");
        assert!(error.to_string().contains("v.csv: record 2"), "{error}");
        assert!(grader_option("{nope").is_err());
    }

    #[test]
    fn verdict_rows_accept_letters_words_and_model_names() {
        let csv = parse_rows(
            "v.csv",
            "model_a,model_b,winner\nx,y,A\nx,y,y\nx,y,tie\nx,y,inconsistent\n",
            Format::Csv,
        )
        .expect("csv");
        let winners: Vec<i32> = verdicts(&csv)
            .expect("verdicts")
            .iter()
            .map(|verdict| verdict.winner)
            .collect();
        assert_eq!(
            winners,
            [
                pb::Verdict::A as i32,
                pb::Verdict::B as i32,
                pb::Verdict::Tie as i32,
                pb::Verdict::Inconsistent as i32
            ]
        );
    }

    fn judged(model_a: &str, model_b: &str, verdict: pb::Verdict) -> Judged {
        Judged {
            row: "r".to_owned(),
            model_a: model_a.to_owned(),
            model_b: model_b.to_owned(),
            response: pb::CompareResponse {
                verdict: verdict as i32,
                ..pb::CompareResponse::default()
            },
        }
    }

    #[test]
    fn tallies_fold_both_orders_and_test_the_decisive_verdicts() {
        // x beats y 9 times, y beats x once (listed in the other order), one tie, one inconsistent.
        let mut items: Vec<Judged> = (0..9).map(|_| judged("x", "y", pb::Verdict::A)).collect();
        items.push(judged("y", "x", pb::Verdict::A));
        items.push(judged("x", "y", pb::Verdict::Tie));
        items.push(judged("y", "x", pb::Verdict::Inconsistent));
        items.push(judged("x", "y", pb::Verdict::Unspecified));
        let tallies = tally(&items);
        assert_eq!(tallies.len(), 1);
        let pair = &tallies[0];
        assert_eq!(
            (
                pair.first_wins,
                pair.second_wins,
                pair.ties,
                pair.inconsistent,
                pair.failed
            ),
            (9, 1, 1, 1, 1)
        );
        // Sign test by hand: 2 × (C(10,0) + C(10,1)) / 2^10 = 2 × 11 / 1024 = 0.021484375.
        assert!(
            (pair.p_value - 0.021_484_375).abs() < 1e-12,
            "{}",
            pair.p_value
        );
        assert_eq!(pair.adjusted_p_value, pair.p_value);
        assert_eq!(pair.verdict(), "x better");
        assert_eq!(pair.consistency(), Some(11.0 / 12.0));
        let lines = verdict_lines(&items);
        assert_eq!(
            lines.lines().count(),
            12,
            "the failed comparison is left out"
        );
        assert!(lines.starts_with("{\"model_a\":\"x\",\"model_b\":\"y\",\"winner\":\"a\"}"));
    }

    #[test]
    fn a_close_tally_is_no_significant_difference() {
        let mut items: Vec<Judged> = (0..6).map(|_| judged("x", "y", pb::Verdict::A)).collect();
        items.extend((0..4).map(|_| judged("x", "y", pb::Verdict::B)));
        let pair = &tally(&items)[0];
        // 2 × Σ_{i ≤ 4} C(10, i) / 1024 = 2 × 386 / 1024 = 0.75390625.
        assert!((pair.p_value - 0.753_906_25).abs() < 1e-12);
        assert_eq!(pair.verdict(), "no significant difference");
    }

    #[test]
    fn score_summary_carries_intervals() {
        let results: Vec<(String, pb::ScoreResult)> = (0..10)
            .map(|index| {
                (
                    format!("r{index}"),
                    pb::ScoreResult {
                        score: Some(if index < 8 { 100.0 } else { 0.0 }),
                        passed: Some(index < 8),
                        ..pb::ScoreResult::default()
                    },
                )
            })
            .chain(std::iter::once((
                "broken".to_owned(),
                pb::ScoreResult {
                    error: "judge answered prose twice".to_owned(),
                    ..pb::ScoreResult::default()
                },
            )))
            .collect();
        let summary = summarize_scores(&results);
        assert_eq!((summary.graded, summary.errors, summary.passed), (10, 1, 8));
        // Wilson 95% for 8/10, by the textbook formula: 0.4902 to 0.9433.
        let (low, high) = summary.pass_interval.expect("interval");
        assert!((low - 0.4902).abs() < 1e-4 && (high - 0.9433).abs() < 1e-4);
        assert_eq!(summary.mean_score, Some(80.0));
        let line = score_summary_line(&summary);
        assert!(line.contains("10 graded, 1 failed to grade"), "{line}");
        assert!(
            line.contains("pass rate 8/10 = 80.0% (95% CI 49.0–94.3%, Wilson)"),
            "{line}"
        );
        let table = score_table(&results).to_string();
        assert!(table.contains("judge answered prose twice"), "{table}");
    }

    #[test]
    fn the_leader_is_named_only_when_separated() {
        let rating = |model: &str, rating: f64, low: f64, high: f64| pb::ModelRating {
            model: model.to_owned(),
            rating,
            ci_low: low,
            ci_high: high,
            ..pb::ModelRating::default()
        };
        let mut response = pb::RankModelsResponse {
            ratings: vec![
                rating("x", 1100.0, 1060.0, 1140.0),
                rating("y", 900.0, 860.0, 940.0),
            ],
            bootstrap_rounds: 100,
            ..pb::RankModelsResponse::default()
        };
        assert!(leader_line(&response).contains("is ahead of"));
        response.ratings[1].ci_high = 1070.0;
        assert!(leader_line(&response).contains("is not separated from"));
        response.bootstrap_rounds = 0;
        assert!(leader_line(&response).contains("how sure is unknown"));
    }
}
