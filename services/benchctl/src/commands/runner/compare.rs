//! `benchctl compare`: two runs (CompareRuns) or the models within one run (CompareModels), each row
//! with its paired difference, 95% interval, p-values and verdict.

use benchhub_proto::pb;

use crate::client::{Clients, explain};
use crate::render;

/// Arguments of `benchctl compare`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  benchctl compare <run-a> <run-b>       run B against baseline A, per model, over shared cases
  benchctl compare --run <run-id>        the models of one run against each other, every pair once

Differences are B − A in quality points with a paired-bootstrap 95% interval; p-values are
Holm-corrected across the rows; McNemar tests pass/fail; the verdict reads the corrected p at 0.05.")]
pub struct CompareArgs {
    /// Baseline run id.
    #[arg(required_unless_present = "run", conflicts_with = "run")]
    pub run_a: Option<String>,
    /// Candidate run id.
    #[arg(requires = "run_a")]
    pub run_b: Option<String>,
    /// Compare the models of this run with each other.
    #[arg(long)]
    pub run: Option<String>,
    /// With --run: only these models (comma-separated).
    #[arg(long, value_delimiter = ',', requires = "run")]
    pub models: Vec<String>,
}

fn verdict_name(verdict: i32) -> &'static str {
    match pb::ComparisonVerdict::try_from(verdict) {
        Ok(pb::ComparisonVerdict::Better) => "BETTER",
        Ok(pb::ComparisonVerdict::Worse) => "WORSE",
        Ok(pb::ComparisonVerdict::NoSignificantDifference) => "no significant difference",
        _ => "too few cases",
    }
}

fn number(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |value| format!("{value:.digits$}"))
}

/// The comparison table: one row per model (two runs) or per pair (one run).
pub fn table(rows: &[(String, &pb::ModelComparison)], a: &str, b: &str) -> comfy_table::Table {
    let mut table = render::table(&[
        "model",
        "cases",
        a,
        b,
        "B − A (95% CI)",
        "p (Holm)",
        "McNemar p (A only/B only)",
        "W/L/T",
        "verdict",
    ]);
    for (name, row) in rows {
        let difference = match (row.mean_quality_diff, row.diff_ci_low, row.diff_ci_high) {
            (Some(difference), Some(low), Some(high)) => {
                format!("{difference:+.1} ({low:+.1} to {high:+.1})")
            }
            (Some(difference), _, _) => format!("{difference:+.1}"),
            _ => "-".to_owned(),
        };
        table.add_row(vec![
            name.clone(),
            row.paired_cases.to_string(),
            number(row.mean_quality_a, 1),
            number(row.mean_quality_b, 1),
            difference,
            match (row.p_value, row.adjusted_p_value) {
                (Some(p), Some(adjusted)) => {
                    format!("{} ({})", render::p_value(p), render::p_value(adjusted))
                }
                _ => "-".to_owned(),
            },
            row.mcnemar_p_value.map_or_else(
                || "-".to_owned(),
                |p| {
                    format!(
                        "{} ({}/{})",
                        render::p_value(p),
                        row.passed_only_a,
                        row.passed_only_b
                    )
                },
            ),
            format!("{}/{}/{}", row.wins, row.losses, row.ties),
            verdict_name(row.verdict).to_owned(),
        ]);
    }
    table
}

/// Runs `benchctl compare`.
pub async fn run(clients: &Clients, args: CompareArgs) -> anyhow::Result<()> {
    let mut client = clients.runner().await?;
    if let Some(run_id) = args.run {
        let response = client
            .compare_models(pb::CompareModelsRequest {
                run_id,
                models: args.models,
            })
            .await
            .map_err(|status| explain(&status))?
            .into_inner();
        let rows: Vec<(String, &pb::ModelComparison)> = response
            .pairs
            .iter()
            .filter_map(|pair| {
                pair.comparison
                    .as_ref()
                    .map(|comparison| (format!("{} vs {}", pair.model_b, pair.model_a), comparison))
            })
            .collect();
        println!(
            "models of run {} against each other (B vs A)",
            response.run_id
        );
        println!("{}", table(&rows, "A quality", "B quality"));
        return Ok(());
    }
    let (Some(run_a_id), Some(run_b_id)) = (args.run_a, args.run_b) else {
        anyhow::bail!("give two run ids, or --run <id> to compare the models within one run");
    };
    let response = client
        .compare_runs(pb::CompareRunsRequest { run_a_id, run_b_id })
        .await
        .map_err(|status| explain(&status))?
        .into_inner();
    let rows: Vec<(String, &pb::ModelComparison)> = response
        .models
        .iter()
        .map(|row| (row.model.clone(), row))
        .collect();
    println!(
        "run {} (B) against run {} (A) over {} shared cases",
        response.run_b_id, response.run_a_id, response.shared_cases
    );
    println!("{}", table(&rows, "A quality", "B quality"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_show_the_interval_the_corrected_p_and_the_verdict() {
        let row = pb::ModelComparison {
            model: "fake/okay vs fake/good".to_owned(),
            paired_cases: 20,
            mean_quality_a: Some(100.0),
            mean_quality_b: Some(55.0),
            mean_quality_diff: Some(-45.0),
            diff_ci_low: Some(-65.0),
            diff_ci_high: Some(-25.0),
            wins: 0,
            losses: 9,
            ties: 11,
            p_value: Some(0.0),
            adjusted_p_value: Some(0.0),
            mcnemar_p_value: Some(0.003_906_25),
            passed_only_a: 9,
            passed_only_b: 0,
            verdict: pb::ComparisonVerdict::Worse as i32,
            ..pb::ModelComparison::default()
        };
        let text = table(&[(row.model.clone(), &row)], "A", "B").to_string();
        for needle in [
            "-45.0 (-65.0 to -25.0)",
            "< 0.001 (< 0.001)",
            "0.004 (9/0)",
            "0/9/11",
            "WORSE",
        ] {
            assert!(text.contains(needle), "{needle} missing:\n{text}");
        }
    }
}
