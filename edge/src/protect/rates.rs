//! Public requests per client address: the edge's `rate-limit` for every request, or a route's
//! own `limits` in its place. governor's keyed GCRA, one limiter per distinct quota; a client
//! over it gets 429 with the wait in `Retry-After`. Buckets that have refilled are swept, so the
//! memory follows the clients seen within a refill, not all clients ever seen.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::source;

const SWEEP_EVERY: u64 = 16_384;

/// Requests per second with `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Rate {
    pub fn new(per_second: u32, burst: Option<u32>) -> Option<Rate> {
        let per_second = NonZeroU32::new(per_second)?;
        let burst = burst.and_then(NonZeroU32::new).unwrap_or(per_second);
        Some(Rate { per_second, burst })
    }
}

#[derive(Default)]
pub struct Rates {
    limiters: Mutex<HashMap<Rate, Arc<DefaultKeyedRateLimiter<IpAddr>>>>,
    checks: AtomicU64,
    clock: DefaultClock,
}

impl Rates {
    /// `Err(wait)` when `client` is over `rate` now.
    pub fn check(&self, rate: Rate, client: IpAddr) -> Result<(), Duration> {
        let limiter = {
            let Ok(mut limiters) = self.limiters.lock() else {
                return Ok(());
            };
            limiters
                .entry(rate)
                .or_insert_with(|| {
                    let quota = Quota::per_second(rate.per_second).allow_burst(rate.burst);
                    Arc::new(RateLimiter::keyed(quota))
                })
                .clone()
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep();
        }
        limiter
            .check_key(&source(client))
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets refilled buckets, and limiters no route uses any more (they are empty then).
    pub fn sweep(&self) {
        if let Ok(mut limiters) = self.limiters.lock() {
            for limiter in limiters.values() {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
            limiters.retain(|_, l| !l.is_empty());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_waits_and_others_are_not_counted() {
        let rates = Rates::default();
        let rate = Rate::new(1, Some(3)).unwrap();
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.2".parse().unwrap(), "127.0.0.3".parse().unwrap());
        for _ in 0..3 {
            assert!(rates.check(rate, a).is_ok());
        }
        let wait = rates.check(rate, a).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert!(rates.check(rate, b).is_ok());
    }
}
