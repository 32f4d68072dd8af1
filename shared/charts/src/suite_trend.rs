//! A suite's quality and cost trend across its completed runs: two panels sharing the run axis.

use std::path::Path;

use chrono::{DateTime, Utc};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    Chart, ChartError, ChartFiles, DrawError, GRID_COLOR, LegendEntry, LegendMarker, draw_legend,
    draw_title, format_number, format_usd, muted_text, series_color, text, write_chart,
};

/// A suite's per-run, per-model quality and cost.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteTrend {
    /// The suite's display label (its name, or its id).
    pub suite: String,
    /// One point per (completed run, model), in any order.
    pub points: Vec<TrendPoint>,
}

/// One model's quality and cost in one completed run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// Run id.
    pub run_id: String,
    /// When the run completed; runs are ordered by it.
    pub completed_at: DateTime<Utc>,
    /// The model ("provider/model").
    pub model: String,
    /// Mean quality, 0–100; absent when ungraded.
    pub mean_quality: Option<f64>,
    /// Mean cost per result in USD; absent when unpriced.
    pub mean_cost_usd: Option<f64>,
}

const WIDTH: u32 = 1200;
const LEGEND_WIDTH: u32 = 340;
const PANEL_HEIGHT: u32 = 330;
const HEADER_HEIGHT: u32 = 66;

struct TrendChart<'a> {
    trend: &'a SuiteTrend,
    /// Run ids with their completion time, oldest first; the x position is the index.
    runs: Vec<(&'a str, DateTime<Utc>)>,
    /// Distinct models, sorted; the colour is the index.
    models: Vec<&'a str>,
}

/// Renders `trend` to `<out_dir>/<stem>.svg` and `.png`: mean quality per model across runs on top,
/// mean cost per result below, one line per model in both.
pub fn render_suite_trend(
    trend: &SuiteTrend,
    out_dir: &Path,
    stem: &str,
) -> Result<ChartFiles, ChartError> {
    let chart = prepare(trend)?;
    write_chart(&chart, out_dir, stem)
}

/// Draws a suite's cost trend as an SVG document (a string), for inlining in a page.
pub fn suite_trend_svg(trend: &SuiteTrend) -> Result<String, ChartError> {
    let chart = prepare(trend)?;
    super::svg_string(&chart)
}

fn prepare(trend: &SuiteTrend) -> Result<TrendChart<'_>, ChartError> {
    let mut runs: Vec<(&str, DateTime<Utc>)> = Vec::new();
    let mut models: Vec<&str> = Vec::new();
    for point in &trend.points {
        if !runs.iter().any(|(run_id, _)| *run_id == point.run_id) {
            runs.push((&point.run_id, point.completed_at));
        }
        if !models.contains(&point.model.as_str()) {
            models.push(&point.model);
        }
    }
    if runs.is_empty() {
        return Err(ChartError::NoData {
            chart: "suite trend",
            reason: format!("suite {} has no completed runs", trend.suite),
        });
    }
    runs.sort_by(|left, right| left.1.cmp(&right.1).then(left.0.cmp(right.0)));
    models.sort_unstable();
    Ok(TrendChart {
        trend,
        runs,
        models,
    })
}

impl TrendChart<'_> {
    fn run_index(&self, run_id: &str) -> Option<i32> {
        self.runs
            .iter()
            .position(|(id, _)| *id == run_id)
            .and_then(|index| i32::try_from(index).ok())
    }

    /// Returns each model's (run index, value) points in run order, for one measure.
    fn model_lines(
        &self,
        value: impl Fn(&TrendPoint) -> Option<f64>,
    ) -> Vec<(usize, Vec<(i32, f64)>)> {
        self.models
            .iter()
            .enumerate()
            .map(|(color_index, model)| {
                let mut points: Vec<(i32, f64)> = self
                    .trend
                    .points
                    .iter()
                    .filter(|point| point.model == *model)
                    .filter_map(|point| {
                        let value = value(point).filter(|value| value.is_finite())?;
                        Some((self.run_index(&point.run_id)?, value))
                    })
                    .collect();
                points.sort_by_key(|point| point.0);
                (color_index, points)
            })
            .collect()
    }

    fn run_labels(&self) -> Vec<String> {
        let mut dates: Vec<String> = self
            .runs
            .iter()
            .map(|(_, completed_at)| completed_at.format("%Y-%m-%d").to_string())
            .collect();
        let mut unique = dates.clone();
        unique.dedup();
        if unique.len() != dates.len() {
            // Several runs on one day: the time tells them apart.
            dates = self
                .runs
                .iter()
                .map(|(_, completed_at)| completed_at.format("%m-%d %H:%M").to_string())
                .collect();
        }
        dates
    }
}

impl Chart for TrendChart<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEADER_HEIGHT + 2 * PANEL_HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let run_count = self.runs.len();
        let plural = if run_count == 1 { "" } else { "s" };
        let body = draw_title(
            root,
            &format!("Suite trend: {}", self.trend.suite),
            Some(&format!(
                "{run_count} completed run{plural}, oldest to newest: mean quality (top) and mean cost per result (bottom)"
            )),
        )?;
        let (plots, legend_area) = body.split_horizontally(WIDTH - LEGEND_WIDTH);
        let (quality_area, cost_area) = plots.split_vertically(PANEL_HEIGHT);
        let labels = self.run_labels();
        let format_run = |index: &i32| {
            usize::try_from(*index)
                .ok()
                .and_then(|index| labels.get(index).cloned())
                .unwrap_or_default()
        };

        let quality = self.model_lines(|point| point.mean_quality);
        draw_panel(
            &quality_area,
            run_count,
            &format_run,
            Measure {
                description: "mean quality (0-100)",
                format: &|value| format_number(*value),
                fixed_range: Some((0.0, 100.0)),
            },
            &quality,
        )?;
        let cost = self.model_lines(|point| point.mean_cost_usd);
        draw_panel(
            &cost_area,
            run_count,
            &format_run,
            Measure {
                description: "mean cost per result (USD)",
                format: &|value| format_usd(*value),
                fixed_range: None,
            },
            &cost,
        )?;

        let entries: Vec<LegendEntry> = self
            .models
            .iter()
            .enumerate()
            .map(|(index, model)| LegendEntry {
                label: (*model).to_owned(),
                color: series_color(index),
                marker: LegendMarker::Line,
            })
            .collect();
        draw_legend(&legend_area.margin(24, 0, 0, 0), "models", &entries)
    }
}

/// What one panel's y axis shows.
struct Measure<'a> {
    description: &'a str,
    format: &'a dyn Fn(&f64) -> String,
    /// A fixed y range; `None` scales from zero to the largest value.
    fixed_range: Option<(f64, f64)>,
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    run_count: usize,
    format_run: &dyn Fn(&i32) -> String,
    measure: Measure<'_>,
    lines: &[(usize, Vec<(i32, f64)>)],
) -> Result<(), DrawError> {
    let largest = lines
        .iter()
        .flat_map(|(_, points)| points)
        .map(|point| point.1)
        .fold(0.0_f64, f64::max);
    let scaled_range = if largest > 0.0 {
        (0.0, largest * 1.15)
    } else {
        (0.0, 1.0)
    };
    let (y_low, y_high) = measure.fixed_range.unwrap_or(scaled_range);
    let last = i32::try_from(run_count).unwrap_or(i32::MAX);
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(90)
        .build_cartesian_2d(-1..last, y_low..y_high)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID_COLOR)
        .x_labels(run_count.clamp(2, 10) + 2)
        .y_labels(6)
        .x_label_formatter(format_run)
        .y_label_formatter(measure.format)
        .label_style(text(13))
        .axis_desc_style(text(14))
        .x_desc("completed run")
        .y_desc(measure.description)
        .draw()?;

    if lines.iter().all(|(_, points)| points.is_empty()) {
        let (width, height) = area.dim_in_pixel();
        let center = (
            i32::try_from(width / 2).unwrap_or(0) - 60,
            i32::try_from(height / 2).unwrap_or(0),
        );
        area.draw(&Text::new("no values in any run", center, muted_text(15)))?;
        return Ok(());
    }
    for (color_index, points) in lines {
        if points.is_empty() {
            continue;
        }
        let color = series_color(*color_index);
        chart.draw_series(LineSeries::new(
            points.iter().copied(),
            color.stroke_width(2),
        ))?;
        chart.draw_series(
            points
                .iter()
                .map(|&point| Circle::new(point, 4, color.filled())),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn point(run_id: &str, hour: u32, model: &str, quality: Option<f64>) -> TrendPoint {
        TrendPoint {
            run_id: run_id.to_owned(),
            completed_at: Utc
                .with_ymd_and_hms(2025, 6, 1, hour, 0, 0)
                .single()
                .expect("valid time"),
            model: model.to_owned(),
            mean_quality: quality,
            mean_cost_usd: None,
        }
    }

    #[test]
    fn orders_runs_by_completion_and_models_by_name() {
        let trend = SuiteTrend {
            suite: "s".to_owned(),
            points: vec![
                point("late", 9, "z/model", Some(80.0)),
                point("early", 8, "a/model", Some(70.0)),
                point("early", 8, "z/model", Some(60.0)),
            ],
        };
        let chart = prepare(&trend).expect("drawable");
        assert_eq!(chart.runs[0].0, "early");
        assert_eq!(chart.models, vec!["a/model", "z/model"]);
        let lines = chart.model_lines(|point| point.mean_quality);
        assert_eq!(lines[1].1, vec![(0, 60.0), (1, 80.0)]);
        assert_eq!(chart.run_labels(), vec!["06-01 08:00", "06-01 09:00"]);
    }

    #[test]
    fn refuses_a_suite_without_runs() {
        let trend = SuiteTrend {
            suite: "s".to_owned(),
            points: Vec::new(),
        };
        assert!(matches!(prepare(&trend), Err(ChartError::NoData { .. })));
    }
}
