//! Pairwise ratings with their 95% intervals: horizontal error bars, highest rating on top.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    Chart, ChartError, ChartFiles, DrawError, GRID_COLOR, MUTED_COLOR, draw_title, format_number,
    muted_text, padded_range, series_color, shorten, text, write_chart,
};

/// A run's Bradley–Terry ratings.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRatings {
    /// The run's display label.
    pub run: String,
    /// One rating per model, in any order.
    pub ratings: Vec<ModelRatingInterval>,
}

/// One model's rating and its 95% interval.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRatingInterval {
    /// The model.
    pub model: String,
    /// Rating on the Elo-like scale (geometric mean of the field = 1000).
    pub rating: f64,
    /// Lower bound of the 95% interval.
    pub ci_low: f64,
    /// Upper bound of the 95% interval.
    pub ci_high: f64,
}

/// The rating the field's geometric mean maps to; drawn as a reference line.
const REFERENCE_RATING: f64 = 1000.0;
const WIDTH: u32 = 1200;
const HEADER_HEIGHT: u32 = 66;
const AXIS_HEIGHT: u32 = 100;
const ROW_HEIGHT: u32 = 44;

struct RatingsChart<'a> {
    run: &'a str,
    /// Ratings, highest first, with their colour index (the model's position by name).
    sorted: Vec<(&'a ModelRatingInterval, usize)>,
}

/// Renders `ratings` to `<out_dir>/<stem>.svg` and `.png`: one horizontal bar per model from ci_low to
/// ci_high with a dot at the rating, sorted highest first, with a reference line at 1000.
pub fn render_ratings(
    ratings: &RunRatings,
    out_dir: &Path,
    stem: &str,
) -> Result<ChartFiles, ChartError> {
    let chart = prepare(ratings)?;
    write_chart(&chart, out_dir, stem)
}

/// Draws a run's ratings as an SVG document (a string), for inlining in a page.
pub fn ratings_svg(ratings: &RunRatings) -> Result<String, ChartError> {
    let chart = prepare(ratings)?;
    super::svg_string(&chart)
}

fn prepare(ratings: &RunRatings) -> Result<RatingsChart<'_>, ChartError> {
    let mut names: Vec<&str> = ratings
        .ratings
        .iter()
        .map(|rating| rating.model.as_str())
        .collect();
    names.sort_unstable();
    let mut sorted: Vec<(&ModelRatingInterval, usize)> = ratings
        .ratings
        .iter()
        .filter(|rating| {
            rating.rating.is_finite() && rating.ci_low.is_finite() && rating.ci_high.is_finite()
        })
        .map(|rating| {
            let color_index = names
                .iter()
                .position(|name| *name == rating.model)
                .unwrap_or_default();
            (rating, color_index)
        })
        .collect();
    if sorted.is_empty() {
        return Err(ChartError::NoData {
            chart: "ratings",
            reason: format!("run {} has no ratings", ratings.run),
        });
    }
    sorted.sort_by(|left, right| {
        right
            .0
            .rating
            .total_cmp(&left.0.rating)
            .then(left.0.model.cmp(&right.0.model))
    });
    Ok(RatingsChart {
        run: &ratings.run,
        sorted,
    })
}

impl RatingsChart<'_> {
    /// Returns the x range: every interval, padded, with room on the right for the value labels.
    fn x_range(&self) -> (f64, f64) {
        let low = self
            .sorted
            .iter()
            .map(|(rating, _)| rating.ci_low.min(rating.rating))
            .fold(f64::INFINITY, f64::min);
        let high = self
            .sorted
            .iter()
            .map(|(rating, _)| rating.ci_high.max(rating.rating))
            .fold(f64::NEG_INFINITY, f64::max);
        let (low, high) = padded_range(low, high, 0.08, 50.0);
        (low, high + (high - low) * 0.3)
    }

    /// Returns the y position of the `index`-th rating (the highest is on top).
    fn row(&self, index: usize) -> i32 {
        i32::try_from(self.sorted.len() - 1 - index).unwrap_or_default()
    }
}

impl Chart for RatingsChart<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = u32::try_from(self.sorted.len()).unwrap_or(u32::MAX);
        (
            WIDTH,
            (HEADER_HEIGHT + AXIS_HEIGHT).saturating_add(rows.saturating_mul(ROW_HEIGHT)),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let body = draw_title(
            root,
            &format!("Pairwise ratings: run {}", self.run),
            Some("Bradley-Terry rating per model, highest first; bars are 95% bootstrap intervals"),
        )?;
        let rows = i32::try_from(self.sorted.len()).unwrap_or(i32::MAX);
        let (x_low, x_high) = self.x_range();
        let labels: Vec<String> = self
            .sorted
            .iter()
            .rev()
            .map(|(rating, _)| shorten(&rating.model, 36))
            .collect();
        let format_row = |row: &i32| {
            usize::try_from(*row)
                .ok()
                .and_then(|row| labels.get(row).cloned())
                .unwrap_or_default()
        };
        let mut chart = ChartBuilder::on(&body)
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(300)
            .build_cartesian_2d(x_low..x_high, -1..rows)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID_COLOR)
            .disable_y_mesh()
            .x_labels(8)
            .y_labels(self.sorted.len() + 2)
            .x_label_formatter(&|value| format_number(*value))
            .y_label_formatter(&format_row)
            .label_style(text(14))
            .axis_desc_style(text(14))
            .x_desc("rating (1000 = geometric mean of the field)")
            .draw()?;

        if (x_low..x_high).contains(&REFERENCE_RATING) {
            chart.draw_series(DashedLineSeries::new(
                [(REFERENCE_RATING, -1), (REFERENCE_RATING, rows)],
                6,
                5,
                MUTED_COLOR.stroke_width(1),
            ))?;
        }
        for (index, (rating, color_index)) in self.sorted.iter().enumerate() {
            let row = self.row(index);
            let color = series_color(*color_index);
            chart.draw_series(std::iter::once(ErrorBar::new_horizontal(
                row,
                rating.ci_low,
                rating.rating,
                rating.ci_high,
                color.filled().stroke_width(3),
                14,
            )))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((rating.ci_high.max(rating.rating), row))
                    + Text::new(
                        format!(
                            "{:.0}  [{:.0}, {:.0}]",
                            rating.rating, rating.ci_low, rating.ci_high
                        ),
                        (14, -8),
                        muted_text(14),
                    ),
            ))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(model: &str, value: f64) -> ModelRatingInterval {
        ModelRatingInterval {
            model: model.to_owned(),
            rating: value,
            ci_low: value - 20.0,
            ci_high: value + 20.0,
        }
    }

    #[test]
    fn sorts_highest_first_and_puts_it_on_top() {
        let ratings = RunRatings {
            run: "r".to_owned(),
            ratings: vec![
                rating("a", 950.0),
                rating("b", 1050.0),
                rating("c", f64::NAN),
            ],
        };
        let chart = prepare(&ratings).expect("drawable");
        assert_eq!(chart.sorted.len(), 2);
        assert_eq!(chart.sorted[0].0.model, "b");
        assert_eq!(chart.sorted[0].1, 1);
        assert_eq!(chart.row(0), 1);
        let (low, high) = chart.x_range();
        assert!(low < 930.0 && high > 1070.0);
    }

    #[test]
    fn refuses_empty_ratings() {
        let ratings = RunRatings {
            run: "r".to_owned(),
            ratings: Vec::new(),
        };
        assert!(matches!(prepare(&ratings), Err(ChartError::NoData { .. })));
    }
}
