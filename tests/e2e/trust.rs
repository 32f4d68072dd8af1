//! Rankings a team can trust, on real data: the shared fixtures (real upstream samples) served at their
//! upstream paths by the replay server, ingested with ReingestAll through the public RPCs, and the
//! rankings service's answers checked for the properties a team choosing a model relies on:
//!
//! - the top 30 all carry a coding score (coding is the anchor of the overall score);
//! - `max_price = 0` lists only models whose own price is 0 (a `:free` variant is a flag);
//! - no display name twice;
//! - dominance: a model at least as good on every shared coding benchmark (two or more, one strictly)
//!   never has a lower coding composite;
//! - every default row has a benchmark;
//! - versions the old rankings fused are distinct models, while each version's spellings land on one;
//! - values are dated by when upstream measured them (EvalPlus, frozen in 2024, is stale).
//!
//! A golden file (`tests/e2e/golden/fixture_models.txt`) pins ~40 well-known models: id, family,
//! price, and the value chosen per source with the upstream entry and why. It is reviewed by reading;
//! `BENCHHUB_UPDATE_GOLDEN=1` rewrites it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use benchhub_proto::pb;
use benchhub_proto::pb::rankings_service_client::RankingsServiceClient;
use benchhub_testkit::authorized;
use benchhub_upstream::{Backend, ReplayServer};
use tokio_stream::StreamExt;
use tonic::transport::Channel;

use crate::stack::{ADMIN_TOKEN, Stack};

/// A model's coding benchmark values by (source, metric).
type CodingScores = BTreeMap<(String, String), f64>;

/// Coding metrics as `order_by` paths' parts (source, category, metric).
fn is_coding(metric: &pb::MetricValue) -> bool {
    benchhub_common::vocabulary::find(&metric.source, &metric.category, &metric.metric)
        .is_some_and(|spec| spec.coding)
}

async fn all_rows(
    client: &mut RankingsServiceClient<Channel>,
    mut request: pb::ListRankingsRequest,
) -> anyhow::Result<Vec<pb::RankingRow>> {
    request.page_size = 500;
    let mut rows = Vec::new();
    loop {
        let response = client.list_rankings(request.clone()).await?.into_inner();
        rows.extend(response.rows);
        if response.next_page_token.is_empty() {
            return Ok(rows);
        }
        request.page_token = response.next_page_token;
    }
}

fn full(filter: Option<pb::RankingsFilter>) -> pb::ListRankingsRequest {
    pb::ListRankingsRequest {
        filter,
        view: pb::RankingView::Full as i32,
        ..Default::default()
    }
}

fn id(row: &pb::RankingRow) -> &str {
    row.model
        .as_ref()
        .map(|model| model.id.as_str())
        .unwrap_or("")
}

/// Ingests the upstream samples in `directory` and waits until the rankings catalog holds still after
/// the last ingest.
async fn ingested(
    directory: std::path::PathBuf,
) -> anyhow::Result<(Stack, ReplayServer, Vec<pb::IngestResult>)> {
    let replay =
        ReplayServer::start(([127, 0, 0, 1], 0).into(), Backend::Directory(directory)).await?;
    let replay_url = replay.url();
    let stack = Stack::start_with(|config| {
        config.point_sources_at(&replay_url);
        for source in &mut config.sources {
            if source.spec.name == "artificialanalysis" {
                source.secret = Some("replay-key".to_owned().into());
            }
        }
    })
    .await?;
    let mut ingest =
        pb::ingest_service_client::IngestServiceClient::new(stack.ingest.channel().await?);
    let mut stream = ingest
        .reingest_all(authorized(pb::ReingestAllRequest::default(), ADMIN_TOKEN))
        .await?
        .into_inner();
    let mut results = Vec::new();
    while let Some(response) = stream.next().await {
        results.push(response?.result.expect("a result"));
    }
    let mut rankings = RankingsServiceClient::new(stack.rankings.channel().await?);
    // Rebuilds follow each ingest's NOTIFY: wait until two listings a second apart agree.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut previous = String::new();
    loop {
        let response = rankings
            .list_rankings(pb::ListRankingsRequest {
                page_size: 500,
                ..Default::default()
            })
            .await?
            .into_inner();
        let signature = format!(
            "{} {:?}",
            response.total_size,
            response
                .rows
                .iter()
                .map(|row| (
                    id(row).to_owned(),
                    row.scores.as_ref().and_then(|s| s.overall)
                ))
                .collect::<Vec<_>>()
        );
        if response.total_size > 100 && signature == previous {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the rankings never settled");
        previous = signature;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    for result in &results {
        assert!(
            result.error.is_empty(),
            "{}: {}",
            result.source,
            result.error
        );
    }
    Ok((stack, replay, results))
}

#[tokio::test]
async fn rankings_built_from_real_samples_can_be_trusted() -> anyhow::Result<()> {
    let Some(directory) = benchhub_testkit::fixtures_dir() else {
        return Ok(());
    };
    let (stack, replay, results) = ingested(directory).await?;
    let mut rankings = RankingsServiceClient::new(stack.rankings.channel().await?);
    let everything = check_properties(&mut rankings, Samples::Shared).await?;
    let deepseek_flash = everything
        .iter()
        .find(|row| id(row) == "deepseek/deepseek-v4-flash")
        .expect("deepseek-v4-flash listed");
    let price = deepseek_flash.price.as_ref().expect("price");
    assert!(!price.free && price.free_variant_available, "{price:?}");
    fixture_facts(&mut rankings, &results).await?;
    golden(&mut rankings).await?;
    console_shows_the_real_rankings(&stack, &mut rankings).await?;
    stack.stop().await?;
    replay.stop().await;
    Ok(())
}

/// The web console over the rankings built from real samples: each row it shows is the rankings
/// service's row, with how sure its place and score are (the rank's likely range and the score's 95%
/// interval whenever the service has them), the service's freshness word, and a paid model's price
/// never shown as free (a separately listed free variant is said beside it).
async fn console_shows_the_real_rankings(
    stack: &Stack,
    rankings: &mut RankingsServiceClient<Channel>,
) -> anyhow::Result<()> {
    let console = crate::console::Console::over(stack).await?;
    let expected: HashMap<String, pb::RankingRow> = all_rows(rankings, full(None))
        .await?
        .into_iter()
        .map(|row| (id(&row).to_owned(), row))
        .collect();
    let (status, page) = console.get("/", None).await?;
    anyhow::ensure!(status == reqwest::StatusCode::OK, "{status}: {page}");
    let body = page
        .split("<tbody>")
        .nth(1)
        .and_then(|rest| rest.split("</tbody>").next())
        .expect("a rankings table");
    let rows: Vec<&str> = body.split("<tr>").skip(1).collect();
    assert!(rows.len() >= 20, "{} rows on the first page", rows.len());
    let mut with_interval = 0;
    let mut with_rank_range = 0;
    for html in &rows {
        let model = html
            .split(r#"<span class="id">"#)
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .expect("a model id");
        let row = expected
            .get(model)
            .unwrap_or_else(|| panic!("{model} is shown but not ranked"));
        let word = match row
            .freshness
            .as_ref()
            .map(|freshness| pb::Freshness::try_from(freshness.overall))
        {
            Some(Ok(pb::Freshness::Fresh)) => "fresh",
            Some(Ok(pb::Freshness::Aging)) => "aging",
            Some(Ok(pb::Freshness::Stale)) => "stale",
            _ => "unknown",
        };
        assert!(
            html.contains(&format!(r#"data-freshness="{word}""#)),
            "{model}: the service says {word}: {html}"
        );
        if let (Some(best), Some(worst)) = (row.rank_best, row.rank_worst)
            && best != worst
        {
            assert!(
                html.contains(&format!("likely {best}–{worst}")),
                "{model}: rank {} likely {best}–{worst}: {html}",
                row.rank
            );
            with_rank_range += 1;
        }
        let scores = row.scores.unwrap_or_default();
        if scores.overall.is_some() && scores.overall_low.is_some() && scores.overall_high.is_some()
        {
            assert!(
                html.contains(r#"title="95% interval""#),
                "{model}: its overall score has an interval: {html}"
            );
            with_interval += 1;
        }
        if let Some(price) = &row.price
            && !price.free
        {
            assert!(!html.contains(">free<"), "{model} is paid: {html}");
            assert_eq!(
                html.contains("free variant too"),
                price.free_variant_available,
                "{model}: {price:?}"
            );
        }
    }
    // On real samples most places are uncertain; the page says so rather than showing bare ranks.
    assert!(
        with_interval > 0 && with_rank_range > 0,
        "{with_interval} intervals, {with_rank_range} rank ranges on the first page"
    );
    // DeepSeek V4 Flash is paid, with a free variant listed apart: its page says both.
    let (status, page) = console
        .get("/models/deepseek%2Fdeepseek-v4-flash", None)
        .await?;
    anyhow::ensure!(status == reqwest::StatusCode::OK, "{status}: {page}");
    assert!(page.contains("free variant too"), "{page}");
    console.server.stop().await?;
    Ok(())
}

/// The same properties on other samples of the same upstreams: OpenRouter's older dump (2025-12),
/// models.dev's subset (far fewer catalog models, so more benchmark-only ones) and LiveBench's older
/// table, with every other source as shared.
#[tokio::test]
async fn the_properties_hold_on_other_samples_of_the_same_upstreams() -> anyhow::Result<()> {
    let Some(directory) = benchhub_testkit::fixtures_dir() else {
        return Ok(());
    };
    let other = tempfile::tempdir()?;
    for entry in std::fs::read_dir(&directory)? {
        let entry = entry?;
        let source = entry.file_name().to_string_lossy().into_owned();
        let target = other.path().join(&source);
        if !entry.file_type()?.is_dir() {
            continue;
        }
        std::fs::create_dir(&target)?;
        for file in std::fs::read_dir(entry.path())? {
            let file = file?;
            let name = file.file_name().to_string_lossy().into_owned();
            let keep = match source.as_str() {
                "openrouter" => !name.starts_with("api_v1_models_") || name.contains("2025-12"),
                "modelsdev" => name != "api.json",
                "livebench" => !name.contains("2026_01_08"),
                _ => true,
            };
            let linked = if source == "modelsdev" && name == "api.subset.json" {
                target.join("api.json")
            } else {
                target.join(&name)
            };
            if keep {
                std::os::unix::fs::symlink(file.path(), linked)?;
            }
        }
    }
    let (stack, replay, _) = ingested(other.path().to_path_buf()).await?;
    let mut rankings = RankingsServiceClient::new(stack.rankings.channel().await?);
    check_properties(&mut rankings, Samples::Other).await?;
    stack.stop().await?;
    replay.stop().await;
    Ok(())
}

/// Which samples the rankings were built from: the shared fixtures (every named model is there) or
/// other samples (a named model may be missing; whatever is there must hold).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Samples {
    Shared,
    Other,
}

/// Checks the properties every real sample must satisfy and returns the whole catalog's rows.
async fn check_properties(
    rankings: &mut RankingsServiceClient<Channel>,
    samples: Samples,
) -> anyhow::Result<Vec<pb::RankingRow>> {
    let rows = all_rows(rankings, full(None)).await?;
    let everything = all_rows(
        rankings,
        full(Some(pb::RankingsFilter {
            include_unbenchmarked: true,
            ..Default::default()
        })),
    )
    .await?;
    if let Ok(path) = std::env::var("BENCHHUB_TRUST_DUMP") {
        let path = match samples {
            Samples::Shared => path,
            Samples::Other => format!("{path}.other"),
        };
        let mut text = String::new();
        for row in &rows {
            let scores = row.scores.unwrap_or_default();
            let price = row.price.clone().unwrap_or_default();
            let _ = writeln!(
                text,
                "{} [{}-{}]\t{}\t{}\t{}\tcoding {} ({})\tperf {}\tvalue {}\t${}/{} {}",
                row.rank,
                row.rank_best.unwrap_or_default(),
                row.rank_worst.unwrap_or_default(),
                id(row),
                row.model
                    .as_ref()
                    .map(|m| m.display_name.as_str())
                    .unwrap_or(""),
                number(scores.overall),
                number(scores.coding),
                row.coding_benchmarks,
                number(scores.performance),
                number(scores.value),
                number(price.input_usd_per_million),
                number(price.output_usd_per_million),
                if price.free_variant_available {
                    "+free variant"
                } else {
                    ""
                }
            );
        }
        std::fs::write(&path, text)?;
        let mut coding_values = String::new();
        for row in &everything {
            for metric in row.metrics.iter().filter(|metric| is_coding(metric)) {
                let _ = writeln!(
                    coding_values,
                    "{}\t{}\t{}\t{}",
                    id(row),
                    metric.source,
                    metric.metric,
                    metric.value
                );
            }
        }
        std::fs::write(format!("{path}.coding"), coding_values)?;
    }
    assert!(rows.len() > 200, "only {} benchmarked models", rows.len());
    assert!(everything.len() > rows.len());

    // The top 30 all carry a coding score; unscored models come after every scored one.
    for row in rows.iter().take(30) {
        let scores = row.scores.as_ref().expect("scores");
        assert!(
            scores.coding.is_some(),
            "{} in the top 30 without coding",
            id(row)
        );
        assert!(scores.overall.is_some());
    }
    let first_unscored = rows
        .iter()
        .position(|row| {
            row.scores
                .as_ref()
                .and_then(|scores| scores.overall)
                .is_none()
        })
        .unwrap_or(rows.len());
    assert!(rows[first_unscored..].iter().all(|row| {
        row.scores
            .as_ref()
            .and_then(|scores| scores.overall)
            .is_none()
    }));

    // Every default row has a benchmark (≥ 70% asked).
    let benchmarked = rows
        .iter()
        .filter(|row| {
            row.metrics.iter().any(|metric| {
                matches!(
                    metric.category.as_str(),
                    "coding" | "quality" | "reasoning" | "text" | "webdev" | "vision"
                )
            })
        })
        .count();
    assert_eq!(benchmarked, rows.len());

    // No display name twice, in the default listing or the whole catalog.
    let mut names: HashMap<String, &str> = HashMap::new();
    for row in &everything {
        let model = row.model.as_ref().expect("model");
        let name = model.display_name.to_lowercase();
        if let Some(other) = names.insert(name.clone(), id(row)) {
            panic!("display name '{name}' shared by {other} and {}", model.id);
        }
    }

    // max_price = 0 lists only models whose own price is 0.
    let free = all_rows(
        rankings,
        full(Some(pb::RankingsFilter {
            max_price: Some(0.0),
            include_unbenchmarked: true,
            ..Default::default()
        })),
    )
    .await?;
    for row in &free {
        let price = row.price.as_ref().expect("price");
        assert!(price.free, "{} listed at max_price 0: {price:?}", id(row));
        assert_eq!(price.input_usd_per_million, Some(0.0), "{}", id(row));
        assert!(
            price
                .output_usd_per_million
                .is_none_or(|output| output == 0.0),
            "{}: {price:?}",
            id(row)
        );
    }
    // Dominance on shared coding benchmarks.
    let coding: Vec<(&str, f64, CodingScores)> = everything
        .iter()
        .filter_map(|row| {
            let score = row.scores.as_ref()?.coding?;
            let values = row
                .metrics
                .iter()
                .filter(|metric| is_coding(metric))
                .map(|metric| ((metric.source.clone(), metric.metric.clone()), metric.value))
                .collect();
            Some((id(row), score, values))
        })
        .collect();
    let mut checked = 0;
    for (a, score_a, values_a) in &coding {
        for (b, score_b, values_b) in &coding {
            if a == b {
                continue;
            }
            let shared: Vec<(f64, f64)> = values_a
                .iter()
                .filter_map(|(key, x)| values_b.get(key).map(|y| (*x, *y)))
                .collect();
            if shared.len() >= 2
                && shared.iter().all(|(x, y)| x >= y)
                && shared.iter().any(|(x, y)| x > y)
            {
                checked += 1;
                assert!(
                    score_a >= score_b,
                    "{a} ({score_a}) dominates {b} ({score_b}) on {shared:?}"
                );
            }
        }
    }
    assert!(checked > 50, "only {checked} dominance pairs");

    // Versions the old rankings fused are distinct models.
    let resolve = |name: &str| {
        let mut client = rankings.clone();
        let name = name.to_owned();
        async move {
            client
                .get_model(pb::GetModelRequest {
                    model: name.clone(),
                    ..Default::default()
                })
                .await
                .map(|response| response.into_inner().model.expect("model").id)
                .unwrap_or_else(|status| format!("<{name}: {}>", status.message()))
        }
    };
    for (left, right) in [
        ("openai/gpt-4-0314", "openai/gpt-4-1106-preview"),
        (
            "mistralai/mistral-large-2411",
            "mistralai/mistral-large-2512",
        ),
        ("cohere/command-r-08-2024", "cohere/command-r-plus-08-2024"),
        ("moonshotai/kimi-k2", "moonshotai/kimi-k2-thinking"),
        ("claude-3-5-sonnet-20240620", "claude-3-5-sonnet-20241022"),
        ("openai/o1", "O1 Preview (Sept 2024)"),
        ("gpt-4o-2024-05-13", "gpt-4o-2024-08-06"),
        ("gpt-4o-2024-08-06", "gpt-4o-2024-11-20"),
    ] {
        let (left_model, right_model) = (resolve(left).await, resolve(right).await);
        let missing = left_model.starts_with('<') || right_model.starts_with('<');
        if samples == Samples::Shared {
            assert!(!missing, "{left_model} {right_model}");
        }
        if !missing {
            assert_ne!(left_model, right_model, "{left} and {right} fused");
        }
    }
    // Each version's spellings (fixtures/README.md's table) land on one model.
    for spellings in [
        &[
            "gpt-4o-2024-08-06",
            "openai/gpt-4o-2024-08-06",
            "GPT-4o-2024-08-06",
            "GPT 4o (Aug 2024)",
            "GPT-4O-2024-08-06",
        ][..],
        &[
            "claude-3-5-sonnet-20241022",
            "anthropic/claude-3-5-sonnet-20241022",
            "Claude-3.5-Sonnet-20241022",
            "claude-35-sonnet",
        ],
        &[
            "claude-opus-4-5-20251101",
            "claude-opus-4-5-20251101-thinking-32k",
            "anthropic/claude-opus-4.5",
            "anthropic/claude-opus-4-5",
            "Claude 4.5 Opus medium (20251101)",
            "claude-opus-4-5-thinking",
        ],
        &[
            "deepseek-v3",
            "deepseek/deepseek-chat",
            "DeepSeek-V3",
            "DeepSeek-V3 (Nov 2024)",
        ],
        &["gemini-2.5-pro", "google/gemini-2.5-pro", "gemini-2-5-pro"],
    ] {
        let mut models = HashSet::new();
        let mut missing = Vec::new();
        for spelling in spellings {
            let model = resolve(spelling).await;
            if model.starts_with('<') {
                missing.push(model);
            } else {
                models.insert(model);
            }
        }
        assert!(models.len() <= 1, "{spellings:?} → {models:?}");
        if samples == Samples::Shared {
            assert!(missing.is_empty() && models.len() == 1, "{missing:?}");
        }
    }
    Ok(everything)
}

/// Facts of the shared fixtures: SWE-bench's best system, data dates, a family's siblings.
async fn fixture_facts(
    rankings: &mut RankingsServiceClient<Channel>,
    results: &[pb::IngestResult],
) -> anyhow::Result<()> {
    // SWE-bench: the best system built on a model stands for it, named in the provenance.
    let gpt4 = rankings
        .get_model(pb::GetModelRequest {
            model: "openai/gpt-4-1106-preview".to_owned(),
            ..Default::default()
        })
        .await?
        .into_inner();
    let verified = gpt4
        .metrics
        .iter()
        .find(|metric| metric.source == "swebench" && metric.metric == "verified_resolved")
        .expect("SWE-bench Verified");
    assert_eq!(verified.value, 22.4);
    assert_eq!(verified.source_model_name, "SWE-agent + GPT 4 (1106)");
    assert!(
        verified.selection.starts_with("best of"),
        "{}",
        verified.selection
    );
    assert!(gpt4.matches.iter().any(|found| found.source == "swebench"));

    // Freshness from data dates: EvalPlus froze in 2024, so its values are stale however new the fetch.
    let evalplus = results
        .iter()
        .find(|result| result.source == "evalplus")
        .expect("evalplus result");
    assert!(
        evalplus.newest_data_date.as_str() < "2025-01-01",
        "{evalplus:?}"
    );
    let gpt4o = rankings
        .get_model(pb::GetModelRequest {
            model: "openai/gpt-4o-2024-08-06".to_owned(),
            ..Default::default()
        })
        .await?
        .into_inner();
    let humaneval = gpt4o
        .metrics
        .iter()
        .find(|metric| metric.source == "evalplus")
        .expect("evalplus value");
    assert!(humaneval.data_date.as_str() < "2025-01-01", "{humaneval:?}");
    assert!(
        !gpt4o.siblings.is_empty(),
        "the gpt-4o family has other versions"
    );
    Ok(())
}

/// Well-known models pinned in the golden file (canonical ids, or an upstream spelling where the id
/// depends on which catalog lists the model).
const GOLDEN_MODELS: &[&str] = &[
    "openai/gpt-4o-2024-05-13",
    "openai/gpt-4o-2024-08-06",
    "openai/gpt-4o-2024-11-20",
    "openai/gpt-4o-mini-2024-07-18",
    "openai/gpt-4-0314",
    "openai/gpt-4-1106-preview",
    "openai/gpt-4.1",
    "openai/gpt-4.1-nano",
    "openai/gpt-5",
    "openai/o1",
    "openai/o1-preview-2024-09-12",
    "openai/o3-mini",
    "openai/o4-mini",
    "anthropic/claude-3-5-sonnet-20240620",
    "anthropic/claude-3-5-sonnet-20241022",
    "anthropic/claude-3-7-sonnet-20250219",
    "anthropic/claude-sonnet-4-5-20250929",
    "anthropic/claude-opus-4-5-20251101",
    "anthropic/claude-3-opus-20240229",
    "google/gemini-2.5-pro",
    "google/gemini-2.5-flash",
    "google/gemini-3-pro-preview",
    "google/gemini-2.5-pro-exp-03-25",
    "deepseek/deepseek-v3",
    "deepseek/deepseek-r1",
    "deepseek/deepseek-v3.2",
    "deepseek/deepseek-v4-flash",
    "meta/llama-4-maverick-17b-128e-instruct-fp8",
    "mistral/mistral-large-2411",
    "mistral/mistral-large-2512",
    "mistral/mistral-medium-2505",
    "cohere/command-r-08-2024",
    "cohere/command-r-plus-08-2024",
    "moonshotai/kimi-k2-0711-preview",
    "moonshotai/kimi-k2-thinking",
    "alibaba/qwen3-235b-a22b",
    "alibaba/qwen2-5-72b-instruct",
    "Qwen2.5-Coder-32B-Instruct",
    "xai/grok-4",
    "minimax/minimax-m2",
    "bigcode/starcoder2-15b",
];

fn number(value: Option<f64>) -> String {
    value
        .map(|value| {
            format!("{value:.4}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_owned()
        })
        .unwrap_or_else(|| "-".to_owned())
}

async fn golden(rankings: &mut RankingsServiceClient<Channel>) -> anyhow::Result<()> {
    let mut text = String::from(
        "# Golden: well-known models as benchhub fuses the shared fixtures. Reviewed by reading.\n\
         # model | family | price (in/out USD per 1M, source: entry) | free variant\n\
         #   source/category/metric = value  <- upstream entry [how matched; why chosen]\n",
    );
    for model in GOLDEN_MODELS {
        let response = rankings
            .get_model(pb::GetModelRequest {
                model: (*model).to_owned(),
                ..Default::default()
            })
            .await;
        let Ok(response) = response else {
            let _ = writeln!(text, "\n{model} | NOT FOUND");
            continue;
        };
        let response = response.into_inner();
        let info = response.model.as_ref().expect("model");
        let price = response.price.as_ref();
        let _ = writeln!(
            text,
            "\n{} | {} | {} / {} ({}: {}) | {}",
            info.id,
            info.family,
            number(price.and_then(|price| price.input_usd_per_million)),
            number(price.and_then(|price| price.output_usd_per_million)),
            price.map(|price| price.source.as_str()).unwrap_or("-"),
            price
                .map(|price| price.source_model_name.as_str())
                .unwrap_or("-"),
            price.is_some_and(|price| price.free_variant_available)
        );
        for metric in &response.metrics {
            if matches!(metric.category.as_str(), "pricing" | "metadata" | "energy") {
                continue;
            }
            let _ = writeln!(
                text,
                "  {}/{}/{} = {}  <- {} [{}; {}]",
                metric.source,
                metric.category,
                metric.metric,
                number(Some(metric.value)),
                metric.source_model_name,
                metric.match_method,
                metric.selection
            );
        }
    }
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e/golden/fixture_models.txt");
    if std::env::var("BENCHHUB_UPDATE_GOLDEN").is_ok_and(|value| value == "1") {
        std::fs::create_dir_all(path.parent().expect("parent"))?;
        std::fs::write(&path, &text)?;
        return Ok(());
    }
    let expected = std::fs::read_to_string(&path).map_err(|error| {
        anyhow::anyhow!(
            "{}: {error} (BENCHHUB_UPDATE_GOLDEN=1 writes it)",
            path.display()
        )
    })?;
    if expected != text {
        let differences: Vec<String> = expected
            .lines()
            .zip(text.lines())
            .filter(|(left, right)| left != right)
            .take(10)
            .map(|(left, right)| format!("- {left}\n+ {right}"))
            .collect();
        panic!(
            "the golden file differs ({} vs {} lines); first differences:\n{}",
            expected.lines().count(),
            text.lines().count(),
            differences.join("\n")
        );
    }
    Ok(())
}
