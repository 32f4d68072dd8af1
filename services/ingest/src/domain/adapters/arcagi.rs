//! ARC-AGI: per-model prediction files on Hugging Face, graded here against the tasks' expected outputs.
//!
//! Predictions live in the dataset repos `arcprize/arc_agi_v1_public_eval` and
//! `arcprize/arc_agi_v2_public_eval`, one folder per model configuration and one JSON file per task
//! (listed with `GET /api/datasets/arcprize/<repo>/tree/main[/<model>]`, paginated by `Link` headers;
//! read with `GET /datasets/arcprize/<repo>/resolve/main/<model>/<task>.json`; optional `HF_TOKEN`).
//! Tasks come from `fchollet/ARC-AGI` and `arcprize/ARC-AGI-2` on raw.githubusercontent.com
//! (`data/evaluation/<task>.json`, falling back to `data/training/`), the secondary base URL.
//!
//! Two prediction layouts are read: the current one, `[{attempt_1: {answer: grid, metadata: {cost:
//! {total_cost}, …}}, attempt_2: {…}}]` (one element per test pair), and the legacy 2024 one,
//! `[{attempt_1: grid, attempt_2: grid}]`. A pair is solved when either attempt equals the expected
//! output exactly; a task scores solved pairs / pairs; a model's accuracy is the mean task score over
//! the tasks it has files for, in percent (`arc_agi_1_accuracy` / `arc_agi_2_accuracy`, category
//! `reasoning`, sample size = tasks). Cost per task is the mean over those tasks of the attempts'
//! `total_cost` (`cost_per_task_usd` for ARC-AGI-1, `arc_agi_2_cost_per_task_usd`), absent for
//! legacy files, which carry no cost. Beside that pass@2 accuracy, each attempt is graded alone
//! (`arc_agi_1_accuracy_attempt_1`, `…_attempt_2`, and the same for ARC-AGI-2): how often the first
//! answer is right, and the second; an attempt no file of the model has is not reported.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::{
    Document, FetchError, Fetched, Http, ParseError, Source, SourceContext, bearer, fetch_all,
    json, number,
};
use crate::domain::observation::{Parsed, ParsedObservation};

/// One evaluation set: its prediction repo, tasks location and metric names.
#[derive(Debug, Clone, Copy)]
pub struct TaskSet {
    /// Hugging Face dataset repo under `arcprize/`.
    pub repo: &'static str,
    /// Path of the task files' `data` folder on the secondary base URL.
    pub tasks_path: &'static str,
    /// Accuracy metric.
    pub accuracy_metric: &'static str,
    /// Accuracy of attempt 1 and of attempt 2 alone.
    pub attempt_metrics: [&'static str; 2],
    /// Cost metric.
    pub cost_metric: &'static str,
}

/// The evaluation sets read.
pub const TASK_SETS: &[TaskSet] = &[
    TaskSet {
        repo: "arc_agi_v1_public_eval",
        tasks_path: "/fchollet/ARC-AGI/master/data",
        accuracy_metric: "arc_agi_1_accuracy",
        attempt_metrics: [
            "arc_agi_1_accuracy_attempt_1",
            "arc_agi_1_accuracy_attempt_2",
        ],
        cost_metric: "cost_per_task_usd",
    },
    TaskSet {
        repo: "arc_agi_v2_public_eval",
        tasks_path: "/arcprize/ARC-AGI-2/main/data",
        accuracy_metric: "arc_agi_2_accuracy",
        attempt_metrics: [
            "arc_agi_2_accuracy_attempt_1",
            "arc_agi_2_accuracy_attempt_2",
        ],
        cost_metric: "arc_agi_2_cost_per_task_usd",
    },
];

/// Per model: task grades, task costs, and the newest day an attempt ran.
type Graded = (Vec<Grade>, Vec<f64>, Option<chrono::NaiveDate>);

/// One task's grade.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grade {
    /// Share of the task's test pairs solved by either attempt (pass@2), 0–1.
    pub score: f64,
    /// Share solved by attempt 1 alone and by attempt 2 alone; `None` when the file has no such
    /// attempt for any pair.
    pub attempts: [Option<f64>; 2],
    /// Total cost of the attempts, if any reports one.
    pub cost: Option<f64>,
}

/// The newest day any attempt of a prediction file ran (`metadata.end_timestamp`, current format
/// only; legacy files carry no metadata).
fn newest_run_date(prediction: &Value) -> Option<chrono::NaiveDate> {
    prediction
        .as_array()?
        .iter()
        .flat_map(|pair| ["attempt_1", "attempt_2"].map(|attempt| pair.get(attempt)))
        .flatten()
        .filter_map(|attempt| attempt.pointer("/metadata/end_timestamp"))
        .filter_map(|timestamp| super::date(Some(timestamp)))
        .max()
}

/// Safety cap on listing pages.
const MAX_PAGES: usize = 100;

/// The ARC-AGI adapter.
#[derive(Debug)]
pub struct ArcAgi;

/// Path of a repo's listing (root, or one model folder).
pub fn tree_path(repo: &str, folder: Option<&str>) -> String {
    match folder {
        Some(folder) => format!("/api/datasets/arcprize/{repo}/tree/main/{folder}"),
        None => format!("/api/datasets/arcprize/{repo}/tree/main"),
    }
}

/// Path of one file in a repo.
pub fn file_path(repo: &str, path: &str) -> String {
    format!("/datasets/arcprize/{repo}/resolve/main/{path}")
}

/// Lists a folder, following `Link: rel="next"` pages; `None` when the repo does not exist.
async fn list(
    http: &dyn Http,
    context: &SourceContext,
    repo: &str,
    folder: Option<&str>,
    documents: &mut Vec<Document>,
) -> Result<Option<Vec<(String, String)>>, FetchError> {
    let headers = bearer(context.secret.as_ref());
    let mut url = format!("{}{}", context.base_url, tree_path(repo, folder));
    let mut entries = Vec::new();
    for page in 0..MAX_PAGES {
        let key = format!("tree:{repo}/{}:{page}", folder.unwrap_or(""));
        let document = match http.get(&key, &url, &headers).await {
            Ok(document) => document,
            Err(error) if error.is_not_found() && page == 0 => return Ok(None),
            Err(error) => return Err(error),
        };
        let listing: Vec<Value> = json(&document)?;
        for entry in listing {
            if let (Some(kind), Some(path)) = (
                entry.get("type").and_then(Value::as_str),
                entry.get("path").and_then(Value::as_str),
            ) {
                entries.push((kind.to_owned(), path.to_owned()));
            }
        }
        let next = document.next_link.clone();
        documents.push(document);
        match next {
            // Pages link to the upstream host; keep asking the configured one.
            Some(link) => match link.find("/api/") {
                Some(start) => url = format!("{}{}", context.base_url, &link[start..]),
                None => break,
            },
            None => break,
        }
    }
    Ok(Some(entries))
}

/// Lists the model folders of every task set: (set, folder).
async fn model_folders(
    http: &dyn Http,
    context: &SourceContext,
    documents: &mut Vec<Document>,
) -> Result<Vec<(TaskSet, String)>, FetchError> {
    let mut folders = Vec::new();
    for set in TASK_SETS {
        let Some(entries) = list(http, context, set.repo, None, documents).await? else {
            continue;
        };
        for (kind, path) in entries {
            if kind == "directory" && !path.starts_with('.') {
                folders.push((*set, path));
            }
        }
    }
    Ok(folders)
}

#[async_trait::async_trait]
impl Source for ArcAgi {
    fn name(&self) -> &'static str {
        "arc-agi"
    }

    async fn fetch(&self, http: &dyn Http, context: &SourceContext) -> Result<Fetched, FetchError> {
        let mut documents = Vec::new();
        let folders = model_folders(http, context, &mut documents).await?;
        // A model folder is graded on all its predictions or left out (listed as failed): an accuracy
        // over the tasks that happened to download would not be the model's.
        let mut fetched = Fetched::default();
        let mut first_error = None;
        let mut files = Vec::new();
        for (set, folder) in &folders {
            let entries = match list(http, context, set.repo, Some(folder), &mut documents).await {
                Ok(entries) => entries.unwrap_or_default(),
                Err(error) => {
                    let go_on = fetched.failed(format!("{}/{folder}", set.repo), &error);
                    first_error.get_or_insert(error);
                    if !go_on {
                        break;
                    }
                    continue;
                }
            };
            for (kind, path) in entries {
                let Some(task) = path
                    .rsplit('/')
                    .next()
                    .and_then(|name| name.strip_suffix(".json"))
                else {
                    continue;
                };
                if kind == "file" {
                    files.push((*set, folder.clone(), task.to_owned(), path.clone()));
                }
            }
        }
        let headers = bearer(context.secret.as_ref());
        let predictions = fetch_all(
            files.clone(),
            context.concurrency,
            |(set, folder, task, path)| {
                let url = format!("{}{}", context.base_url, file_path(set.repo, &path));
                let headers = headers.clone();
                async move {
                    let result = http
                        .get(
                            &format!("pred:{}/{folder}/{task}", set.repo),
                            &url,
                            &headers,
                        )
                        .await;
                    (format!("{}/{folder}", set.repo), result)
                }
            },
        )
        .await;
        let mut failed_folders: BTreeSet<String> = BTreeSet::new();
        for (folder, prediction) in &predictions {
            if let Err(error) = prediction
                && !failed_folders.contains(folder)
            {
                failed_folders.insert(folder.clone());
                fetched.failed(folder.clone(), error);
                first_error.get_or_insert(error.clone());
            }
        }
        let mut graded_any = false;
        for (folder, prediction) in predictions {
            if let (false, Ok(document)) = (failed_folders.contains(&folder), prediction) {
                documents.push(document);
                graded_any = true;
            }
        }
        if let Some(error) = first_error.filter(|_| !graded_any) {
            return Err(error);
        }
        let files: Vec<_> = files
            .into_iter()
            .filter(|(set, folder, _, _)| {
                !failed_folders.contains(&format!("{}/{folder}", set.repo))
            })
            .collect();
        let tasks: BTreeSet<(usize, String)> = files
            .iter()
            .filter_map(|(set, _, task, _)| {
                let index = TASK_SETS.iter().position(|known| known.repo == set.repo)?;
                Some((index, task.clone()))
            })
            .collect();
        let task_files = fetch_all(
            tasks.into_iter().collect(),
            context.concurrency,
            |(index, task): (usize, String)| async move {
                let set = TASK_SETS[index];
                let key = format!("task:{}/{task}", set.repo);
                let evaluation = format!(
                    "{}{}/evaluation/{task}.json",
                    context.secondary_url, set.tasks_path
                );
                match http.get(&key, &evaluation, &[]).await {
                    Err(error) if error.is_not_found() => {
                        let training = format!(
                            "{}{}/training/{task}.json",
                            context.secondary_url, set.tasks_path
                        );
                        http.get(&key, &training, &[]).await
                    }
                    other => other,
                }
            },
        )
        .await;
        for task in task_files {
            match task {
                Ok(document) => documents.push(document),
                // A task file nobody has is graded as a failed record, not a failed source.
                Err(error) if error.is_not_found() => {}
                Err(error) => return Err(error),
            }
        }
        fetched.documents = documents;
        Ok(fetched)
    }

    fn parse(&self, documents: &[Document], context: &SourceContext) -> Result<Parsed, ParseError> {
        let mut tasks: HashMap<&str, Vec<Value>> = HashMap::new();
        for document in documents {
            if let Some(name) = document.key.strip_prefix("task:") {
                tasks.insert(name, expected_outputs(document)?);
            }
        }
        let mut parsed = Parsed::default();
        let mut graded: BTreeMap<(&str, &str), Graded> = BTreeMap::new();
        for document in documents {
            let Some(rest) = document.key.strip_prefix("pred:") else {
                continue;
            };
            parsed.records += 1;
            let mut parts = rest.splitn(3, '/');
            let (Some(repo), Some(model), Some(task)) = (parts.next(), parts.next(), parts.next())
            else {
                parsed.fail(format!("{}: unexpected key", document.key));
                continue;
            };
            let Some(expected) = tasks.get(format!("{repo}/{task}").as_str()) else {
                parsed.fail(format!("{repo}/{model}/{task}: task file not found"));
                continue;
            };
            let prediction: Value = match json(document) {
                Ok(prediction) => prediction,
                Err(error) => {
                    parsed.fail(error.to_string());
                    continue;
                }
            };
            match grade(&prediction, expected) {
                Some(task_grade) => {
                    let run_date = newest_run_date(&prediction);
                    let entry = graded.entry((repo, model)).or_default();
                    entry.0.push(task_grade);
                    if let Some(cost) = task_grade.cost {
                        entry.1.push(cost);
                    }
                    entry.2 = entry.2.max(run_date);
                }
                None => parsed.fail(format!("{repo}/{model}/{task}: not a list of attempts")),
            }
        }
        for ((repo, model), (grades, costs, run_date)) in graded {
            let Some(set) = TASK_SETS.iter().find(|set| set.repo == repo) else {
                continue;
            };
            let tasks = grades.len();
            let solved: f64 = grades.iter().map(|grade| grade.score).sum();
            let extra = serde_json::json!({"tasks": tasks, "solved": solved, "repo": repo});
            let mut accuracy = ParsedObservation::new(
                "reasoning",
                set.accuracy_metric,
                model,
                context.today,
                solved / tasks as f64 * 100.0,
            );
            accuracy.sample_size = Some(tasks as i64);
            accuracy.extra = Some(extra.clone());
            accuracy.data_date = run_date;
            parsed.observations.push(accuracy);
            for (attempt, metric) in set.attempt_metrics.iter().enumerate() {
                if grades.iter().all(|grade| grade.attempts[attempt].is_none()) {
                    continue;
                }
                // A task without this attempt counts as not solved by it.
                let solved: f64 = grades
                    .iter()
                    .map(|grade| grade.attempts[attempt].unwrap_or(0.0))
                    .sum();
                let mut alone = ParsedObservation::new(
                    "reasoning",
                    metric,
                    model,
                    context.today,
                    solved / tasks as f64 * 100.0,
                );
                alone.sample_size = Some(tasks as i64);
                alone.extra = Some(
                    serde_json::json!({"tasks": tasks, "solved": solved, "repo": repo, "attempt": attempt + 1}),
                );
                alone.data_date = run_date;
                parsed.observations.push(alone);
            }
            parsed.describe_benchmark_model(model, None, None, run_date);
            if !costs.is_empty() {
                let mut cost = ParsedObservation::new(
                    "reasoning",
                    set.cost_metric,
                    model,
                    context.today,
                    costs.iter().sum::<f64>() / costs.len() as f64,
                );
                cost.sample_size = Some(costs.len() as i64);
                cost.extra = Some(extra);
                cost.data_date = run_date;
                parsed.observations.push(cost);
            }
        }
        parsed.check_drift()
    }

    async fn list_models(
        &self,
        http: &dyn Http,
        context: &SourceContext,
    ) -> Option<Result<Vec<String>, FetchError>> {
        let mut documents = Vec::new();
        Some(
            model_folders(http, context, &mut documents)
                .await
                .map(|folders| {
                    let names: BTreeSet<String> =
                        folders.into_iter().map(|(_, folder)| folder).collect();
                    names.into_iter().collect()
                }),
        )
    }
}

/// The expected output grid of each test pair of a task file.
pub fn expected_outputs(document: &Document) -> Result<Vec<Value>, ParseError> {
    let task: Value = json(document)?;
    task.get("test")
        .and_then(Value::as_array)
        .map(|pairs| {
            pairs
                .iter()
                .map(|pair| pair.get("output").cloned().unwrap_or(Value::Null))
                .collect()
        })
        .ok_or_else(|| ParseError::Malformed {
            key: document.key.clone(),
            reason: "missing field `test`".to_owned(),
        })
}

/// Whether two grids are equal cell by cell (numbers compared by value).
pub fn grids_equal(left: &Value, right: &Value) -> bool {
    match (left.as_array(), right.as_array()) {
        (Some(left_rows), Some(right_rows)) => {
            left_rows.len() == right_rows.len()
                && !left_rows.is_empty()
                && left_rows.iter().zip(right_rows).all(|(left_row, right_row)| {
                    match (left_row.as_array(), right_row.as_array()) {
                        (Some(left_cells), Some(right_cells)) => {
                            left_cells.len() == right_cells.len()
                                && left_cells.iter().zip(right_cells).all(|(a, b)| {
                                    matches!((number(Some(a)), number(Some(b))), (Some(a), Some(b)) if a == b)
                                })
                        }
                        _ => false,
                    }
                })
        }
        _ => false,
    }
}

/// Grades one prediction file (pass@2, each attempt alone, total cost if any attempt reports one), or
/// `None` when the file is not a list of attempts. Reads both the current and the legacy layout.
pub fn grade(prediction: &Value, expected: &[Value]) -> Option<Grade> {
    let pairs = prediction.as_array()?;
    if expected.is_empty() {
        return Some(Grade {
            score: 0.0,
            attempts: [None, None],
            cost: None,
        });
    }
    let mut solved = 0usize;
    let mut solved_by = [0usize; 2];
    let mut present = [false; 2];
    let mut cost: Option<f64> = None;
    for (index, expected_output) in expected.iter().enumerate() {
        let Some(attempts) = pairs.get(index).and_then(Value::as_object) else {
            continue;
        };
        let mut pair_solved = false;
        for (name, attempt) in attempts {
            if !name.starts_with("attempt") {
                continue;
            }
            let answer = attempt.get("answer").unwrap_or(attempt);
            let right = grids_equal(answer, expected_output);
            pair_solved |= right;
            let slot = match name.as_str() {
                "attempt_1" => Some(0),
                "attempt_2" => Some(1),
                _ => None,
            };
            if let Some(slot) = slot.filter(|_| !answer.is_null()) {
                present[slot] = true;
                solved_by[slot] += usize::from(right);
            }
            if let Some(total) = number(attempt.pointer("/metadata/cost/total_cost")) {
                *cost.get_or_insert(0.0) += total;
            }
        }
        if pair_solved {
            solved += 1;
        }
    }
    let pairs = expected.len() as f64;
    Some(Grade {
        score: solved as f64 / pairs,
        attempts: [0, 1].map(|slot| present[slot].then(|| solved_by[slot] as f64 / pairs)),
        cost,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::adapters::testing::{ScriptedHttp, context, fixture};

    fn task(relative: &str, key: &str) -> Option<Document> {
        fixture(&format!("arc-agi/tasks/{relative}"), key)
    }

    #[test]
    fn grades_both_layouts_like_the_upstream_results() {
        let Some(training) = task(
            "arc-agi-1/training/0d3d703e.json",
            "task:arc_agi_v1_public_eval/0d3d703e",
        ) else {
            return;
        };
        let mut documents = vec![training];
        for id in ["00576224", "f0afb749", "94414823", "12997ef3"] {
            documents.push(
                task(
                    &format!("arc-agi-1/evaluation/{id}.json"),
                    &format!("task:arc_agi_v1_public_eval/{id}"),
                )
                .expect("task"),
            );
            for model in ["claude_sonnet_20241022", "deepseek-r1_20250120"] {
                documents.push(
                    fixture(
                        &format!("arc-agi/predictions_legacy/{model}/{id}.json"),
                        &format!("pred:arc_agi_v1_public_eval/{model}/{id}"),
                    )
                    .expect("prediction"),
                );
            }
        }
        documents.push(
            fixture(
                "arc-agi/predictions/arc_agi_v1_public_eval/o1-pro-2025-03-19/0d3d703e.json",
                "pred:arc_agi_v1_public_eval/o1-pro-2025-03-19/0d3d703e",
            )
            .expect("o1-pro"),
        );
        let parsed = ArcAgi.parse(&documents, &context()).expect("parses");
        assert_eq!(parsed.failed, 0);
        let value = |model: &str, metric: &str| {
            parsed
                .observations
                .iter()
                .find(|observation| {
                    observation.source_model_name == model && observation.metric == metric
                })
                .map(|observation| observation.value)
        };
        // both legacy models solve 00576224 only (consistent with the upstream results.json files)
        assert_eq!(
            value("claude_sonnet_20241022", "arc_agi_1_accuracy"),
            Some(25.0)
        );
        assert_eq!(
            value("deepseek-r1_20250120", "arc_agi_1_accuracy"),
            Some(25.0)
        );
        assert_eq!(value("claude_sonnet_20241022", "cost_per_task_usd"), None);
        assert_eq!(
            value("o1-pro-2025-03-19", "arc_agi_1_accuracy"),
            Some(100.0)
        );
        // In these samples both attempts answer alike: each alone scores what pass@2 does.
        for model in [
            "claude_sonnet_20241022",
            "deepseek-r1_20250120",
            "o1-pro-2025-03-19",
        ] {
            for attempt in [
                "arc_agi_1_accuracy_attempt_1",
                "arc_agi_1_accuracy_attempt_2",
            ] {
                assert_eq!(
                    value(model, attempt),
                    value(model, "arc_agi_1_accuracy"),
                    "{model} {attempt}"
                );
            }
        }
        // o1-pro's two attempts cost $1.43 and $6.04
        let cost = value("o1-pro-2025-03-19", "cost_per_task_usd").expect("cost");
        assert!((cost - (1.42995 + 6.03795)).abs() < 1e-9, "{cost}");

        for model in ["claude_sonnet_20241022", "deepseek-r1_20250120"] {
            let results = fixture(&format!("arc-agi/results/{model}_results.json"), "results")
                .expect("results");
            let results: Value = json(&results).expect("results json");
            for id in ["00576224", "f0afb749", "94414823", "12997ef3"] {
                let expected = expected_outputs(
                    documents
                        .iter()
                        .find(|document| {
                            document.key == format!("task:arc_agi_v1_public_eval/{id}")
                        })
                        .expect("task"),
                )
                .expect("outputs");
                let prediction = documents
                    .iter()
                    .find(|document| {
                        document.key == format!("pred:arc_agi_v1_public_eval/{model}/{id}")
                    })
                    .expect("prediction");
                let score = grade(&json(prediction).expect("json"), &expected)
                    .expect("graded")
                    .score;
                assert_eq!(
                    Some(score),
                    results["task_results"][id].as_f64(),
                    "{model} {id}"
                );
            }
        }
        let o1_results = fixture(
            "arc-agi/results/open_ai_o1_high_20241217_results.json",
            "results",
        )
        .expect("o1 results");
        let o1_results: Value = json(&o1_results).expect("json");
        assert_eq!(o1_results["total_tasks"], 400);
    }

    #[test]
    fn arc_agi_2_tasks_parse() {
        for id in ["0934a4d8", "135a2760"] {
            let Some(document) = task(&format!("arc-agi-2/evaluation/{id}.json"), "task") else {
                return;
            };
            let outputs = expected_outputs(&document).expect("outputs");
            assert!(!outputs.is_empty());
            // an exact copy of the expected output solves the task
            let prediction: Vec<Value> = outputs
                .iter()
                .map(|output| serde_json::json!({"attempt_1": output, "attempt_2": null}))
                .collect();
            assert_eq!(
                grade(&Value::Array(prediction), &outputs),
                Some(Grade {
                    score: 1.0,
                    attempts: [Some(1.0), None],
                    cost: None
                })
            );
        }
    }

    #[tokio::test]
    async fn fetches_listings_predictions_and_tasks() {
        let mut http = ScriptedHttp::default();
        let base = "http://upstream.test";
        http.responses.insert(
            format!("{base}{}", tree_path("arc_agi_v1_public_eval", None)),
            br#"[{"type":"directory","path":"model-a","oid":"1"}]"#.to_vec(),
        );
        http.responses.insert(
            format!(
                "{base}{}",
                tree_path("arc_agi_v1_public_eval", Some("model-a"))
            ),
            br#"[{"type":"file","path":"model-a/t1.json","oid":"2"}]"#.to_vec(),
        );
        http.responses.insert(
            format!(
                "{base}{}",
                file_path("arc_agi_v1_public_eval", "model-a/t1.json")
            ),
            br#"[{"attempt_1": [[1]], "attempt_2": [[2]]}]"#.to_vec(),
        );
        http.responses.insert(
            "http://tasks.test/fchollet/ARC-AGI/master/data/training/t1.json".to_owned(),
            br#"{"train": [], "test": [{"input": [[0]], "output": [[2]]}]}"#.to_vec(),
        );
        let documents = ArcAgi
            .fetch(&http, &context())
            .await
            .expect("fetches")
            .documents;
        let parsed = ArcAgi.parse(&documents, &context()).expect("parses");
        // Attempt 1 answers [[1]], attempt 2 the expected [[2]]: pass@2 solves the task, attempt 1
        // alone does not.
        let metrics: Vec<(&str, f64)> = parsed
            .observations
            .iter()
            .map(|observation| (observation.metric.as_str(), observation.value))
            .collect();
        assert_eq!(
            metrics,
            [
                ("arc_agi_1_accuracy", 100.0),
                ("arc_agi_1_accuracy_attempt_1", 0.0),
                ("arc_agi_1_accuracy_attempt_2", 100.0)
            ]
        );
        let names = ArcAgi
            .list_models(&http, &context())
            .await
            .expect("supported")
            .expect("lists");
        assert_eq!(names, vec!["model-a".to_owned()]);
    }
}
