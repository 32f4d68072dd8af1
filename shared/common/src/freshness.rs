//! Whether a source's fetched data is stale: its latest ingest failed (readers are served an older
//! snapshot), or its data was last refreshed longer ago than the source's TTL (LMArena: 24 hours, seed
//! 003). Shared by ListSources, the rankings' source statuses and the ingest alerts, so the three agree.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Why a source is stale, or `None` when it is not. A source that never succeeded has no data to be
/// stale: it is empty, not stale, unless its latest attempt failed.
pub fn stale_reason(
    last_attempt_failed: bool,
    last_success_at: Option<DateTime<Utc>>,
    ttl: Option<Duration>,
    now: DateTime<Utc>,
) -> Option<String> {
    if last_attempt_failed {
        return Some(match last_success_at {
            Some(success) => format!(
                "the latest ingest failed; serving data refreshed {}",
                when(success, now)
            ),
            None => "the latest ingest failed and no earlier one succeeded".to_owned(),
        });
    }
    let (success, ttl) = (last_success_at?, ttl?);
    let age = (now - success).to_std().unwrap_or_default();
    (age > ttl).then(|| {
        format!(
            "data refreshed {}, older than the source's {} TTL",
            when(success, now),
            text(ttl)
        )
    })
}

/// "2026-12-01 04:00 UTC (2 days ago)".
fn when(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let hours = (now - at).num_hours().max(0);
    let ago = if hours < 48 {
        format!("{hours} h ago")
    } else {
        format!("{} days ago", hours / 24)
    };
    format!("{} UTC ({ago})", at.format("%Y-%m-%d %H:%M"))
}

/// A TTL as written in configuration: "24h", "8d", "90m".
pub fn text(ttl: Duration) -> String {
    let seconds = ttl.as_secs();
    if seconds.is_multiple_of(86_400) && seconds >= 2 * 86_400 {
        format!("{}d", seconds / 86_400)
    } else if seconds.is_multiple_of(3600) {
        format!("{}h", seconds / 3600)
    } else if seconds.is_multiple_of(60) {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
    }

    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn data_older_than_the_ttl_is_stale() {
        let now = at(3, 9);
        assert_eq!(stale_reason(false, Some(at(2, 10)), Some(DAY), now), None);
        assert_eq!(
            stale_reason(false, Some(at(2, 8)), Some(DAY), now).as_deref(),
            Some("data refreshed 2026-12-02 08:00 UTC (25 h ago), older than the source's 24h TTL")
        );
        assert_eq!(
            stale_reason(false, Some(at(1, 9)), None, now),
            None,
            "no TTL: never stale by age"
        );
        assert_eq!(
            stale_reason(false, None, Some(DAY), now),
            None,
            "no data is empty, not stale"
        );
    }

    #[test]
    fn a_failed_attempt_is_stale_whatever_the_age() {
        let now = at(3, 9);
        assert_eq!(
            stale_reason(true, Some(at(3, 8)), Some(DAY), now).as_deref(),
            Some("the latest ingest failed; serving data refreshed 2026-12-03 08:00 UTC (1 h ago)")
        );
        assert!(stale_reason(true, None, None, now).is_some());
    }

    #[test]
    fn ttls_read_as_configured() {
        assert_eq!(text(DAY), "24h");
        assert_eq!(text(DAY * 8), "8d");
        assert_eq!(text(Duration::from_secs(90 * 60)), "90m");
    }
}
