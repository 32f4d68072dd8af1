//! CSV export of ranked rows: RFC 4180 (via the `csv` crate), UTF-8, CRLF line ends, a header row, every
//! score and every metric column, cut into chunks of whole rows.

use std::sync::Arc;

use chrono::NaiveDate;

use super::catalog::{Catalog, Entry};
use super::query::RankedRow;

/// Largest chunk, in bytes (a single longer row still goes out alone).
pub const MAX_CHUNK_BYTES: usize = 64 * 1024;

/// The fixed columns, before one column per metric.
pub const FIXED_COLUMNS: [&str; 33] = [
    "rank",
    "previous_rank",
    "rank_change",
    "new_entry",
    "id",
    "display_name",
    "creator",
    "family",
    "release_date",
    "context_length",
    "open_weights",
    "tier",
    "overall_score",
    "coding_score",
    "coding_benchmarks",
    "performance_score",
    "value_score",
    "components_used",
    "input_usd_per_mtok",
    "output_usd_per_mtok",
    "free",
    "free_variant_available",
    "price_source",
    "ttft_seconds",
    "tokens_per_second",
    "quality_index",
    "performance_tier",
    "freshness_benchmarks",
    "freshness_performance",
    "freshness_pricing",
    "freshness_overall",
    "sources",
    "provisional",
];

/// Column name of a metric: `metric.SOURCE.CATEGORY.METRIC` (the same path `order_by` accepts).
pub fn metric_column(source: &str, category: &str, metric: &str) -> String {
    format!("metric.{source}.{category}.{metric}")
}

/// The header row for a catalog.
pub fn header(catalog: &Catalog) -> Vec<String> {
    FIXED_COLUMNS
        .iter()
        .map(|name| (*name).to_owned())
        .chain(
            catalog
                .metric_keys
                .iter()
                .map(|(source, category, metric)| metric_column(source, category, metric)),
        )
        .collect()
}

fn optional<T: ToString>(value: Option<T>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

fn date(value: Option<NaiveDate>) -> String {
    value
        .map(|date| date.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// One data row, in [`header`] order.
pub fn record(catalog: &Catalog, row: &RankedRow, reference: NaiveDate) -> Vec<String> {
    let entry: &Entry = &catalog.entries[row.index];
    let model = &entry.model;
    let price = entry.price();
    let performance = entry.performance;
    let freshness = entry.dates.grade(reference);
    let components_used = row
        .overall
        .map(|(_, used)| {
            used.iter()
                .map(super::scores::Component::as_str)
                .collect::<Vec<_>>()
                .join(";")
        })
        .unwrap_or_default();
    let mut fields = vec![
        row.rank.to_string(),
        optional(row.previous_rank),
        optional(row.rank_change()),
        row.new_entry.to_string(),
        model.id.clone(),
        entry.display_name.clone(),
        model.creator.clone().unwrap_or_default(),
        model.family.clone().unwrap_or_default(),
        date(model.release_date),
        optional(entry.context_length),
        optional(model.open_weights),
        entry
            .tier
            .map(|tier| tier.as_str().to_owned())
            .unwrap_or_default(),
        optional(row.overall.map(|(score, _)| score)),
        optional(entry.components.coding),
        entry.coding_benchmarks.to_string(),
        optional(entry.components.performance),
        optional(entry.components.value),
        components_used,
        optional(price.and_then(|price| price.input)),
        optional(price.and_then(|price| price.output)),
        optional(price.map(|price| price.free)),
        entry.free_variant_available.to_string(),
        price.map(|price| price.source.clone()).unwrap_or_default(),
        optional(performance.and_then(|performance| performance.ttft_seconds)),
        optional(performance.and_then(|performance| performance.tokens_per_second)),
        optional(performance.and_then(|performance| performance.quality_index)),
        performance
            .and_then(|performance| performance.tier)
            .map(|tier| tier.as_str().to_owned())
            .unwrap_or_default(),
        optional(freshness.benchmarks.map(|graded| graded.freshness.as_str())),
        optional(
            freshness
                .performance
                .map(|graded| graded.freshness.as_str()),
        ),
        optional(freshness.pricing.map(|graded| graded.freshness.as_str())),
        optional(freshness.overall.map(super::grades::Freshness::as_str)),
        entry.sources.join(";"),
        entry.provisional().to_string(),
    ];
    fields.extend(
        catalog
            .metric_keys
            .iter()
            .map(|(source, category, metric)| {
                optional(
                    entry
                        .metric(source, category, metric)
                        .map(|value| value.value),
                )
            }),
    );
    fields
}

/// Encodes one CSV record with RFC 4180 quoting and a CRLF terminator.
pub fn encode(fields: &[String]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(256));
    // Writing into a Vec cannot fail.
    let _ = writer.write_record(fields);
    writer.into_inner().unwrap_or_default()
}

/// One chunk of the CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// CSV bytes of whole rows.
    pub data: Vec<u8>,
    /// Data rows in the chunk (the header not counted).
    pub row_count: usize,
}

/// Yields the CSV file of ranked rows as chunks of whole rows, the header first.
#[derive(Debug)]
pub struct CsvChunks {
    catalog: Arc<Catalog>,
    rows: Arc<Vec<RankedRow>>,
    reference: NaiveDate,
    next_row: usize,
    /// Bytes that did not fit the previous chunk, with the data rows they hold.
    pending: Option<(Vec<u8>, usize)>,
}

impl CsvChunks {
    /// Prepares the export of `rows` of `catalog`, with freshness measured at `reference`.
    pub fn new(catalog: Arc<Catalog>, rows: Arc<Vec<RankedRow>>, reference: NaiveDate) -> Self {
        let header = encode(&header(&catalog));
        Self {
            catalog,
            rows,
            reference,
            next_row: 0,
            pending: Some((header, 0)),
        }
    }
}

impl Iterator for CsvChunks {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        let (mut data, mut row_count) = self.pending.take().unwrap_or_default();
        while self.next_row < self.rows.len() {
            let row = &self.rows[self.next_row];
            let bytes = encode(&record(&self.catalog, row, self.reference));
            self.next_row += 1;
            if !data.is_empty() && data.len() + bytes.len() > MAX_CHUNK_BYTES {
                self.pending = Some((bytes, 1));
                break;
            }
            data.extend_from_slice(&bytes);
            row_count += 1;
        }
        if data.is_empty() {
            return None;
        }
        Some(Chunk { data, row_count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::build;
    use crate::domain::catalog::tests::{date, example_input};
    use crate::domain::query::{Filter, RankingQuery, default_order, rank};
    use crate::domain::scores::Weights;
    use chrono::Utc;

    fn export(input: crate::domain::records::CatalogInput) -> (Vec<Chunk>, Arc<Catalog>) {
        let catalog = Arc::new(build(input, None, 1, Utc::now()));
        let query = RankingQuery {
            filter: Filter {
                include_unbenchmarked: true,
                ..Filter::default()
            },
            order: default_order(),
            weights: Weights::DEFAULT,
            group_by_family: false,
        };
        let rows = Arc::new(rank(&catalog, &query, date("2026-01-10"), None));
        (
            CsvChunks::new(Arc::clone(&catalog), rows, date("2026-01-10")).collect(),
            catalog,
        )
    }

    #[test]
    fn round_trips_through_a_csv_reader() {
        let (chunks, catalog) = export(example_input());
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].row_count, 4);
        let text = String::from_utf8(chunks[0].data.clone()).expect("utf-8");
        assert!(text.ends_with("\r\n"));
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().expect("headers").clone();
        assert_eq!(
            headers.len(),
            FIXED_COLUMNS.len() + catalog.metric_keys.len()
        );
        assert!(headers.iter().any(|name| name == "metric.lmarena.text.elo"));
        let records: Vec<csv::StringRecord> = reader
            .records()
            .map(|record| record.expect("record"))
            .collect();
        assert_eq!(records.len(), 4);
        let first = &records[0];
        let column = |name: &str| {
            headers
                .iter()
                .position(|header| header == name)
                .expect(name)
        };
        assert_eq!(&first[column("id")], "acme/example-1");
        assert_eq!(&first[column("rank")], "1");
        let example = catalog.find("acme/example-1").expect("example");
        let coding = example.components.coding.expect("coding");
        assert_eq!(&first[column("coding_score")], coding.to_string());
        assert_eq!(&first[column("coding_benchmarks")], "2");
        assert_eq!(&first[column("metric.lmarena.text.elo")], "1400");
        assert_eq!(
            &first[column("components_used")],
            "coding;performance;value"
        );
        assert_eq!(&first[column("performance_tier")], "fast");
        let overall: f64 = first[column("overall_score")].parse().expect("number");
        let expected = example.default_overall.expect("overall").0;
        assert!((overall - expected).abs() < 1e-9);
    }

    #[test]
    fn quotes_commas_quotes_and_newlines() {
        let mut input = example_input();
        input.models[0].display_name = "Example, \"the\"\nOne".to_owned();
        let (chunks, _) = export(input);
        let data: Vec<u8> = chunks.iter().flat_map(|chunk| chunk.data.clone()).collect();
        let text = String::from_utf8(data).expect("utf-8");
        assert!(text.contains("\"Example, \"\"the\"\"\nOne\""), "{text}");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let record = reader.records().next().expect("row").expect("record");
        assert_eq!(&record[5], "Example, \"the\"\nOne");
    }

    #[test]
    fn chunks_hold_whole_rows_under_the_limit() {
        let mut input = example_input();
        for index in 0..2000 {
            let mut extra = input.models[1].clone();
            extra.id = format!("bulk/model-{index:05}");
            extra.display_name = format!("Bulk model {index} {}", "x".repeat(40));
            input.models.push(extra);
        }
        let (chunks, _) = export(input);
        assert!(chunks.len() > 1);
        let rows: usize = chunks.iter().map(|chunk| chunk.row_count).sum();
        assert_eq!(rows, 2004);
        for chunk in &chunks {
            assert!(chunk.data.len() <= MAX_CHUNK_BYTES);
            assert!(chunk.data.ends_with(b"\r\n"));
        }
        let data: Vec<u8> = chunks.iter().flat_map(|chunk| chunk.data.clone()).collect();
        let mut reader = csv::Reader::from_reader(data.as_slice());
        assert_eq!(reader.records().count(), 2004);
    }
}
