//! Each renderer draws fixed data into a valid SVG and PNG with the expected series and labels.

use benchhub_benchctl::charts::{self, RunRatings};

use crate::fixtures::{history_fixture, quality_cost_fixture, ratings_fixture, trend_fixture};
use crate::{Svg, assert_file_names, check_png, out_dir};

#[test]
fn history_chart_draws_one_line_per_source_metric_and_a_panel_per_unit() {
    let dir = out_dir("history");
    let history = history_fixture();
    let files = charts::render_model_history(&history, &dir, "history").expect("renders");
    assert_file_names(&files, &dir, "history");

    // Three units (elo, percent, seconds) give three panels of 320 px under a 66 px header.
    let size = (1200, 66 + 3 * 320);
    let colors: Vec<_> = (0..history.series.len()).map(charts::series_rgb).collect();
    check_png(&files.png, size, &colors);

    let svg = Svg::read(&files.svg);
    assert_eq!(svg.size(), size);
    svg.assert_texts(&[
        "Score history: GPT-4o (openai/gpt-4o)",
        "lmarena: text_elo",
        "lmarena: webdev_elo",
        "livebench: coding_average",
        "swebench: resolved",
        "artificialanalysis: ttft_seconds",
        "elo",
        "percent",
        "seconds",
        "2025-06-",
        "snapshot date",
    ]);
    for (index, series) in history.series.iter().enumerate() {
        let color = colors[index];
        // The data line plus the legend line.
        assert_eq!(
            svg.count("polyline", "stroke", color),
            2,
            "{}",
            series.label()
        );
        // One dot per point plus the legend dot.
        assert_eq!(
            svg.count("circle", "fill", color),
            series.points.len() + 1,
            "{}",
            series.label()
        );
    }
}

#[test]
fn suite_trend_chart_draws_quality_and_cost_lines_per_model() {
    let dir = out_dir("suite");
    let trend = trend_fixture();
    let files = charts::render_suite_trend(&trend, &dir, "suite").expect("renders");
    assert_file_names(&files, &dir, "suite");

    let size = (1200, 66 + 2 * 330);
    // Models are coloured by sorted name: anthropic/claude-haiku, fake/small, openai/gpt-4o.
    let colors: Vec<_> = (0..3).map(charts::series_rgb).collect();
    check_png(&files.png, size, &colors);

    let svg = Svg::read(&files.svg);
    assert_eq!(svg.size(), size);
    svg.assert_texts(&[
        "Suite trend: golden-sql",
        "4 completed runs",
        "mean quality (0-100)",
        "mean cost per result (USD)",
        "anthropic/claude-haiku",
        "fake/small",
        "openai/gpt-4o",
        "2025-06-03",
        "2025-06-24",
        "$0.",
    ]);
    for (index, color) in colors.iter().enumerate() {
        // Quality line, cost line and legend line.
        assert_eq!(svg.count("polyline", "stroke", *color), 3, "model {index}");
    }
    // Quality: 4 runs each; cost: 4, 3 (fake/small unpriced in run-d) and 4; plus a legend dot.
    assert_eq!(svg.count("circle", "fill", colors[0]), 4 + 4 + 1);
    assert_eq!(svg.count("circle", "fill", colors[1]), 4 + 3 + 1);
    assert_eq!(svg.count("circle", "fill", colors[2]), 4 + 4 + 1);
}

#[test]
fn quality_cost_chart_marks_and_labels_best_and_cheapest() {
    let dir = out_dir("quality-cost");
    let data = quality_cost_fixture();
    let files = charts::render_run_quality_cost(&data, &dir, "run").expect("renders");
    assert_file_names(&files, &dir, "run");

    let size = (1200, 760);
    // Sorted names: anthropic/claude-haiku, fake/small, fake/unpriced, openai/gpt-4o.
    let placed = [0, 1, 3].map(charts::series_rgb);
    let image = check_png(&files.png, size, &placed);
    let best = (0xd4, 0xa0, 0x17);
    let cheapest = (0x1b, 0x9e, 0x3e);
    assert!(image.count(best) > 30, "best ring missing");
    assert!(image.count(cheapest) > 30, "cheapest ring missing");

    let svg = Svg::read(&files.svg);
    assert_eq!(svg.size(), size);
    svg.assert_texts(&[
        "Quality vs cost: run run-42",
        "openai/gpt-4o (best)",
        "fake/small (cheapest)",
        "anthropic/claude-haiku",
        "best quality: openai/gpt-4o",
        "cheapest: fake/small",
        "not plotted (no quality or no price):",
        "fake/unpriced",
        "total cost in the run (USD)",
        "mean quality (0-100)",
    ]);
    // Each placed model: its point and its legend dot; the unpriced one is only named in the note.
    // Its interval bar: the vertical line and its two caps.
    for color in placed {
        assert_eq!(svg.count("circle", "fill", color), 2);
        assert_eq!(svg.count("polyline", "stroke", color), 3);
    }
    assert_eq!(svg.count("circle", "fill", charts::series_rgb(2)), 0);
    // Rings: around the point and in the legend.
    assert_eq!(svg.count("circle", "stroke", best), 2);
    assert_eq!(svg.count("circle", "stroke", cheapest), 2);
}

#[test]
fn ratings_chart_draws_sorted_error_bars() {
    let dir = out_dir("ratings");
    let data = ratings_fixture();
    let files = charts::render_ratings(&data, &dir, "ratings").expect("renders");
    assert_file_names(&files, &dir, "ratings");

    let size = (1200, 66 + 100 + 3 * 44);
    let colors: Vec<_> = (0..3).map(charts::series_rgb).collect();
    check_png(&files.png, size, &colors);

    let svg = Svg::read(&files.svg);
    assert_eq!(svg.size(), size);
    svg.assert_texts(&[
        "Pairwise ratings: run run-42",
        "1071  [1043, 1105]",
        "985  [950, 1027]",
        "948  [917, 985]",
        "rating (1000 = geometric mean of the field)",
    ]);
    for color in &colors {
        // An error bar is three lines (the bar and two caps) and a dot at the rating.
        assert_eq!(svg.count("line", "stroke", *color), 3);
        assert_eq!(svg.count("circle", "fill", *color), 1);
    }
    // Highest first: the y axis labels read top to bottom in rating order.
    let order: Vec<String> = svg.with(|document| {
        let mut labels: Vec<(f64, String)> = document
            .descendants()
            .filter(|node| node.has_tag_name("text"))
            .filter_map(|node| {
                let text = node.text()?.trim();
                let model = data.ratings.iter().find(|rating| rating.model == text)?;
                let y = node.attribute("y")?.parse().ok()?;
                Some((y, model.model.clone()))
            })
            .collect();
        labels.sort_by(|left, right| left.0.total_cmp(&right.0));
        labels.into_iter().map(|(_, model)| model).collect()
    });
    assert_eq!(
        order,
        ["openai/gpt-4o", "anthropic/claude-haiku", "fake/small"]
    );
}

#[test]
fn empty_data_is_refused_with_a_clear_error() {
    let dir = out_dir("empty");
    let error = charts::render_ratings(
        &RunRatings {
            run: "run-0".to_owned(),
            ratings: Vec::new(),
        },
        &dir,
        "ratings",
    )
    .expect_err("nothing to draw");
    assert_eq!(
        error.to_string(),
        "ratings: nothing to draw: run run-0 has no ratings"
    );
    assert!(!dir.join("ratings.png").exists());
}
