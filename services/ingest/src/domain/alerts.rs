//! Webhook alerts: which state a source is in for alerting, which transitions are announced, and the
//! text of each message. One message per change of state (failed, partial, stale, back to ok); never
//! secrets or upstream bodies (errors are benchhub's own descriptions of an upstream's answer).

/// A source's state as the alerts see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertState {
    /// Its last run succeeded (or found the upstream unchanged) and its data is within its TTL.
    Ok,
    /// A scheduled run failed: readers are served older data.
    Failed,
    /// A scheduled run kept only part of the source.
    Partial,
    /// Its data is older than its TTL (no run refreshed it in time).
    Stale,
}

impl AlertState {
    /// The stored name (`source_state.alert_state`).
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Ok => "ok",
            AlertState::Failed => "failed",
            AlertState::Partial => "partial",
            AlertState::Stale => "stale",
        }
    }

    /// Parses a stored name; unknown names read as `Ok`.
    pub fn parse(text: &str) -> AlertState {
        match text {
            "failed" => AlertState::Failed,
            "partial" => AlertState::Partial,
            "stale" => AlertState::Stale,
            _ => AlertState::Ok,
        }
    }
}

/// The state a finished run puts its source in, or `None` when the run says nothing new for alerts:
/// failures and partial results of manual runs are the caller's to see (only scheduled and start-up
/// runs raise alerts), while any run that succeeds announces a recovery.
pub fn after_run(status: &str, scheduled: bool) -> Option<AlertState> {
    match status {
        "succeeded" | "skipped" => Some(AlertState::Ok),
        "failed" if scheduled => Some(AlertState::Failed),
        "partial" if scheduled => Some(AlertState::Partial),
        _ => None,
    }
}

/// Longest error text quoted in a message.
const MAX_DETAIL: usize = 400;

fn clipped(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= MAX_DETAIL {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(MAX_DETAIL).collect();
    clipped.push('…');
    clipped
}

/// The message announcing `new` (reached from `previous`) for a source. `detail` is the run's error,
/// the documents it could not fetch, or why the data is stale.
pub fn message(
    display_name: &str,
    source: &str,
    previous: AlertState,
    new: AlertState,
    detail: &str,
) -> String {
    let who = format!("{display_name} ({source})");
    let detail = clipped(detail);
    match new {
        AlertState::Failed => format!(
            "benchhub: scheduled ingest of {who} FAILED: {detail}. Readers keep the last good snapshot."
        ),
        AlertState::Partial => format!(
            "benchhub: scheduled ingest of {who} ended PARTIAL: {detail}. What was fetched is stored."
        ),
        AlertState::Stale => format!("benchhub: {who} is stale: {detail}."),
        AlertState::Ok => format!(
            "benchhub: {who} recovered (was {}): its latest ingest succeeded and its data is current.",
            previous.as_str()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_scheduled_failures_raise_alerts_and_any_success_recovers() {
        assert_eq!(after_run("failed", true), Some(AlertState::Failed));
        assert_eq!(after_run("partial", true), Some(AlertState::Partial));
        assert_eq!(after_run("failed", false), None);
        assert_eq!(after_run("partial", false), None);
        assert_eq!(after_run("succeeded", false), Some(AlertState::Ok));
        assert_eq!(after_run("skipped", true), Some(AlertState::Ok));
        assert_eq!(after_run("running", true), None);
    }

    #[test]
    fn messages_name_the_source_and_clip_long_errors() {
        let failed = message(
            "LMArena",
            "lmarena",
            AlertState::Ok,
            AlertState::Failed,
            "upstream answered HTTP 503 for https://datasets-server.huggingface.co/rows",
        );
        assert!(
            failed.starts_with(
                "benchhub: scheduled ingest of LMArena (lmarena) FAILED: upstream answered HTTP 503"
            ),
            "{failed}"
        );
        let recovered = message("LMArena", "lmarena", AlertState::Stale, AlertState::Ok, "");
        assert!(recovered.contains("recovered (was stale)"), "{recovered}");
        let long = message(
            "X",
            "x",
            AlertState::Ok,
            AlertState::Failed,
            &"e".repeat(5_000),
        );
        assert!(long.len() < 600, "{}", long.len());
    }

    #[test]
    fn states_round_trip() {
        for state in [
            AlertState::Ok,
            AlertState::Failed,
            AlertState::Partial,
            AlertState::Stale,
        ] {
            assert_eq!(AlertState::parse(state.as_str()), state);
        }
    }
}
