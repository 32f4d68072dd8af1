//! The one backoff of benchhub's retry loops: reconnects of long-lived loops (the start-up wait for the
//! database, the readiness retries of a service, the rankings' notification listener), the runner's
//! provider-call retry policy, the judge's provider retries and the runner's judge-client retries.
//! Exponential from an initial delay, doubling up to a cap, optionally with jitter, started over after
//! a success. Built on backon's exponential backoff; one-shot retries of a single operation use
//! backon's `Retryable` directly. `benchhub_common::Backoff` re-exports it for crates without SQL.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};

/// Delays of a retry loop that runs until it succeeds (or is stopped), and may succeed many times.
/// A clone starts over from the initial delay (a retry policy is cloned for each new request).
#[derive(Debug)]
pub struct Backoff {
    builder: ExponentialBuilder,
    delays: ExponentialBackoff,
    max: Duration,
}

impl Backoff {
    /// Delays from `initial`, doubling up to `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        let max = max.max(initial);
        let builder = ExponentialBuilder::default()
            .with_min_delay(initial)
            .with_max_delay(max)
            .with_factor(2.0)
            .without_max_times();
        Self {
            builder,
            delays: builder.build(),
            max,
        }
    }

    /// Adds jitter: each delay grows by a random part of itself (still capped), so clients that failed
    /// together do not retry together.
    pub fn with_jitter(mut self) -> Self {
        self.builder = self.builder.with_jitter();
        self.delays = self.builder.build();
        self
    }

    /// The delay before the next attempt (never above the cap).
    pub fn next_delay(&mut self) -> Duration {
        self.delays.next().unwrap_or(self.max).min(self.max)
    }

    /// Starts over from the initial delay (after a success).
    pub fn reset(&mut self) {
        self.delays = self.builder.build();
    }
}

impl Clone for Backoff {
    fn clone(&self) -> Self {
        Self {
            builder: self.builder,
            delays: self.builder.build(),
            max: self.max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_starts_over() {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(1));
        let delays: Vec<u128> = (0..5).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(delays, [200, 400, 800, 1000, 1000]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Duration::from_millis(200));
    }

    #[test]
    fn jitter_stays_between_the_nominal_delay_and_the_cap() {
        let mut backoff =
            Backoff::new(Duration::from_millis(100), Duration::from_millis(500)).with_jitter();
        let first = backoff.next_delay();
        assert!(first >= Duration::from_millis(100) && first < Duration::from_millis(200));
        for _ in 0..10 {
            assert!(backoff.next_delay() <= Duration::from_millis(500));
        }
        assert!(backoff.clone().next_delay() < Duration::from_millis(200));
    }
}
