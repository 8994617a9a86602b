//! edge.yml's limits on public clients: the request rate per address, and (with the listeners'
//! settings) what one connection or stream may hold.

use tether_proto::config_error::ConfigError;

use super::raw::{Fields, Raw};

/// Requests per second per client address, with `burst` at once; 0 turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests_per_second: u32,
    pub burst: u32,
}

/// A hundred requests a second from one address, after a thousand at once: far above what a
/// person (or an office behind one address) sends, far below what one machine can flood with.
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit {
    requests_per_second: 100,
    burst: 1000,
};

pub(super) fn rate_limit(at: &Fields, raw: &Raw) -> Result<RateLimit, ConfigError> {
    let r = &raw.rate_limit;
    let requests_per_second = r
        .requests_per_second
        .unwrap_or(DEFAULT_RATE_LIMIT.requests_per_second);
    let burst = match (r.burst, r.requests_per_second) {
        (Some(b), _) => b,
        (None, Some(rps)) => rps.max(DEFAULT_RATE_LIMIT.burst.min(rps.saturating_mul(10))),
        (None, None) => DEFAULT_RATE_LIMIT.burst,
    };
    if burst == 0 && requests_per_second != 0 {
        return Err(at.err(
            &["rate-limit", "burst"],
            "burst is 0, which would refuse every request; write at least 1, or requests-per-second: 0 to turn the limit off".into(),
        ));
    }
    Ok(RateLimit {
        requests_per_second,
        burst,
    })
}
