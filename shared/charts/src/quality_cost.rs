//! Quality against cost per model for one run: a scatter with the 95% interval of each model's mean
//! quality as a vertical bar, and the best (or the models tied for best) and cheapest models marked.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    BEST_COLOR, CHEAPEST_COLOR, Chart, ChartError, ChartFiles, DrawError, GRID_COLOR, LegendEntry,
    LegendMarker, MUTED_COLOR, draw_legend, draw_title, format_number, format_usd, muted_text,
    series_color, shorten, text, write_chart,
};

/// One run's per-model quality and cost.
#[derive(Debug, Clone, PartialEq)]
pub struct RunQualityCost {
    /// The run's display label (its id, or its label).
    pub run: String,
    /// One entry per model of the run.
    pub models: Vec<ModelQualityCost>,
    /// Model significantly ahead of every other, as reported by the runner.
    pub best_model: Option<String>,
    /// Models the data cannot tell apart from the leader (one when a best model is named).
    pub tied_for_best: Vec<String>,
    /// Model with the lowest total cost among fully priced models, as reported by the runner.
    pub cheapest_model: Option<String>,
}

/// One model's quality and cost in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelQualityCost {
    /// The model ("provider/model").
    pub model: String,
    /// Mean quality, 0–100; absent when ungraded.
    pub mean_quality: Option<f64>,
    /// Total cost of the model's results in USD; absent when unpriced.
    pub total_cost_usd: Option<f64>,
    /// 95% interval of the mean quality (bootstrap over cases); absent with fewer than two cases.
    pub quality_interval: Option<(f64, f64)>,
}

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 760;
const LEGEND_WIDTH: u32 = 360;

/// A model with both coordinates, and its colour index.
struct PlottedModel<'a> {
    model: &'a str,
    cost: f64,
    quality: f64,
    interval: Option<(f64, f64)>,
    color_index: usize,
}

struct QualityCostChart<'a> {
    data: &'a RunQualityCost,
    /// Models with both coordinates; colours are indexes into every model sorted by name.
    plotted: Vec<PlottedModel<'a>>,
    /// Models lacking a quality or a cost, which cannot be placed.
    unplotted: Vec<&'a str>,
}

/// Renders `data` to `<out_dir>/<stem>.svg` and `.png`: one labelled point per model (x = total
/// cost, y = mean quality), rings around the best and the cheapest model, and a dashed line along the
/// models no other model beats on both quality and cost.
pub fn render_run_quality_cost(
    data: &RunQualityCost,
    out_dir: &Path,
    stem: &str,
) -> Result<ChartFiles, ChartError> {
    let chart = prepare(data)?;
    write_chart(&chart, out_dir, stem)
}

/// Draws a run's quality against cost as an SVG document (a string), for inlining in a page.
pub fn run_quality_cost_svg(data: &RunQualityCost) -> Result<String, ChartError> {
    let chart = prepare(data)?;
    super::svg_string(&chart)
}

fn prepare(data: &RunQualityCost) -> Result<QualityCostChart<'_>, ChartError> {
    let mut models: Vec<&str> = data
        .models
        .iter()
        .map(|entry| entry.model.as_str())
        .collect();
    models.sort_unstable();
    models.dedup();
    let mut plotted = Vec::new();
    let mut unplotted = Vec::new();
    for entry in &data.models {
        let quality = entry.mean_quality.filter(|value| value.is_finite());
        let cost = entry.total_cost_usd.filter(|value| value.is_finite());
        match (quality, cost) {
            (Some(quality), Some(cost)) => plotted.push(PlottedModel {
                model: &entry.model,
                cost,
                quality,
                interval: entry
                    .quality_interval
                    .filter(|(low, high)| low.is_finite() && high.is_finite() && low <= high),
                color_index: models
                    .iter()
                    .position(|model| *model == entry.model)
                    .unwrap_or_default(),
            }),
            _ => unplotted.push(entry.model.as_str()),
        }
    }
    if plotted.is_empty() {
        return Err(ChartError::NoData {
            chart: "quality vs cost",
            reason: format!(
                "run {} has no model with both a mean quality and a known cost",
                data.run
            ),
        });
    }
    Ok(QualityCostChart {
        data,
        plotted,
        unplotted,
    })
}

impl QualityCostChart<'_> {
    fn is_best(&self, model: &str) -> bool {
        self.data.best_model.as_deref() == Some(model)
    }

    fn is_cheapest(&self, model: &str) -> bool {
        self.data.cheapest_model.as_deref() == Some(model)
    }

    /// Tied for best without a named best model: the data cannot tell these apart.
    fn is_tied(&self, model: &str) -> bool {
        self.data.best_model.is_none()
            && self.data.tied_for_best.len() > 1
            && self.data.tied_for_best.iter().any(|tied| tied == model)
    }

    fn point_label(&self, model: &str) -> String {
        let model_label = shorten(model, 32);
        let mut marks = Vec::new();
        if self.is_best(model) {
            marks.push("best");
        }
        if self.is_tied(model) {
            marks.push("tied for best");
        }
        if self.is_cheapest(model) {
            marks.push("cheapest");
        }
        if marks.is_empty() {
            model_label
        } else {
            format!("{model_label} ({})", marks.join(", "))
        }
    }

    /// Returns the models no other model beats on both axes, by ascending cost.
    fn frontier(&self) -> Vec<(f64, f64)> {
        let mut points: Vec<(f64, f64)> = self
            .plotted
            .iter()
            .map(|model| (model.cost, model.quality))
            .collect();
        points.sort_by(|left, right| left.0.total_cmp(&right.0).then(right.1.total_cmp(&left.1)));
        let mut frontier: Vec<(f64, f64)> = Vec::new();
        for point in points {
            if frontier.last().is_none_or(|last| point.1 > last.1) {
                frontier.push(point);
            }
        }
        frontier
    }
}

impl Chart for QualityCostChart<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let body = draw_title(
            root,
            &format!("Quality vs cost: run {}", self.data.run),
            Some(
                "One point per model: total cost (x) and mean quality (y); up and left is better; bars \
                 are 95% intervals of the mean quality; the dashed line joins the models no other \
                 model beats on both",
            ),
        )?;
        let (plot_area, legend_area) = body.split_horizontally(WIDTH - LEGEND_WIDTH);

        let largest_cost = self
            .plotted
            .iter()
            .map(|model| model.cost)
            .fold(0.0_f64, f64::max);
        // Room on the right for the point labels.
        let x_high = if largest_cost > 0.0 {
            largest_cost * 1.35
        } else {
            1.0
        };
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..x_high, 0.0..110.0)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID_COLOR)
            .x_labels(7)
            .y_labels(6)
            .x_label_formatter(&|value| format_usd(*value))
            .y_label_formatter(&|value| format_number(*value))
            .label_style(text(13))
            .axis_desc_style(text(14))
            .x_desc("total cost in the run (USD)")
            .y_desc("mean quality (0-100)")
            .draw()?;

        let frontier = self.frontier();
        if frontier.len() >= 2 {
            chart.draw_series(DashedLineSeries::new(
                frontier,
                8,
                6,
                MUTED_COLOR.mix(0.6).stroke_width(1),
            ))?;
        }
        for model in &self.plotted {
            let coordinate = (model.cost, model.quality);
            if let Some((low, high)) = model.interval {
                let style = series_color(model.color_index).stroke_width(2);
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![
                        (model.cost, low.clamp(0.0, 110.0)),
                        (model.cost, high.clamp(0.0, 110.0)),
                    ],
                    style,
                )))?;
                for end in [low, high] {
                    chart.draw_series(std::iter::once(
                        EmptyElement::at((model.cost, end.clamp(0.0, 110.0)))
                            + PathElement::new(vec![(-6, 0), (6, 0)], style),
                    ))?;
                }
            }
            if self.is_cheapest(model.model) {
                chart.draw_series(std::iter::once(Circle::new(
                    coordinate,
                    16,
                    CHEAPEST_COLOR.stroke_width(3),
                )))?;
            }
            if self.is_best(model.model) {
                chart.draw_series(std::iter::once(Circle::new(
                    coordinate,
                    12,
                    BEST_COLOR.stroke_width(3),
                )))?;
            }
            chart.draw_series(std::iter::once(Circle::new(
                coordinate,
                7,
                series_color(model.color_index).filled(),
            )))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at(coordinate)
                    + Text::new(self.point_label(model.model), (20, -8), text(14)),
            ))?;
        }

        let mut entries: Vec<LegendEntry> = self
            .plotted
            .iter()
            .map(|model| LegendEntry {
                label: model.model.to_owned(),
                color: series_color(model.color_index),
                marker: LegendMarker::Dot,
            })
            .collect();
        if let Some(best) = &self.data.best_model {
            entries.push(LegendEntry {
                label: format!("best quality: {best}"),
                color: BEST_COLOR,
                marker: LegendMarker::Ring,
            });
        } else if self.data.tied_for_best.len() > 1 {
            entries.push(LegendEntry {
                label: format!(
                    "no best: {} tied (no significant difference)",
                    self.data.tied_for_best.len()
                ),
                color: MUTED_COLOR,
                marker: LegendMarker::Ring,
            });
        }
        if let Some(cheapest) = &self.data.cheapest_model {
            entries.push(LegendEntry {
                label: format!("cheapest: {cheapest}"),
                color: CHEAPEST_COLOR,
                marker: LegendMarker::Ring,
            });
        }
        let legend_area = legend_area.margin(24, 0, 0, 0);
        draw_legend(&legend_area, "models", &entries)?;
        if !self.unplotted.is_empty() {
            let entry_count = i32::try_from(entries.len()).unwrap_or(i32::MAX);
            let mut y = 14 + 24 + 22 * entry_count + 8;
            legend_area.draw(&Text::new(
                "not plotted (no quality or no price):",
                (8, y),
                muted_text(13),
            ))?;
            for model in &self.unplotted {
                y += 18;
                legend_area.draw(&Text::new(shorten(model, 44), (16, y), muted_text(13)))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(model: &str, quality: Option<f64>, cost: Option<f64>) -> ModelQualityCost {
        ModelQualityCost {
            model: model.to_owned(),
            mean_quality: quality,
            total_cost_usd: cost,
            quality_interval: quality.map(|quality| (quality - 5.0, quality + 5.0)),
        }
    }

    fn data(models: Vec<ModelQualityCost>) -> RunQualityCost {
        RunQualityCost {
            run: "r".to_owned(),
            models,
            best_model: Some("b/best".to_owned()),
            tied_for_best: vec!["b/best".to_owned()],
            cheapest_model: Some("c/cheap".to_owned()),
        }
    }

    #[test]
    fn splits_plotted_from_unplotted_models() {
        let data = data(vec![
            entry("b/best", Some(90.0), Some(2.0)),
            entry("c/cheap", Some(60.0), Some(0.5)),
            entry("u/unpriced", Some(70.0), None),
        ]);
        let chart = prepare(&data).expect("drawable");
        assert_eq!(chart.plotted.len(), 2);
        assert_eq!(chart.unplotted, vec!["u/unpriced"]);
        assert_eq!(chart.plotted[1].color_index, 1);
        assert_eq!(chart.point_label("b/best"), "b/best (best)");
        assert_eq!(chart.point_label("c/cheap"), "c/cheap (cheapest)");
        assert_eq!(chart.plotted[0].interval, Some((85.0, 95.0)));
    }

    #[test]
    fn tied_models_are_marked_when_no_best_is_named() {
        let mut data = data(vec![
            entry("b/best", Some(90.0), Some(2.0)),
            entry("c/cheap", Some(88.0), Some(0.5)),
        ]);
        data.best_model = None;
        data.tied_for_best = vec!["b/best".to_owned(), "c/cheap".to_owned()];
        let chart = prepare(&data).expect("drawable");
        assert_eq!(chart.point_label("b/best"), "b/best (tied for best)");
        assert_eq!(
            chart.point_label("c/cheap"),
            "c/cheap (tied for best, cheapest)"
        );
    }

    #[test]
    fn frontier_keeps_only_undominated_models() {
        let data = data(vec![
            entry("a", Some(50.0), Some(1.0)),
            entry("b", Some(40.0), Some(2.0)),
            entry("c", Some(80.0), Some(3.0)),
        ]);
        let chart = prepare(&data).expect("drawable");
        assert_eq!(chart.frontier(), vec![(1.0, 50.0), (3.0, 80.0)]);
    }

    #[test]
    fn refuses_a_run_without_placeable_models() {
        let data = data(vec![entry("a", None, Some(1.0))]);
        assert!(matches!(prepare(&data), Err(ChartError::NoData { .. })));
    }
}
