//! What an ingest run reports (its outcome and metrics) and what it stores when it ends.

use chrono::NaiveDate;
use uuid::Uuid;

use super::Trigger;
use crate::domain::adapters::DocumentFailure;
use crate::error::Error;
use crate::repo::RunCompletion;

/// How an ingest ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeStatus {
    /// The snapshot was written (or would be, for a dry run).
    Succeeded,
    /// Nothing was written; readers keep the last good snapshot.
    Failed,
    /// The upstream was unchanged.
    Skipped,
    /// Some documents could not be fetched; what was fetched is stored (or was unchanged).
    Partial,
}

impl OutcomeStatus {
    /// The stored name: `succeeded`, `failed`, `skipped` or `partial`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Succeeded => "succeeded",
            OutcomeStatus::Failed => "failed",
            OutcomeStatus::Skipped => "skipped",
            OutcomeStatus::Partial => "partial",
        }
    }
}

/// The result of ingesting one source.
#[derive(Debug, Clone)]
pub struct IngestOutcome {
    /// Source name.
    pub source: String,
    /// Recorded run, absent for dry runs and refusals.
    pub run_id: Option<Uuid>,
    /// How it ended.
    pub status: OutcomeStatus,
    /// Observations parsed.
    pub fetched: i64,
    /// Inserted (or would be).
    pub inserted: i64,
    /// Updated (or would be).
    pub updated: i64,
    /// Without a canonical model.
    pub unmatched: i64,
    /// Left untouched.
    pub skipped: i64,
    /// Unusable upstream records.
    pub failed: i64,
    /// Wall time.
    pub duration_ms: i64,
    /// Whether readers keep an older snapshot because this fetch failed.
    pub stale: bool,
    /// Readable error.
    pub error: Option<String>,
    /// Whether nothing was written on purpose.
    pub dry_run: bool,
    /// Newest snapshot date written.
    pub snapshot_date: Option<NaiveDate>,
    /// Oldest data date (when upstream measured or published a value) among the values written.
    pub oldest_data_date: Option<NaiveDate>,
    /// Newest data date among the values written.
    pub newest_data_date: Option<NaiveDate>,
    /// What started it.
    pub trigger: Trigger,
    /// Canonical models created from metadata records.
    pub models_created: i64,
    /// Canonical models whose metadata changed.
    pub models_updated: i64,
    /// Documents that could not be fetched (a PARTIAL run; a FAILED run when nothing was usable).
    pub document_failures: Vec<DocumentFailure>,
}

/// Counts a finished ingest in the Prometheus metrics: runs by status, rows by kind, per source.
pub(super) fn record_metrics(outcome: &IngestOutcome) {
    if outcome.dry_run {
        return;
    }
    let source = outcome.source.clone();
    ::metrics::counter!(
        "benchhub_ingest_runs_total",
        "source" => source.clone(),
        "status" => outcome.status.as_str()
    )
    .increment(1);
    for (kind, count) in [
        ("inserted", outcome.inserted),
        ("updated", outcome.updated),
        ("unmatched", outcome.unmatched),
        ("failed", outcome.failed),
    ] {
        ::metrics::counter!("benchhub_ingest_rows_total", "source" => source.clone(), "kind" => kind)
            .increment(u64::try_from(count).unwrap_or(0));
    }
    ::metrics::histogram!("benchhub_ingest_duration_seconds", "source" => source)
        .record(outcome.duration_ms as f64 / 1000.0);
}

impl IngestOutcome {
    /// The status's stored name.
    pub fn status_name(&self) -> &'static str {
        self.status.as_str()
    }

    pub(super) fn new(source: &str, trigger: Trigger, dry_run: bool) -> Self {
        Self {
            source: source.to_owned(),
            run_id: None,
            status: OutcomeStatus::Succeeded,
            fetched: 0,
            inserted: 0,
            updated: 0,
            unmatched: 0,
            skipped: 0,
            failed: 0,
            duration_ms: 0,
            stale: false,
            error: None,
            dry_run,
            snapshot_date: None,
            oldest_data_date: None,
            newest_data_date: None,
            trigger,
            models_created: 0,
            models_updated: 0,
            document_failures: Vec::new(),
        }
    }

    /// A refused ingest (unknown, unavailable, busy…) reported as a failed result.
    pub fn refused(source: &str, trigger: Trigger, dry_run: bool, error: &Error) -> Self {
        let mut outcome = Self::new(source, trigger, dry_run);
        outcome.status = OutcomeStatus::Failed;
        outcome.error = Some(match error {
            Error::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        });
        outcome
    }
}

pub(super) fn completion(outcome: &IngestOutcome, models_found: i32) -> RunCompletion {
    let clamp = |value: i64| i32::try_from(value).unwrap_or(i32::MAX);
    RunCompletion {
        status: outcome.status.as_str(),
        snapshot_date: outcome.snapshot_date,
        fetched: clamp(outcome.fetched),
        inserted: clamp(outcome.inserted),
        updated: clamp(outcome.updated),
        unmatched: clamp(outcome.unmatched),
        skipped: clamp(outcome.skipped),
        failed: clamp(outcome.failed),
        duration_ms: outcome.duration_ms,
        stale: outcome.stale,
        error: outcome.error.clone(),
        models_found,
        oldest_data_date: outcome.oldest_data_date,
        newest_data_date: outcome.newest_data_date,
        models_created: clamp(outcome.models_created),
        document_failures: outcome.document_failures.clone(),
    }
}

/// One line naming each failed document and why (`webdev: upstream answered HTTP 404 for …`).
pub fn describe_failures(failures: &[DocumentFailure]) -> String {
    // Giving up says the most (why the rest was not even asked for): it comes first.
    let shown: Vec<String> = failures
        .iter()
        .filter(|failure| failure.gave_up)
        .chain(failures.iter().filter(|failure| !failure.gave_up))
        .take(5)
        .map(|failure| format!("{}: {}", failure.document, failure.error))
        .collect();
    let more = failures.len().saturating_sub(shown.len());
    let mut text = format!(
        "{} document{} failed: {}",
        failures.len(),
        if failures.len() == 1 { "" } else { "s" },
        shown.join("; ")
    );
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    text
}
