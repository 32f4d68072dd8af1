//! Canonical model ids and prices: what ingest stored (`models`, `model_aliases`, `observations` of
//! category `pricing`) and the operators' `price_overrides`.

use benchhub_common::vocabulary;
use sqlx::{Postgres, Transaction};

use crate::domain::pricing::{PRICE_SOURCES, Price, PriceCandidate, choose_price};
use crate::error::Error;

/// The canonical id and price of a requested model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResolvedPrice {
    /// Canonical catalog id, when the model resolves to one.
    pub canonical_id: Option<String>,
    /// Price, when one is known.
    pub price: Option<Price>,
}

/// Resolves `name` (`provider/model`) to a canonical id and a price. The canonical id is, in order:
/// a catalog id equal to the name or to the provider's model id (e.g. `openrouter/openai/gpt-4o`),
/// an alias of either, or a catalog id equal ignoring case. The price is an override for the name or
/// the canonical id, else the newest ingested price (OpenRouter, then models.dev).
pub async fn resolve(
    transaction: &mut Transaction<'static, Postgres>,
    name: &str,
    provider_model: &str,
) -> Result<ResolvedPrice, Error> {
    let canonical_id = sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM (
             SELECT id, 0 AS priority FROM models WHERE id = $1
             UNION ALL SELECT id, 1 FROM models WHERE id = $2
             UNION ALL SELECT model_id, 2 FROM model_aliases WHERE alias = $1
             UNION ALL SELECT model_id, 3 FROM model_aliases WHERE alias = $2
             UNION ALL SELECT id, 4 FROM models WHERE lower(id) = lower($1)
         ) AS candidates ORDER BY priority, id LIMIT 1"#,
        name,
        provider_model
    )
    .fetch_optional(&mut **transaction)
    .await?;

    let mut override_names = vec![name.to_owned()];
    if let Some(id) = &canonical_id {
        override_names.push(id.clone());
    }
    let overrides: Vec<(String, i64, i64)> = sqlx::query!(
        "SELECT model_id, input_micro_usd_per_mtok, output_micro_usd_per_mtok \
         FROM price_overrides WHERE model_id = ANY($1)",
        &override_names
    )
    .fetch_all(&mut **transaction)
    .await?
    .into_iter()
    .map(|row| {
        (
            row.model_id,
            row.input_micro_usd_per_mtok,
            row.output_micro_usd_per_mtok,
        )
    })
    .collect();
    let chosen_override = override_names
        .iter()
        .find_map(|wanted| overrides.iter().find(|(model, _, _)| model == wanted));
    if let Some((_, input, output)) = chosen_override {
        return Ok(ResolvedPrice {
            canonical_id,
            price: Some(Price::from_override(*input, *output)),
        });
    }

    let names = vec![name.to_owned(), provider_model.to_owned()];
    let rows = sqlx::query!(
        "WITH matching AS ( \
             SELECT source, metric, source_model_name, snapshot_date, value, extra \
             FROM observations \
             WHERE category = $1 AND metric IN ($2, $3) AND source = ANY($4) \
               AND (model_id = $5 OR source_model_name = ANY($6)) \
         ), latest AS ( \
             SELECT source, max(snapshot_date) AS snapshot_date FROM matching GROUP BY source \
         ) \
         SELECT m.source, m.metric, m.source_model_name, m.value, m.extra \
         FROM matching m JOIN latest l USING (source, snapshot_date)",
        vocabulary::PRICING,
        vocabulary::INPUT_PRICE,
        vocabulary::OUTPUT_PRICE,
        PRICE_SOURCES.as_slice() as &[&str],
        canonical_id.as_deref(),
        &names
    )
    .fetch_all(&mut **transaction)
    .await?
    .into_iter()
    .map(|row| {
        (
            row.source,
            row.metric,
            row.source_model_name,
            row.value,
            row.extra,
        )
    });
    let mut candidates: Vec<PriceCandidate> = Vec::new();
    for (source, metric, source_model_name, value, extra) in rows {
        let position = candidates.iter().position(|candidate| {
            candidate.source == source && candidate.source_model_name == source_model_name
        });
        let candidate = match position {
            Some(index) => &mut candidates[index],
            None => {
                candidates.push(PriceCandidate {
                    source: source.clone(),
                    source_model_name: source_model_name.clone(),
                    ..PriceCandidate::default()
                });
                let last = candidates.len() - 1;
                &mut candidates[last]
            }
        };
        if metric == vocabulary::INPUT_PRICE {
            candidate.input = Some(value);
            candidate.input_extra = extra;
        } else {
            candidate.output = Some(value);
            candidate.output_extra = extra;
        }
    }
    Ok(ResolvedPrice {
        price: choose_price(&candidates, name, canonical_id.as_deref()),
        canonical_id,
    })
}
