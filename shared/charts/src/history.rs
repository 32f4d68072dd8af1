//! A model's score history: one line per (source, metric), x = snapshot date, one panel per unit.

use std::path::Path;

use chrono::{Datelike as _, NaiveDate};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    Chart, ChartError, ChartFiles, DrawError, GRID_COLOR, LegendEntry, LegendMarker, draw_legend,
    draw_title, format_number, padded_range, series_color, text, write_chart,
};

/// The history of one model's metrics, as returned by the rankings service.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelHistory {
    /// The model's display label, e.g. "GPT-4o (openai/gpt-4o)".
    pub model: String,
    /// One series per (source, category, metric).
    pub series: Vec<HistorySeries>,
}

/// The history of one metric from one source.
#[derive(Debug, Clone, PartialEq)]
pub struct HistorySeries {
    /// Source name, e.g. "lmarena".
    pub source: String,
    /// Observation category, e.g. "arena".
    pub category: String,
    /// Metric name, e.g. "text_elo".
    pub metric: String,
    /// Unit of the values, e.g. "elo"; empty when dimensionless. Series sharing a unit share a panel.
    pub unit: String,
    /// Points in any order; non-finite values are skipped.
    pub points: Vec<HistoryPoint>,
}

/// One snapshot of a metric.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPoint {
    /// Snapshot date.
    pub date: NaiveDate,
    /// Value as published upstream.
    pub value: f64,
    /// Lower bound of the published 95% interval, if any.
    pub ci_low: Option<f64>,
    /// Upper bound of the published 95% interval, if any.
    pub ci_high: Option<f64>,
}

impl HistorySeries {
    /// Returns the legend label: "source: metric".
    pub fn label(&self) -> String {
        format!("{}: {}", self.source, self.metric)
    }
}

const WIDTH: u32 = 1200;
const LEGEND_WIDTH: u32 = 380;
/// Minimum height of one panel; panels with long legends grow (see [`Panel::height`]).
const PANEL_HEIGHT: u32 = 320;
/// Height of one legend row, and room for the legend heading.
const LEGEND_ROW_HEIGHT: u32 = 22;
const LEGEND_HEADING_HEIGHT: u32 = 70;
const HEADER_HEIGHT: u32 = 66;

/// A series ready to draw: drawable points sorted by date and a colour index unique in the chart.
struct PreparedSeries<'a> {
    label: String,
    color_index: usize,
    points: Vec<&'a HistoryPoint>,
}

/// Series sharing one unit.
struct Panel<'a> {
    unit: &'a str,
    series: Vec<PreparedSeries<'a>>,
}

struct HistoryChart<'a> {
    history: &'a ModelHistory,
    panels: Vec<Panel<'a>>,
    first_day: i32,
    last_day: i32,
}

/// Renders `history` to `<out_dir>/<stem>.svg` and `.png`.
///
/// Series are grouped into one panel per unit (an Elo rating and a percentage do not share an axis);
/// each series keeps one colour across the chart. Published 95% intervals are drawn as error bars.
pub fn render_model_history(
    history: &ModelHistory,
    out_dir: &Path,
    stem: &str,
) -> Result<ChartFiles, ChartError> {
    let chart = prepare(history)?;
    write_chart(&chart, out_dir, stem)
}

/// Draws the model history as an SVG document (a string), for inlining in a page.
pub fn model_history_svg(history: &ModelHistory) -> Result<String, ChartError> {
    let chart = prepare(history)?;
    super::svg_string(&chart)
}

fn prepare(history: &ModelHistory) -> Result<HistoryChart<'_>, ChartError> {
    let mut panels: Vec<Panel<'_>> = Vec::new();
    let mut color_index = 0;
    for series in &history.series {
        let mut points: Vec<&HistoryPoint> = series
            .points
            .iter()
            .filter(|point| point.value.is_finite())
            .collect();
        if points.is_empty() {
            continue;
        }
        points.sort_by_key(|point| point.date);
        let duplicate_label = history.series.iter().any(|other| {
            !std::ptr::eq(other, series)
                && other.source == series.source
                && other.metric == series.metric
        });
        let label = if duplicate_label {
            format!("{}: {}.{}", series.source, series.category, series.metric)
        } else {
            series.label()
        };
        let prepared = PreparedSeries {
            label,
            color_index,
            points,
        };
        color_index += 1;
        match panels.iter_mut().find(|panel| panel.unit == series.unit) {
            Some(panel) => panel.series.push(prepared),
            None => panels.push(Panel {
                unit: &series.unit,
                series: vec![prepared],
            }),
        }
    }
    let days = panels
        .iter()
        .flat_map(|panel| &panel.series)
        .flat_map(|series| &series.points)
        .map(|point| point.date.num_days_from_ce());
    let (Some(first_day), Some(last_day)) = (days.clone().min(), days.max()) else {
        return Err(ChartError::NoData {
            chart: "model history",
            reason: format!("{} has no data points", history.model),
        });
    };
    Ok(HistoryChart {
        history,
        panels,
        first_day,
        last_day,
    })
}

fn format_day(day: &i32) -> String {
    NaiveDate::from_num_days_from_ce_opt(*day)
        .map(|date| date.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn format_value(value: &f64) -> String {
    format_number(*value)
}

fn unit_title(unit: &str) -> &str {
    if unit.is_empty() { "value" } else { unit }
}

impl Panel<'_> {
    /// Returns the panel's height: the minimum, or more when its legend needs it.
    fn height(&self) -> u32 {
        let rows = u32::try_from(self.series.len()).unwrap_or(u32::MAX);
        PANEL_HEIGHT
            .max(LEGEND_HEADING_HEIGHT.saturating_add(rows.saturating_mul(LEGEND_ROW_HEIGHT)))
    }
}

impl Chart for HistoryChart<'_> {
    fn size(&self) -> (u32, u32) {
        let panels = self
            .panels
            .iter()
            .fold(0_u32, |total, panel| total.saturating_add(panel.height()));
        (WIDTH, HEADER_HEIGHT.saturating_add(panels))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let body = draw_title(
            root,
            &format!("Score history: {}", self.history.model),
            Some(
                "One line per source and metric by snapshot date; bars are published 95% intervals",
            ),
        )?;
        let mut panel_areas = Vec::with_capacity(self.panels.len());
        let mut rest = body;
        for panel in &self.panels {
            let (area, below) = rest.split_vertically(panel.height());
            panel_areas.push(area);
            rest = below;
        }
        // One day of padding on each side keeps single-date series off the frame.
        let x_range = (self.first_day - 1)..(self.last_day + 1);
        for (panel, area) in self.panels.iter().zip(&panel_areas) {
            let (plot_area, legend_area) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
            draw_panel(panel, &plot_area, x_range.clone())?;
            let entries: Vec<LegendEntry> = panel
                .series
                .iter()
                .map(|series| LegendEntry {
                    label: series.label.clone(),
                    color: series_color(series.color_index),
                    marker: LegendMarker::Line,
                })
                .collect();
            draw_legend(
                &legend_area.margin(24, 0, 0, 0),
                unit_title(panel.unit),
                &entries,
            )?;
        }
        Ok(())
    }
}

fn draw_panel<DB: DrawingBackend>(
    panel: &Panel<'_>,
    area: &DrawingArea<DB, Shift>,
    x_range: std::ops::Range<i32>,
) -> Result<(), DrawError> {
    let values = panel
        .series
        .iter()
        .flat_map(|series| &series.points)
        .flat_map(|point| [Some(point.value), point.ci_low, point.ci_high])
        .flatten()
        .filter(|value| value.is_finite());
    let low = values.clone().fold(f64::INFINITY, f64::min);
    let high = values.fold(f64::NEG_INFINITY, f64::max);
    let (y_low, y_high) = padded_range(low, high, 0.08, (high.abs() * 0.05).max(1.0));

    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(80)
        .build_cartesian_2d(x_range, y_low..y_high)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID_COLOR)
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&format_day)
        .y_label_formatter(&format_value)
        .label_style(text(13))
        .axis_desc_style(text(14))
        .x_desc("snapshot date")
        .y_desc(unit_title(panel.unit))
        .draw()?;

    for series in &panel.series {
        let color = series_color(series.color_index);
        let coordinates: Vec<(i32, f64)> = series
            .points
            .iter()
            .map(|point| (point.date.num_days_from_ce(), point.value))
            .collect();
        chart.draw_series(LineSeries::new(
            coordinates.iter().copied(),
            color.stroke_width(2),
        ))?;
        chart.draw_series(series.points.iter().filter_map(|point| {
            match (point.ci_low, point.ci_high) {
                (Some(low), Some(high)) if low.is_finite() && high.is_finite() => {
                    Some(ErrorBar::new_vertical(
                        point.date.num_days_from_ce(),
                        low,
                        point.value,
                        high,
                        color.mix(0.6).stroke_width(1),
                        8,
                    ))
                }
                _ => None,
            }
        }))?;
        chart.draw_series(
            coordinates
                .iter()
                .map(|&coordinate| Circle::new(coordinate, 4, color.filled())),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, day).expect("valid date")
    }

    fn series(source: &str, metric: &str, unit: &str, days: &[u32]) -> HistorySeries {
        HistorySeries {
            source: source.to_owned(),
            category: "arena".to_owned(),
            metric: metric.to_owned(),
            unit: unit.to_owned(),
            points: days
                .iter()
                .map(|&day| HistoryPoint {
                    date: date(day),
                    value: f64::from(day),
                    ci_low: None,
                    ci_high: None,
                })
                .collect(),
        }
    }

    #[test]
    fn groups_series_into_one_panel_per_unit() {
        let history = ModelHistory {
            model: "m".to_owned(),
            series: vec![
                series("a", "x", "elo", &[3, 1]),
                series("b", "y", "percent", &[2]),
                series("c", "z", "elo", &[5]),
                series("d", "empty", "elo", &[]),
            ],
        };
        let chart = prepare(&history).expect("drawable");
        assert_eq!(chart.panels.len(), 2);
        assert_eq!(chart.panels[0].unit, "elo");
        assert_eq!(chart.panels[0].series.len(), 2);
        assert_eq!(chart.panels[0].series[0].points[0].date, date(1));
        assert_eq!(chart.panels[1].series[0].color_index, 1);
        assert_eq!(chart.first_day, date(1).num_days_from_ce());
        assert_eq!(chart.last_day, date(5).num_days_from_ce());
    }

    #[test]
    fn grows_panels_whose_legend_is_long() {
        let many: Vec<HistorySeries> = (0..20)
            .map(|index| series("s", &format!("m{index}"), "elo", &[1]))
            .collect();
        let history = ModelHistory {
            model: "m".to_owned(),
            series: many,
        };
        let chart = prepare(&history).expect("drawable");
        assert_eq!(chart.panels[0].height(), 70 + 20 * 22);
        assert_eq!(chart.size(), (WIDTH, HEADER_HEIGHT + 70 + 20 * 22));
    }

    #[test]
    fn disambiguates_labels_by_category() {
        let mut other = series("a", "x", "elo", &[1]);
        other.category = "coding".to_owned();
        let history = ModelHistory {
            model: "m".to_owned(),
            series: vec![series("a", "x", "elo", &[1]), other],
        };
        let chart = prepare(&history).expect("drawable");
        assert_eq!(chart.panels[0].series[0].label, "a: arena.x");
        assert_eq!(chart.panels[0].series[1].label, "a: coding.x");
    }

    #[test]
    fn refuses_a_history_without_points() {
        let history = ModelHistory {
            model: "m".to_owned(),
            series: vec![series("a", "x", "elo", &[])],
        };
        assert!(matches!(prepare(&history), Err(ChartError::NoData { .. })));
    }
}
