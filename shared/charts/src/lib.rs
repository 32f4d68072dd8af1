//! Charts rendered from plain Rust data, each written as both an SVG and a PNG file (benchctl) or
//! returned as an SVG string to inline in a page (the console).
//!
//! The renderers know nothing about protobuf: [`proto`] converts RPC answers into the structs here. Text is measured and drawn with a font bundled in the binary (Ubuntu Light from
//! `epaint_default_fonts`, registered with plotters' `ab_glyph` support; PNG glyphs are placed by
//! `glyphs`), so charts render the same on a machine without any system fonts or fontconfig.

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

mod glyphs;
mod history;
pub mod proto;
mod quality_cost;
mod ratings;
mod suite_trend;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

pub use history::{
    HistoryPoint, HistorySeries, ModelHistory, model_history_svg, render_model_history,
};
pub use quality_cost::{
    ModelQualityCost, RunQualityCost, render_run_quality_cost, run_quality_cost_svg,
};
pub use ratings::{ModelRatingInterval, RunRatings, ratings_svg, render_ratings};
pub use suite_trend::{SuiteTrend, TrendPoint, render_suite_trend, suite_trend_svg};

/// The font every chart is drawn with: Ubuntu Light (Ubuntu Font Licence 1.0), bundled by
/// `epaint_default_fonts`.
const BUNDLED_FONT: &[u8] = epaint_default_fonts::UBUNTU_LIGHT;

/// Font family name under which the bundled font is registered (plotters' default family).
const FONT_FAMILY: &str = "sans-serif";

/// Series colours (the Tableau 10 palette): distinct, readable on white, colour-blind friendlier
/// than plotters' defaults.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// Colour of the "best" marker.
const BEST_COLOR: RGBColor = RGBColor(0xd4, 0xa0, 0x17);
/// Colour of the "cheapest" marker.
const CHEAPEST_COLOR: RGBColor = RGBColor(0x1b, 0x9e, 0x3e);
/// Colour of secondary text and reference lines.
const MUTED_COLOR: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Colour of the grid lines.
const GRID_COLOR: RGBColor = RGBColor(0xe6, 0xe6, 0xe6);

/// The two files written for one chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFiles {
    /// Path of the SVG file.
    pub svg: PathBuf,
    /// Path of the PNG file.
    pub png: PathBuf,
}

/// Why a chart could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The data holds nothing that can be drawn.
    #[error("{chart}: nothing to draw: {reason}")]
    NoData {
        /// Which chart.
        chart: &'static str,
        /// What is missing.
        reason: String,
    },
    /// The output directory could not be created.
    #[error("cannot create directory {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Drawing or encoding a file failed.
    #[error("cannot write chart {path}: {message}")]
    Draw {
        /// The file being written.
        path: PathBuf,
        /// What plotters reported.
        message: String,
    },
    /// The bundled font could not be parsed.
    #[error("the bundled chart font could not be loaded")]
    Font,
}

/// A drawing failure inside a backend, before the file path is known.
#[derive(Debug)]
struct DrawError(String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawError {
    fn from(error: DrawingAreaErrorKind<E>) -> Self {
        Self(error.to_string())
    }
}

/// A chart that can be drawn on any plotters backend.
trait Chart {
    /// Size in pixels of both files.
    fn size(&self) -> (u32, u32);
    /// Draws the chart onto a white root area.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError>;
}

/// Registers the bundled font once per process.
fn register_fonts() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = *REGISTERED.get_or_init(|| {
        // Every family plotters might ask for maps onto the bundled font.
        [FONT_FAMILY, "serif", "monospace"]
            .iter()
            .all(|family| register_font(family, FontStyle::Normal, BUNDLED_FONT).is_ok())
    });
    if registered {
        Ok(())
    } else {
        Err(ChartError::Font)
    }
}

/// Draws `chart` into `<out_dir>/<stem>.svg` and `<out_dir>/<stem>.png`, creating `out_dir`.
fn write_chart<C: Chart>(chart: &C, out_dir: &Path, stem: &str) -> Result<ChartFiles, ChartError> {
    register_fonts()?;
    std::fs::create_dir_all(out_dir).map_err(|source| ChartError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let files = ChartFiles {
        svg: out_dir.join(format!("{stem}.svg")),
        png: out_dir.join(format!("{stem}.png")),
    };
    let size = chart.size();
    let draw_error = |path: &Path| {
        let path = path.to_path_buf();
        move |DrawError(message)| ChartError::Draw { path, message }
    };

    let svg = SVGBackend::new(&files.svg, size).into_drawing_area();
    paint(chart, &svg).map_err(draw_error(&files.svg))?;
    drop(svg);

    let bitmap = BitMapBackend::new(&files.png, size);
    let png = glyphs::GlyphText::new(bitmap, BUNDLED_FONT)
        .ok_or(ChartError::Font)?
        .into_drawing_area();
    paint(chart, &png).map_err(draw_error(&files.png))?;
    drop(png);
    Ok(files)
}

/// Draws `chart` as an SVG document in memory, for inlining in HTML.
fn svg_string<C: Chart>(chart: &C) -> Result<String, ChartError> {
    register_fonts()?;
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
        paint(chart, &area).map_err(|DrawError(message)| ChartError::Draw {
            path: PathBuf::from("(inline svg)"),
            message,
        })?;
    }
    Ok(svg)
}

fn paint<C: Chart, DB: DrawingBackend>(
    chart: &C,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError> {
    root.fill(&WHITE)?;
    chart.draw(root)?;
    root.present()?;
    Ok(())
}

/// Returns the colour of the series at `index`, cycling through the palette.
fn series_color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// Returns the RGB colour of the series (or model) at colour `index`, as drawn in every chart:
/// series are coloured in order of appearance (history) or by sorted model name (the other charts).
pub fn series_rgb(index: usize) -> (u8, u8, u8) {
    series_color(index).rgb()
}

/// Returns the chart text style at `size` pixels.
fn text(size: u32) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&BLACK)
}

/// Returns muted (grey) text at `size` pixels.
fn muted_text(size: u32) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&MUTED_COLOR)
}

/// Draws a title line at the top of `area` and returns the area below it.
fn draw_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: Option<&str>,
) -> Result<DrawingArea<DB, Shift>, DrawError> {
    area.draw(&Text::new(title.to_owned(), (16, 12), text(22)))?;
    let mut height = 44;
    if let Some(subtitle) = subtitle {
        area.draw(&Text::new(subtitle.to_owned(), (16, 40), muted_text(15)))?;
        height = 66;
    }
    Ok(area.split_vertically(height).1)
}

/// One legend entry: a label and its colour.
struct LegendEntry {
    label: String,
    color: RGBColor,
    marker: LegendMarker,
}

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
enum LegendMarker {
    /// A short line with a dot, for line series.
    Line,
    /// A filled dot, for scatter points.
    Dot,
    /// A ring, for highlighted points.
    Ring,
}

/// Draws a vertical legend at the top left of `area` (typically a column right of the plot).
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heading: &str,
    entries: &[LegendEntry],
) -> Result<(), DrawError> {
    let left = 8;
    let mut y = 14;
    if !heading.is_empty() {
        area.draw(&Text::new(heading.to_owned(), (left, y - 7), text(15)))?;
        y += 24;
    }
    for entry in entries {
        let style = entry.color.stroke_width(2);
        match entry.marker {
            LegendMarker::Line => {
                area.draw(&PathElement::new(
                    vec![(left, y), (left + 26, y)],
                    entry.color.stroke_width(3),
                ))?;
                area.draw(&Circle::new((left + 13, y), 3, entry.color.filled()))?;
            }
            LegendMarker::Dot => {
                area.draw(&Circle::new((left + 13, y), 5, entry.color.filled()))?;
            }
            LegendMarker::Ring => {
                area.draw(&Circle::new((left + 13, y), 9, style))?;
            }
        }
        area.draw(&Text::new(
            shorten(&entry.label, 44),
            (left + 36, y - 8),
            text(14),
        ))?;
        y += 22;
    }
    Ok(())
}

/// Cuts `label` to at most `max_chars` characters, ending with an ellipsis when cut.
fn shorten(label: &str, max_chars: usize) -> String {
    if label.chars().count() <= max_chars {
        return label.to_owned();
    }
    let mut short: String = label.chars().take(max_chars.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// Formats an axis value with at most four significant digits and no trailing zeros.
fn format_number(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return "0".to_owned();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(0, 12) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// Formats a USD amount for axes and labels, e.g. `$0.0042`, `$1.25`.
fn format_usd(value: f64) -> String {
    format!("${}", format_number(value))
}

/// Returns `(low, high)` padded by `fraction` of the span, or by `fallback` around a single value.
fn padded_range(low: f64, high: f64, fraction: f64, fallback: f64) -> (f64, f64) {
    let span = high - low;
    if span <= f64::EPSILON * high.abs().max(1.0) {
        return (low - fallback, high + fallback);
    }
    (low - span * fraction, high + span * fraction)
}

/// Returns a file name stem made of lowercase ASCII letters, digits and single dashes.
pub fn file_stem(text: &str) -> String {
    let mut stem = String::with_capacity(text.len());
    for character in text.chars() {
        if character.is_ascii_alphanumeric() {
            stem.push(character.to_ascii_lowercase());
        } else if !stem.ends_with('-') {
            stem.push('-');
        }
    }
    let stem = stem.trim_matches('-');
    if stem.is_empty() {
        "chart".to_owned()
    } else {
        stem.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_with_four_significant_digits() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(1250.0), "1250");
        assert_eq!(format_number(12.5), "12.5");
        assert_eq!(format_number(0.000_42), "0.00042");
        assert_eq!(format_number(-3.0), "-3");
        assert_eq!(format_usd(0.001_234_56), "$0.001235");
    }

    #[test]
    fn makes_safe_file_stems() {
        assert_eq!(file_stem("openai/GPT-4o"), "openai-gpt-4o");
        assert_eq!(file_stem("  a  b "), "a-b");
        assert_eq!(file_stem("///"), "chart");
    }

    #[test]
    fn shortens_long_labels() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten("abcdefgh", 5), "abcd…");
    }

    #[test]
    fn pads_ranges() {
        assert_eq!(padded_range(0.0, 10.0, 0.1, 1.0), (-1.0, 11.0));
        assert_eq!(padded_range(5.0, 5.0, 0.1, 1.0), (4.0, 6.0));
    }

    #[test]
    fn registers_the_bundled_font() {
        register_fonts().expect("font registers");
        register_fonts().expect("registering twice is harmless");
    }
}
