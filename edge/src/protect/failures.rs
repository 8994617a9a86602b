//! Failed handshakes per source address (tunnel sessions, links, access sessions, enrollment).
//! Each failure spends from the address's budget (governor's keyed GCRA); an address that has
//! spent it is refused before anything else is looked at (no key lookup, no signature check)
//! until the budget has refilled by one. Memory stays bounded under a flood from many
//! addresses: old buckets and blocks are swept, and the block list has a ceiling.
//!
//! IPv4 addresses count one by one; IPv6 ones by /64, what one host is usually given.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::source as key_of;

/// Sweep old buckets and ended blocks after this many failures.
const SWEEP_EVERY: u64 = 4096;
/// At most this many addresses blocked at once; past it, the oldest blocks are dropped first
/// (about 40 bytes each, so the list stays under a few MiB).
const MAX_BLOCKED: usize = 65_536;

/// The budget: `burst` failures at once (at least 2), refilled by one every `refill`; the
/// failure that spends it blocks the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureBudget {
    pub burst: NonZeroU32,
    pub refill: Duration,
}

impl Default for FailureBudget {
    /// Ten failures, then one more every six seconds: a connector with a wrong key gives up on
    /// its first permanent refusal, and a person retyping a token has ten tries.
    fn default() -> Self {
        FailureBudget {
            burst: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            refill: Duration::from_secs(6),
        }
    }
}

pub struct Failures {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    clock: DefaultClock,
    failures: AtomicU64,
}

impl Failures {
    pub fn new(budget: FailureBudget) -> Failures {
        // The failure that finds the bucket empty is the one that blocks: a bucket of one less
        // than the budget blocks right after the budget's last failure.
        let cells = NonZeroU32::new(budget.burst.get() - 1).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(budget.refill.max(Duration::from_millis(1)))
            .unwrap_or(Quota::per_second(NonZeroU32::MIN))
            .allow_burst(cells);
        Failures {
            limiter: RateLimiter::keyed(quota),
            blocked: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
            failures: AtomicU64::new(0),
        }
    }

    /// `Some(wait)` when `peer` has spent its budget: refuse it (429, `Retry-After: wait`).
    pub fn blocked(&self, peer: IpAddr) -> Option<Duration> {
        let key = key_of(peer);
        let blocked = self.blocked.lock().ok()?;
        let until = *blocked.get(&key)?;
        until.checked_duration_since(Instant::now())
    }

    /// Counts one failed handshake from `peer`.
    pub fn failed(&self, peer: IpAddr) {
        let key = key_of(peer);
        if self.failures.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep();
        }
        let Err(not_until) = self.limiter.check_key(&key) else {
            return;
        };
        let wait = not_until.wait_time_from(self.clock.now());
        let Ok(mut blocked) = self.blocked.lock() else {
            return;
        };
        if blocked.len() >= MAX_BLOCKED {
            let now = Instant::now();
            blocked.retain(|_, until| *until > now);
            if blocked.len() >= MAX_BLOCKED {
                // Still full of live blocks: drop the ones that end soonest.
                let mut ends: Vec<Instant> = blocked.values().copied().collect();
                ends.sort_unstable();
                let cut = ends[MAX_BLOCKED / 4];
                blocked.retain(|_, until| *until > cut);
            }
        }
        blocked.insert(key, Instant::now() + wait);
    }

    /// Forgets buckets that have refilled and blocks that have ended.
    pub fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        if let Ok(mut blocked) = self.blocked.lock() {
            let now = Instant::now();
            blocked.retain(|_, until| *until > now);
            blocked.shrink_to_fit();
        }
    }

    /// Addresses with a bucket and addresses blocked now (for tests and metrics).
    pub fn tracked(&self) -> (usize, usize) {
        let blocked = self.blocked.lock().map(|b| b.len()).unwrap_or(0);
        (self.limiter.len(), blocked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(burst: u32) -> FailureBudget {
        FailureBudget {
            burst: NonZeroU32::new(burst).unwrap(),
            refill: Duration::from_secs(60),
        }
    }

    #[test]
    fn an_address_is_blocked_once_its_budget_is_spent_and_others_are_not() {
        let failures = Failures::new(budget(3));
        let bad: IpAddr = "127.0.0.2".parse().unwrap();
        let good: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..2 {
            assert_eq!(failures.blocked(bad), None);
            failures.failed(bad);
        }
        assert_eq!(
            failures.blocked(bad),
            None,
            "two failures are within a budget of 3"
        );
        failures.failed(bad);
        let wait = failures
            .blocked(bad)
            .expect("the third failure spends the budget");
        assert!(
            wait > Duration::from_secs(50) && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
        assert_eq!(failures.blocked(good), None);
    }

    #[test]
    fn ipv6_counts_by_64_and_mapped_ipv4_as_ipv4() {
        let failures = Failures::new(budget(2));
        failures.failed("2001:db8:1:2::1".parse().unwrap());
        failures.failed("2001:db8:1:2::ffff".parse().unwrap());
        assert!(failures
            .blocked("2001:db8:1:2:3:4:5:6".parse().unwrap())
            .is_some());
        assert!(failures
            .blocked("2001:db8:1:3::1".parse().unwrap())
            .is_none());
        failures.failed("::ffff:192.0.2.7".parse().unwrap());
        failures.failed("192.0.2.7".parse().unwrap());
        assert!(failures.blocked("192.0.2.7".parse().unwrap()).is_some());
    }

    #[test]
    fn a_flood_from_many_addresses_keeps_the_block_list_under_its_ceiling() {
        let failures = Failures::new(budget(2));
        for i in 0..(MAX_BLOCKED as u32 + 5000) {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            failures.failed(ip);
            failures.failed(ip);
        }
        let (_, blocked) = failures.tracked();
        assert!(blocked <= MAX_BLOCKED, "{blocked}");
        assert!(blocked > MAX_BLOCKED / 2, "{blocked}");
    }
}
