//! edge.yml's limits on public clients: the request rate per address, and (with the listeners'
//! settings) what one connection or stream may hold.

use std::time::Duration;

use tether_runtime::config_error::ConfigError;

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

/// What one public stream may hold, and for how long: the slow-client limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// A request body that sends nothing for this long fails (`body-read-timeout`; nginx's
    /// `client_body_timeout`): 408 while the edge still reads it whole, a reset stream after.
    pub body_read_timeout: Duration,
    /// A response the client takes nothing of for this long is reset, which gives its share of
    /// the tunnel session's window back (`send-timeout`; nginx's `send_timeout`).
    pub send_timeout: Duration,
    /// A WebSocket or public TCP connection that carries nothing either way for this long is
    /// closed (`stream-idle-timeout`); `None` when set to 0.
    pub stream_idle_timeout: Option<Duration>,
    /// Streams one HTTP/2 client connection may open at once (`max-streams-per-connection`).
    pub max_streams_per_connection: u32,
    /// Streams of one tunnel (responses, WebSockets, TCP, access streams) that one client
    /// address may leave unread at once (`max-stalled-streams-per-client`): past it, the
    /// longest-stalled are reset.
    pub max_stalled_per_client: u32,
    /// What streams whose clients stopped reading may pin at this edge, in bytes
    /// (`max-stalled-memory`): half for stalled streams at their starting window, half lent to
    /// windows that grew (`tether_transport::recv_window`). Past it, the stalled streams of the
    /// address holding the most are reset.
    pub max_stalled_memory: u64,
}

pub const DEFAULT_STREAM_LIMITS: StreamLimits = StreamLimits {
    body_read_timeout: Duration::from_secs(60),
    send_timeout: Duration::from_secs(60),
    stream_idle_timeout: Some(Duration::from_secs(30 * 60)),
    // nginx's http2_max_concurrent_streams.
    max_streams_per_connection: 128,
    // What one person's browser tabs and downloads might leave unread at once.
    max_stalled_per_client: 8,
    // 2,048 streams at their starting window (128 KiB) and 256 MiB of grown windows.
    max_stalled_memory: 512 << 20,
};

pub(super) fn stream_limits(at: &Fields, raw: &Raw) -> Result<StreamLimits, ConfigError> {
    let d = DEFAULT_STREAM_LIMITS;
    let idle = at.duration(
        "stream-idle-timeout",
        &raw.stream_idle_timeout,
        d.stream_idle_timeout.unwrap_or_default(),
    )?;
    Ok(StreamLimits {
        body_read_timeout: at.duration(
            "body-read-timeout",
            &raw.body_read_timeout,
            d.body_read_timeout,
        )?,
        send_timeout: at.duration("send-timeout", &raw.send_timeout, d.send_timeout)?,
        stream_idle_timeout: (!idle.is_zero()).then_some(idle),
        max_streams_per_connection: at.positive(
            "max-streams-per-connection",
            raw.max_streams_per_connection,
            d.max_streams_per_connection,
        )?,
        max_stalled_per_client: at.positive(
            "max-stalled-streams-per-client",
            raw.max_stalled_streams_per_client,
            d.max_stalled_per_client,
        )?,
        max_stalled_memory: at.bytes(
            "max-stalled-memory",
            &raw.max_stalled_memory,
            d.max_stalled_memory,
        )?,
    })
}
