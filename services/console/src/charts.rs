//! Inline SVG charts, drawn by the same code as `benchctl chart` (benchhub-charts).

use benchhub_proto::pb;

/// A model's history as an SVG document, or `None` when there is nothing to draw.
pub fn history_svg(history: &pb::GetModelHistoryResponse) -> Option<String> {
    let requested = history
        .model
        .as_ref()
        .map(|model| model.id.clone())
        .unwrap_or_default();
    let data = benchhub_charts::proto::history_from_proto(&requested, history.clone()).ok()?;
    let svg = benchhub_charts::model_history_svg(&data).ok()?;
    Some(strip_prolog(svg))
}

/// Drops an XML declaration, which must not appear inside HTML.
pub fn strip_prolog(svg: String) -> String {
    match svg.strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map(|(_, body)| body.trim_start().to_owned())
            .unwrap_or(svg),
        None => svg,
    }
}
