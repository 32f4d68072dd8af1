//! `benchctl rankings`, `benchctl model <id>` and `benchctl latest`: the rankings service as tables.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use benchhub_proto::pb;
use tokio_stream::StreamExt;

use crate::client::{Clients, explain};
use crate::render;

/// Arguments of `benchctl rankings`.
#[derive(Debug, Clone, clap::Args)]
pub struct RankingsArgs {
    /// Case-insensitive text matched against id, name, creator, family and aliases.
    #[arg(long)]
    pub search: Option<String>,
    /// Only this creator, e.g. openai (repeatable).
    #[arg(long)]
    pub provider: Vec<String>,
    /// Only models with data in this category, e.g. coding or text (repeatable).
    #[arg(long)]
    pub category: Vec<String>,
    /// Only open-weights (true) or closed (false) models.
    #[arg(long)]
    pub open_weights: Option<bool>,
    /// Minimum quality index (0–100).
    #[arg(long)]
    pub min_quality: Option<f64>,
    /// Maximum USD per million input tokens (free models count as 0).
    #[arg(long)]
    pub max_price: Option<f64>,
    /// Speed tier by time to first token (repeatable).
    #[arg(long, value_parser = ["fast", "medium", "slow"])]
    pub speed: Vec<String>,
    /// Freshness of the data (repeatable).
    #[arg(long, value_parser = ["fresh", "aging", "stale"])]
    pub freshness: Vec<String>,
    /// Capability tier (repeatable).
    #[arg(long, value_parser = ["frontier", "strong", "efficient"])]
    pub tier: Vec<String>,
    /// Only models with data from every one of these sources (repeatable).
    #[arg(long)]
    pub has_source: Vec<String>,
    /// Minimum overall score (0–100).
    #[arg(long)]
    pub min_score: Option<f64>,
    /// Only models of these families, e.g. openai/gpt-4o (repeatable).
    #[arg(long)]
    pub family: Vec<String>,
    /// Only models whose coding composite rests on at least this many coding benchmarks.
    #[arg(long)]
    pub min_coding_benchmarks: Option<i32>,
    /// List the whole catalog, including models without any benchmark (prices and metadata only).
    #[arg(long)]
    pub all: bool,
    /// One row per family: its best model, with how many of the family matched.
    #[arg(long)]
    pub by_family: bool,
    /// Ordering, AIP-132 style, e.g. "coding_score desc" or "metric.lmarena.text.elo desc".
    #[arg(long, default_value = "")]
    pub sort: String,
    /// Component weights, e.g. coding=0.6,performance=0.2,value=0.2 (unset ones count as 0).
    #[arg(long)]
    pub weights: Option<String>,
    /// The rankings as they stood on this date (YYYY-MM-DD).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Show rank changes against this earlier date (YYYY-MM-DD).
    #[arg(long)]
    pub compare_to: Option<String>,
    /// Rows to show.
    #[arg(long, default_value_t = 25)]
    pub limit: usize,
    /// Write every matching row as CSV to this file instead of printing a table.
    #[arg(long)]
    pub csv: Option<PathBuf>,
}

/// Arguments of `benchctl model`.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// Canonical model id or any alias, e.g. openai/gpt-4o.
    pub model: String,
    /// Values as they stood on this date (YYYY-MM-DD).
    #[arg(long)]
    pub as_of: Option<String>,
}

/// Arguments of `benchctl latest`.
#[derive(Debug, Clone, clap::Args)]
pub struct LatestArgs {
    /// Only models first reported by this source, e.g. arc-agi.
    #[arg(long)]
    pub source: Option<String>,
}

fn enum_values<T: Copy + Into<i32>>(names: &[String], map: impl Fn(&str) -> Option<T>) -> Vec<i32> {
    names
        .iter()
        .filter_map(|name| map(name))
        .map(Into::into)
        .collect()
}

/// Builds the filter of `benchctl rankings`.
pub fn filter(args: &RankingsArgs) -> pb::RankingsFilter {
    pb::RankingsFilter {
        search: args.search.clone().unwrap_or_default(),
        providers: args.provider.clone(),
        categories: args.category.clone(),
        open_weights: args.open_weights,
        min_quality: args.min_quality,
        max_price: args.max_price,
        performance_tiers: enum_values(&args.speed, |name| match name {
            "fast" => Some(pb::PerformanceTier::Fast),
            "medium" => Some(pb::PerformanceTier::Medium),
            "slow" => Some(pb::PerformanceTier::Slow),
            _ => None,
        }),
        freshness: enum_values(&args.freshness, |name| match name {
            "fresh" => Some(pb::Freshness::Fresh),
            "aging" => Some(pb::Freshness::Aging),
            "stale" => Some(pb::Freshness::Stale),
            _ => None,
        }),
        has_sources: args.has_source.clone(),
        tiers: enum_values(&args.tier, |name| match name {
            "frontier" => Some(pb::ModelTier::Frontier),
            "strong" => Some(pb::ModelTier::Strong),
            "efficient" => Some(pb::ModelTier::Efficient),
            _ => None,
        }),
        min_overall_score: args.min_score,
        include_unbenchmarked: args.all,
        families: args.family.clone(),
        min_coding_benchmarks: args.min_coding_benchmarks,
    }
}

/// Parses `coding=0.6,performance=0.2,value=0.2`.
pub fn parse_weights(text: &str) -> anyhow::Result<pb::Weights> {
    let mut weights = pb::Weights::default();
    for part in text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let (name, value) = part
            .split_once('=')
            .with_context(|| format!("'{part}' in --weights is not name=value"))?;
        let value: f64 = value
            .trim()
            .parse()
            .with_context(|| format!("'{value}' in --weights is not a number"))?;
        match name.trim() {
            "coding" => weights.coding = value,
            "performance" => weights.performance = value,
            "value" => weights.value = value,
            other => anyhow::bail!(
                "unknown weight '{other}' in --weights; allowed: coding, performance, value"
            ),
        }
    }
    Ok(weights)
}

/// Formats an optional number with `decimals` decimals, `-` when absent.
pub fn number(value: Option<f64>, decimals: usize) -> String {
    value
        .map(|value| format!("{value:.decimals$}"))
        .unwrap_or_else(|| "-".to_owned())
}

fn freshness_name(value: i32) -> &'static str {
    match pb::Freshness::try_from(value) {
        Ok(pb::Freshness::Fresh) => "fresh",
        Ok(pb::Freshness::Aging) => "aging",
        Ok(pb::Freshness::Stale) => "STALE",
        _ => "-",
    }
}

fn tier_name(value: i32) -> &'static str {
    match pb::ModelTier::try_from(value) {
        Ok(pb::ModelTier::Frontier) => "frontier",
        Ok(pb::ModelTier::Strong) => "strong",
        Ok(pb::ModelTier::Efficient) => "efficient",
        _ => "-",
    }
}

fn speed_name(value: i32) -> &'static str {
    match pb::PerformanceTier::try_from(value) {
        Ok(pb::PerformanceTier::Fast) => "fast",
        Ok(pb::PerformanceTier::Medium) => "medium",
        Ok(pb::PerformanceTier::Slow) => "slow",
        _ => "-",
    }
}

fn price_text(price: Option<&pb::Price>) -> String {
    match price {
        None => "-".to_owned(),
        Some(price) if price.free && price.input_usd_per_million.unwrap_or(0.0) == 0.0 => {
            "free".to_owned()
        }
        Some(price) => {
            let text = format!(
                "{} / {}",
                number(price.input_usd_per_million, 2),
                number(price.output_usd_per_million, 2)
            );
            if price.free {
                format!("{text} (free variant)")
            } else {
                text
            }
        }
    }
}

fn change_text(row: &pb::RankingRow) -> String {
    if row.new_entry {
        return "new".to_owned();
    }
    match row.rank_change {
        Some(change) if change > 0 => format!("▲{change}"),
        Some(change) if change < 0 => format!("▼{}", -change),
        Some(_) => "=".to_owned(),
        None => "-".to_owned(),
    }
}

/// Renders a unicode sparkline (▁▂▃▄▅▆▇█) of `values`, scaled between their minimum and maximum.
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let low = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let high = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|value| {
            if !value.is_finite() {
                return ' ';
            }
            if high <= low {
                return BARS[3];
            }
            let position = ((value - low) / (high - low) * 7.0).round() as usize;
            BARS[position.min(7)]
        })
        .collect()
}

fn rankings_request(args: &RankingsArgs) -> anyhow::Result<pb::ListRankingsRequest> {
    Ok(pb::ListRankingsRequest {
        filter: Some(filter(args)),
        order_by: args.sort.clone(),
        page_size: args.limit.clamp(1, 500) as i32,
        page_token: String::new(),
        weights: args.weights.as_deref().map(parse_weights).transpose()?,
        as_of: args.as_of.clone().unwrap_or_default(),
        compare_to: args.compare_to.clone().unwrap_or_default(),
        view: pb::RankingView::Basic as i32,
        group_by_family: args.by_family,
    })
}

/// Runs `benchctl rankings`.
pub async fn run_rankings(clients: &Clients, args: &RankingsArgs) -> anyhow::Result<()> {
    let request = rankings_request(args)?;
    let mut client = clients.rankings().await?;
    if let Some(path) = &args.csv {
        let mut stream = client
            .export_rankings(pb::ExportRankingsRequest {
                filter: request.filter,
                order_by: request.order_by,
                weights: request.weights,
                as_of: request.as_of,
                compare_to: request.compare_to,
                group_by_family: request.group_by_family,
            })
            .await
            .map_err(|status| explain(&status))?
            .into_inner();
        let mut file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut rows = 0i64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|status| explain(&status))?;
            rows += i64::from(chunk.row_count);
            file.write_all(&chunk.data)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        println!("wrote {rows} rows to {}", path.display());
        return Ok(());
    }

    let mut rows = Vec::new();
    let mut page_request = request.clone();
    let mut last = None;
    while rows.len() < args.limit {
        let response = client
            .list_rankings(page_request.clone())
            .await
            .map_err(|status| explain(&status))?
            .into_inner();
        rows.extend(response.rows.clone());
        let next = response.next_page_token.clone();
        last = Some(response);
        if next.is_empty() {
            break;
        }
        page_request.page_token = next;
    }
    rows.truncate(args.limit);
    let Some(response) = last else {
        return Ok(());
    };
    let comparing = !request.compare_to.is_empty();
    let mut header = vec!["#"];
    if comparing {
        header.push("Δ");
    }
    header.extend([
        "model",
        "tier",
        "overall",
        "coding",
        "perf",
        "value",
        "$ in / out",
        "TTFT s",
        "tok/s",
        "speed",
        "fresh",
    ]);
    let mut table = render::table(&header);
    for row in &rows {
        let model = row.model.clone().unwrap_or_default();
        let scores = row.scores.unwrap_or_default();
        let performance = row.performance.clone().unwrap_or_default();
        let mut cells = vec![rank_text(row.rank, row.rank_best, row.rank_worst)];
        if comparing {
            cells.push(change_text(row));
        }
        cells.extend([
            format!("{}\n{}", model.display_name, model.id),
            tier_name(model.tier).to_owned(),
            number(scores.overall, 1),
            coding_text(&scores, row.coding_benchmarks),
            number(scores.performance, 1),
            number(scores.value, 1),
            price_text(row.price.as_ref()),
            number(performance.ttft_seconds, 2),
            number(performance.tokens_per_second, 0),
            speed_name(performance.performance_tier).to_owned(),
            freshness_name(
                row.freshness
                    .as_ref()
                    .map_or(0, |freshness| freshness.overall),
            )
            .to_owned(),
        ]);
        table.add_row(cells);
    }
    println!("{table}");
    println!(
        "{} of {} models as of {}; catalog built {}{}",
        rows.len(),
        response.total_size,
        response.as_of,
        render::time(response.catalog_built_at.as_ref()),
        if response.catalog_stale {
            " (STALE: the latest rebuild failed, older data shown)"
        } else {
            ""
        }
    );
    let stale: Vec<String> = response
        .source_status
        .iter()
        .filter(|status| status.stale)
        .map(|status| {
            format!(
                "{} (last good {}{})",
                status.source,
                render::or_dash(&status.last_good_snapshot_date),
                if status.reason.is_empty() {
                    String::new()
                } else {
                    format!("; {}", status.reason)
                }
            )
        })
        .collect();
    if !stale.is_empty() {
        println!("stale sources: {}", stale.join(", "));
    }
    Ok(())
}

/// A rank with its 95% range underneath ("3" over "likely 1–12"), or the rank alone.
fn rank_text(rank: i32, best: Option<i32>, worst: Option<i32>) -> String {
    match (best, worst) {
        (Some(best), Some(worst)) if best != worst => format!("{rank}\nlikely {best}–{worst}"),
        _ => rank.to_string(),
    }
}

/// A coding composite with its 95% interval and how many benchmarks it rests on.
fn coding_text(scores: &pb::Scores, benchmarks: i32) -> String {
    let Some(coding) = scores.coding else {
        return "-".to_owned();
    };
    let plural = if benchmarks == 1 { "" } else { "es" };
    match (scores.coding_low, scores.coding_high) {
        (Some(low), Some(high)) => {
            format!("{coding:.1}\n{low:.0}–{high:.0}, {benchmarks} bench{plural}")
        }
        // Basic rows leave the interval out; the coverage still says how much it rests on.
        _ if benchmarks > 0 => format!("{coding:.1}\n{benchmarks} bench{plural}"),
        _ => format!("{coding:.1}"),
    }
}

/// Runs `benchctl model <id>`.
pub async fn run_model(clients: &Clients, args: &ModelArgs) -> anyhow::Result<()> {
    let mut client = clients.rankings().await?;
    let response = client
        .get_model(pb::GetModelRequest {
            model: args.model.clone(),
            as_of: args.as_of.clone().unwrap_or_default(),
        })
        .await
        .map_err(|status| explain(&status))?
        .into_inner();
    let model = response.model.clone().unwrap_or_default();
    let history = client
        .get_model_history(pb::GetModelHistoryRequest {
            model: model.id.clone(),
            to_date: args.as_of.clone().unwrap_or_default(),
            ..pb::GetModelHistoryRequest::default()
        })
        .await
        .map_err(|status| explain(&status))?
        .into_inner();

    let scores = response.scores.unwrap_or_default();
    println!("{} ({})", model.display_name, model.id);
    println!(
        "creator {} · family {} · released {} · context {} · open weights {} · tier {}",
        render::or_dash(&model.creator),
        render::or_dash(&model.family),
        render::or_dash(&model.release_date),
        model
            .context_length
            .map(|tokens| tokens.to_string())
            .unwrap_or_else(|| "-".to_owned()),
        model
            .open_weights
            .map(|open| if open { "yes" } else { "no" })
            .unwrap_or("-"),
        tier_name(model.tier),
    );
    println!(
        "overall {} (rank {}) · coding {} · performance {} · value {} · price {}",
        number(scores.overall, 1),
        response
            .rank
            .map(|rank| {
                rank_text(rank, response.rank_best, response.rank_worst).replace('\n', " ")
            })
            .unwrap_or_else(|| "-".to_owned()),
        coding_text(&scores, response.coding_benchmarks).replace('\n', " "),
        number(scores.performance, 1),
        number(scores.value, 1),
        price_text(response.price.as_ref()),
    );
    if let Some(freshness) = &response.freshness {
        let part = |name: &str, info: &Option<pb::FreshnessInfo>| match info {
            Some(info) if !info.newest_snapshot_date.is_empty() => format!(
                "{name} {} ({})",
                freshness_name(info.freshness),
                info.newest_snapshot_date
            ),
            _ => format!("{name} -"),
        };
        println!(
            "freshness: {} · {} · {}",
            part("benchmarks", &freshness.benchmarks),
            part("performance", &freshness.performance),
            part("pricing", &freshness.pricing)
        );
    }
    if !response.aliases.is_empty() {
        let aliases: Vec<String> = response
            .aliases
            .iter()
            .map(|alias| format!("{}:{}", alias.source, alias.alias))
            .collect();
        println!("aliases: {}", aliases.join(", "));
    }

    let mut table = render::table(&[
        "source", "category", "metric", "value", "unit", "norm.", "snapshot", "history",
    ]);
    for metric in &response.metrics {
        let series = history.series.iter().find(|series| {
            series.source == metric.source
                && series.category == metric.category
                && series.metric == metric.metric
        });
        let trend = series
            .map(|series| {
                let values: Vec<f64> = series.points.iter().map(|point| point.value).collect();
                format!("{} ({} pts)", sparkline(&values), values.len())
            })
            .unwrap_or_else(|| "-".to_owned());
        table.add_row(vec![
            metric.source.clone(),
            metric.category.clone(),
            metric.metric.clone(),
            format_value(metric.value),
            render::or_dash(&metric.unit),
            number(metric.normalized, 1),
            metric.snapshot_date.clone(),
            trend,
        ]);
    }
    println!("{table}");
    if response.catalog_stale {
        println!("note: the catalog is STALE (the latest rebuild failed); older data shown");
    }
    Ok(())
}

/// Formats a metric value compactly (integers without decimals, small values with more).
pub fn format_value(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else if value.abs() >= 100.0 {
        format!("{value:.1}")
    } else if value.abs() >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.4}")
    }
}

/// Runs `benchctl latest`.
pub async fn run_latest(clients: &Clients, args: &LatestArgs) -> anyhow::Result<()> {
    let mut client = clients.rankings().await?;
    let response = client
        .get_latest_model(pb::GetLatestModelRequest {
            source: args.source.clone().unwrap_or_default(),
        })
        .await
        .map_err(|status| explain(&status))?
        .into_inner();
    let model = response.model.unwrap_or_default();
    println!(
        "{} — {}, first ingested {}{}",
        response.display_label,
        model.id,
        render::time(response.ingested_at.as_ref()),
        if response.source.is_empty() {
            String::new()
        } else {
            format!(" from {}", response.source)
        }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_coding_scores_say_how_sure_they_are() {
        assert_eq!(rank_text(3, Some(1), Some(12)), "3\nlikely 1–12");
        assert_eq!(rank_text(3, Some(3), Some(3)), "3");
        assert_eq!(rank_text(3, None, None), "3");
        let scores = pb::Scores {
            coding: Some(84.44),
            coding_low: Some(50.6),
            coding_high: Some(100.0),
            ..pb::Scores::default()
        };
        assert_eq!(coding_text(&scores, 2), "84.4\n51–100, 2 benches");
        assert_eq!(coding_text(&scores, 1), "84.4\n51–100, 1 bench");
        assert_eq!(coding_text(&pb::Scores::default(), 0), "-");
        let basic = pb::Scores {
            coding: Some(84.44),
            ..pb::Scores::default()
        };
        assert_eq!(coding_text(&basic, 3), "84.4\n3 benches");
    }

    #[test]
    fn sparklines_scale_between_min_and_max() {
        assert_eq!(
            sparkline(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]),
            "▁▂▃▄▅▆▇█"
        );
        assert_eq!(sparkline(&[5.0, 5.0]), "▄▄");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[1270.0, 1280.0, 1300.0]), "▁▃█");
    }

    #[test]
    fn weights_parse_and_reject_unknown_names() {
        let weights = parse_weights("coding=0.6, value=0.4").expect("valid");
        assert_eq!(weights.coding, 0.6);
        assert_eq!(weights.performance, 0.0);
        assert_eq!(weights.value, 0.4);
        assert!(parse_weights("speed=1").is_err());
        assert!(parse_weights("coding").is_err());
        assert!(parse_weights("coding=x").is_err());
    }

    #[test]
    fn filter_maps_flags_onto_enums() {
        let args = RankingsArgs {
            search: Some("gpt".to_owned()),
            provider: vec!["openai".to_owned()],
            category: Vec::new(),
            open_weights: None,
            min_quality: None,
            max_price: Some(1.0),
            speed: vec!["fast".to_owned()],
            freshness: vec!["stale".to_owned()],
            tier: vec!["strong".to_owned()],
            has_source: Vec::new(),
            min_score: None,
            family: vec!["openai/gpt-4o".to_owned()],
            min_coding_benchmarks: Some(2),
            all: true,
            by_family: false,
            sort: String::new(),
            weights: None,
            as_of: None,
            compare_to: None,
            limit: 10,
            csv: None,
        };
        let filter = filter(&args);
        assert_eq!(
            filter.performance_tiers,
            vec![pb::PerformanceTier::Fast as i32]
        );
        assert_eq!(filter.freshness, vec![pb::Freshness::Stale as i32]);
        assert!(filter.include_unbenchmarked);
        assert_eq!(filter.families, vec!["openai/gpt-4o"]);
        assert_eq!(filter.min_coding_benchmarks, Some(2));
        assert_eq!(filter.tiers, vec![pb::ModelTier::Strong as i32]);
        assert_eq!(filter.max_price, Some(1.0));
    }

    #[test]
    fn values_format_compactly() {
        assert_eq!(format_value(1300.0), "1300");
        assert_eq!(format_value(0.4), "0.4000");
        assert_eq!(format_value(2.5), "2.50");
        assert_eq!(format_value(123.456), "123.5");
        assert_eq!(number(None, 1), "-");
    }
}
