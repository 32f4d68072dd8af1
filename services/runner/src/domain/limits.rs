//! Provider limits shared by runner replicas, as plain rules: how the slots of a provider's
//! concurrency limit are divided among the replicas that want them, how 429 answers and successes seen
//! by any replica move the shared adaptive limit, and the parameters of the shared rate limit.
//!
//! The invariant every function here keeps: the slots held by all replicas together never exceed the
//! provider's current limit, except while calls started under a higher limit finish (a replica never
//! aborts a call to give its slot back; it only stops starting new ones).

use std::time::Duration;

/// One replica's share of a provider's slots, as recorded in Postgres.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    /// Replica name.
    pub replica: String,
    /// Slots it holds: calls in flight or allowed to start.
    pub held: u32,
    /// Slots it would use: calls in flight plus calls waiting.
    pub wanted: u32,
}

/// What one replica may do after a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// Calls it may have in flight from now on.
    pub cap: u32,
    /// Slots recorded as held: the cap, or more while calls started under an older cap finish.
    pub held: u32,
}

/// Divides `limit` slots among demands by water-filling: every demand at or below an equal share is
/// met, the rest split what is left evenly. Ties go to the earlier entry (callers sort by replica
/// name, so the split is the same on every replica). Returns the shares in the order given.
pub fn fair_shares(limit: u32, demands: &[u32]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..demands.len()).collect();
    order.sort_by_key(|&index| (demands[index], index));
    let mut shares = vec![0; demands.len()];
    let mut remaining = limit;
    for (position, &index) in order.iter().enumerate() {
        let left = (demands.len() - position) as u32;
        let equal = remaining.div_ceil(left.max(1));
        let share = demands[index].min(equal).min(remaining);
        shares[index] = share;
        remaining -= share;
    }
    shares
}

/// What a replica knows about itself when it syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    /// Calls in flight when the sync began.
    pub in_flight: u32,
    /// The cap in effect until the sync's answer is applied.
    pub cap: u32,
    /// Calls in flight plus waiting.
    pub wanted: u32,
}

/// The grant of replica `me` given the provider's current `limit`, what it knows about itself and the
/// other replicas' live shares.
///
/// The cap is the replica's fair share of the wanted slots, but never more than the slots the others
/// do not hold (they shrink to their own fair share at their next sync, and this replica grows into
/// what they free at its next). What is recorded as held covers every call the replica may have in
/// flight until its next sync: the new cap, the calls in flight, and the old cap, under which calls may
/// still start while the sync is under way.
pub fn grant(limit: u32, me: &str, local: Local, others: &[Share]) -> Grant {
    let mut everyone: Vec<(&str, u32)> = others
        .iter()
        .filter(|share| share.replica != me)
        .map(|share| (share.replica.as_str(), share.wanted.min(limit)))
        .collect();
    everyone.push((me, local.wanted.min(limit)));
    everyone.sort_by(|left, right| left.0.cmp(right.0));
    let demands: Vec<u32> = everyone.iter().map(|(_, wanted)| *wanted).collect();
    let shares = fair_shares(limit, &demands);
    let fair = everyone
        .iter()
        .zip(&shares)
        .find(|((replica, _), _)| *replica == me)
        .map_or(0, |(_, share)| *share);
    let held_by_others: u32 = others
        .iter()
        .filter(|share| share.replica != me)
        .map(|share| share.held)
        .sum();
    let free = limit.saturating_sub(held_by_others);
    let cap = fair.min(free);
    Grant {
        cap,
        held: cap.max(local.in_flight).max(local.cap),
    }
}

/// How the adaptive limit reacts to 429 answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptiveTuning {
    /// Factor applied to the limit on a 429 (multiplicative decrease).
    pub decrease_factor: f64,
    /// Minimum time between two decreases: 429s answered to calls sent under the old limit do not
    /// count twice.
    pub decrease_cooldown: Duration,
}

impl Default for AdaptiveTuning {
    fn default() -> Self {
        Self {
            decrease_factor: 0.9,
            decrease_cooldown: Duration::from_secs(1),
        }
    }
}

/// The adaptive concurrency limit of a provider (AIMD).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adaptive {
    /// Configured maximum.
    pub max: u32,
    /// Calls allowed in flight now, 1..=max.
    pub current: u32,
    /// Successes counted towards the next increase.
    pub successes: u64,
    /// 429 answers seen in total.
    pub throttled: u64,
    /// Seconds since the last decrease, if there was one.
    pub since_decrease: Option<Duration>,
}

impl Adaptive {
    /// A limit starting at its maximum.
    pub fn new(max: u32) -> Self {
        let max = max.max(1);
        Self {
            max,
            current: max,
            successes: 0,
            throttled: 0,
            since_decrease: None,
        }
    }

    /// Applies what the replicas saw since the last update and returns whether a decrease happened
    /// (its time must be recorded). A 429 multiplies the limit by the decrease factor (at least 1), at
    /// most once per cooldown, and restarts the count of successes; otherwise each window of
    /// successes as long as the limit raises it by one, up to the maximum.
    pub fn apply(&mut self, successes: u64, throttled: u64, tuning: AdaptiveTuning) -> bool {
        self.current = self.current.clamp(1, self.max);
        if throttled > 0 {
            self.throttled += throttled;
            self.successes = 0;
            let cooled = self
                .since_decrease
                .is_none_or(|since| since >= tuning.decrease_cooldown);
            if cooled {
                let lowered = (f64::from(self.current) * tuning.decrease_factor).floor() as u32;
                self.current = lowered.clamp(1, self.max);
                self.since_decrease = Some(Duration::ZERO);
                return true;
            }
            return false;
        }
        self.successes += successes;
        while self.current < self.max && self.successes >= u64::from(self.current) {
            self.successes -= u64::from(self.current);
            self.current += 1;
        }
        if self.current == self.max {
            self.successes = 0;
        }
        false
    }
}

/// The shared rate limit as a generic cell rate algorithm: one request per `interval`, with bursts of
/// `burst` requests (about one second's worth, like the per-run limit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateParameters {
    /// Time between two requests at the steady rate.
    pub interval: Duration,
    /// How far ahead of the steady rate a request may start (`interval × (burst − 1)`).
    pub tolerance: Duration,
}

impl RateParameters {
    /// Parameters of `requests_per_minute` (at least 1).
    pub fn per_minute(requests_per_minute: u32) -> Self {
        let rpm = requests_per_minute.max(1);
        let interval = Duration::from_secs(60) / rpm;
        let burst = rpm.div_ceil(60).max(1);
        Self {
            interval,
            tolerance: interval * (burst - 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(replica: &str, held: u32, wanted: u32) -> Share {
        Share {
            replica: replica.to_owned(),
            held,
            wanted,
        }
    }

    #[test]
    fn water_filling_meets_small_demands_and_splits_the_rest() {
        assert_eq!(fair_shares(16, &[16, 16]), vec![8, 8]);
        assert_eq!(fair_shares(16, &[3, 16]), vec![3, 13]);
        assert_eq!(fair_shares(16, &[16, 16, 16]), vec![6, 5, 5]);
        assert_eq!(fair_shares(16, &[0, 0]), vec![0, 0]);
        assert_eq!(fair_shares(2, &[5, 5, 5]), vec![1, 1, 0]);
        for demands in [[1, 2, 40], [16, 0, 9], [7, 7, 7]] {
            let shares = fair_shares(16, &demands);
            assert!(shares.iter().sum::<u32>() <= 16, "{demands:?} → {shares:?}");
            for (share, demand) in shares.iter().zip(demands) {
                assert!(*share <= demand);
            }
        }
    }

    fn local(in_flight: u32, cap: u32, wanted: u32) -> Local {
        Local {
            in_flight,
            cap,
            wanted,
        }
    }

    #[test]
    fn a_lone_replica_gets_the_whole_limit() {
        assert_eq!(
            grant(16, "a", local(0, 0, 40), &[]),
            Grant { cap: 16, held: 16 }
        );
        // Its own stale row does not count against it.
        assert_eq!(
            grant(16, "a", local(4, 16, 16), &[share("a", 16, 16)]),
            Grant { cap: 16, held: 16 }
        );
    }

    #[test]
    fn a_newcomer_waits_for_slots_the_holder_frees() {
        // b arrives while a holds every slot: b gets nothing yet, but records what it wants.
        let b = grant(16, "b", local(0, 0, 16), &[share("a", 16, 16)]);
        assert_eq!(b, Grant { cap: 0, held: 0 });
        // a's next sync sees b's demand: its cap falls to half, its held count stays at its calls in
        // flight (and its old cap) until they finish.
        let a = grant(16, "a", local(16, 16, 16), &[share("b", 0, 16)]);
        assert_eq!(a, Grant { cap: 8, held: 16 });
        let a = grant(16, "a", local(8, 8, 16), &[share("b", 0, 16)]);
        assert_eq!(a, Grant { cap: 8, held: 8 });
        // Then b grows into the freed half.
        let b = grant(16, "b", local(0, 0, 16), &[share("a", 8, 16)]);
        assert_eq!(b, Grant { cap: 8, held: 8 });
    }

    #[test]
    fn calls_started_during_a_sync_stay_covered() {
        // a had 10 calls in flight when it synced, under a cap of 16: until its new cap of 8 applies,
        // 6 more may start, so it must go on holding 16.
        let a = grant(16, "a", local(10, 16, 16), &[share("b", 0, 16)]);
        assert_eq!(a, Grant { cap: 8, held: 16 });
        // Going idle takes two syncs: the first still covers the old cap.
        let idle = grant(16, "a", local(0, 8, 0), &[]);
        assert_eq!(idle, Grant { cap: 0, held: 8 });
        let idle = grant(16, "a", local(0, 0, 0), &[]);
        assert_eq!(idle, Grant { cap: 0, held: 0 });
    }

    #[test]
    fn held_slots_never_exceed_the_limit_whatever_the_order_of_syncs() {
        // Three replicas with changing demands sync in a fixed rotation; calls finish at random, and
        // calls start under the old cap while a sync is under way.
        let names = ["a", "b", "c"];
        let mut rows: Vec<Share> = names.iter().map(|name| share(name, 0, 0)).collect();
        let mut in_flight = [0u32; 3];
        let mut caps = [0u32; 3];
        let mut state = 12345u64;
        let mut next = move |bound: u32| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % u64::from(bound)) as u32
        };
        let limit = 16;
        let check = |rows: &[Share], in_flight: &[u32; 3], step: usize| {
            let held: u32 = rows.iter().map(|row| row.held).sum();
            let flying: u32 = in_flight.iter().sum();
            assert!(held <= limit, "step {step}: {rows:?}");
            assert!(flying <= held, "step {step}: {in_flight:?} under {rows:?}");
        };
        for step in 0..5000 {
            let index = step % 3;
            for flying in &mut in_flight {
                *flying -= next(*flying + 1);
            }
            let wanted = next(30);
            let snapshot = local(in_flight[index], caps[index], wanted);
            let granted = grant(limit, names[index], snapshot, &rows);
            // While the sync runs, calls start under the old cap.
            in_flight[index] = in_flight[index].max(caps[index].min(wanted));
            rows[index] = share(names[index], granted.held, wanted);
            check(&rows, &in_flight, step);
            caps[index] = granted.cap;
            in_flight[index] = in_flight[index].max(granted.cap.min(wanted));
            check(&rows, &in_flight, step);
        }
    }

    #[test]
    fn throttling_cuts_once_per_cooldown_and_successes_grow_back() {
        let tuning = AdaptiveTuning {
            decrease_factor: 0.5,
            decrease_cooldown: Duration::from_secs(1),
        };
        let mut limit = Adaptive::new(8);
        assert!(limit.apply(0, 3, tuning));
        assert_eq!(limit.current, 4);
        assert_eq!(limit.throttled, 3);
        // Inside the cooldown: counted, not cut again.
        limit.since_decrease = Some(Duration::from_millis(200));
        assert!(!limit.apply(0, 1, tuning));
        assert_eq!(limit.current, 4);
        limit.since_decrease = Some(Duration::from_secs(2));
        assert!(limit.apply(0, 1, tuning));
        assert_eq!(limit.current, 2);
        // A window of successes as long as the limit adds one: 2 + 3 + 4 + 5 + 6 + 7 = 27 to reach 8.
        assert!(!limit.apply(26, 0, tuning));
        assert_eq!(limit.current, 7);
        limit.apply(1, 0, tuning);
        assert_eq!((limit.current, limit.successes), (8, 0));
        limit.apply(100, 0, tuning);
        assert_eq!(limit.current, 8, "never above the maximum");
        let mut floor = Adaptive::new(1);
        floor.apply(0, 1, tuning);
        assert_eq!(floor.current, 1, "never below one");
    }

    #[test]
    fn rate_parameters_follow_the_requests_per_minute() {
        let slow = RateParameters::per_minute(60);
        assert_eq!(slow.interval, Duration::from_secs(1));
        assert_eq!(slow.tolerance, Duration::ZERO);
        let fast = RateParameters::per_minute(600);
        assert_eq!(fast.interval, Duration::from_millis(100));
        // Bursts of 10: nine requests may start ahead of the steady rate.
        assert_eq!(fast.tolerance, Duration::from_millis(900));
    }
}
