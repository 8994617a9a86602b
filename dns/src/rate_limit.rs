//! Response rate limiting (RRL) per source prefix, as NSD and BIND do it, on governor's keyed
//! token buckets. Only UDP is limited: a TCP peer has proven its address.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

use crate::config::RateLimitConfig;

pub struct ResponseRateLimit {
    limiter: DefaultKeyedRateLimiter<IpNet>,
    config: RateLimitConfig,
    limited: AtomicU32,
    checks: AtomicU64,
}

/// What to do with one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Send,
    /// Send an empty, truncated (TC=1) response: a real client retries over TCP.
    Slip,
    Drop,
}

/// Old buckets are forgotten this often (in checks), so memory stays bounded under a flood from
/// many prefixes.
const SWEEP_EVERY: u64 = 1 << 16;

impl ResponseRateLimit {
    pub fn new(config: RateLimitConfig) -> Option<Self> {
        let rate = config.responses_per_second?;
        Some(ResponseRateLimit {
            limiter: RateLimiter::keyed(Quota::per_second(rate)),
            config,
            limited: AtomicU32::new(0),
            checks: AtomicU64::new(0),
        })
    }

    fn prefix(&self, ip: IpAddr) -> IpNet {
        let len = match ip {
            IpAddr::V4(_) => self.config.ipv4_prefix,
            IpAddr::V6(_) => self.config.ipv6_prefix,
        };
        IpNet::new(ip, len)
            .map(|n| n.trunc())
            .unwrap_or(IpNet::from(ip))
    }

    pub fn check(&self, src: IpAddr) -> Verdict {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        if self.limiter.check_key(&self.prefix(src)).is_ok() {
            return Verdict::Send;
        }
        let n = self.limited.fetch_add(1, Ordering::Relaxed);
        match self.config.slip {
            0 => Verdict::Drop,
            slip if n.is_multiple_of(slip) => Verdict::Slip,
            _ => Verdict::Drop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;

    #[test]
    fn excess_from_one_prefix_slips_or_drops_and_other_prefixes_are_untouched() {
        let rrl = ResponseRateLimit::new(RateLimitConfig {
            responses_per_second: NonZeroU32::new(5),
            slip: 2,
            ipv4_prefix: 24,
            ipv6_prefix: 56,
        })
        .unwrap();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let a2: IpAddr = "192.0.2.200".parse().unwrap();
        let b: IpAddr = "198.51.100.1".parse().unwrap();
        let verdicts: Vec<Verdict> = (0..20)
            .map(|i| rrl.check(if i % 2 == 0 { a } else { a2 }))
            .collect();
        assert_eq!(verdicts.iter().filter(|v| **v == Verdict::Send).count(), 5);
        assert!(verdicts.contains(&Verdict::Slip));
        assert!(verdicts.contains(&Verdict::Drop));
        assert_eq!(rrl.check(b), Verdict::Send);
    }
}
