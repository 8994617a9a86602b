//! HTTP/2 settings for a tunnel session, shared by both ends.
//!
//! From `shared/TRANSPORT-MEASUREMENTS.md` (h2 in WebSocket in TLS on this 2-core machine): a 1 MiB
//! maximum frame and a 4 MiB send buffer took throughput from 3.0 to 4.8 Gbit/s; window sizes
//! alone "changed little".
//!
//! The two windows pull in different directions:
//! - a **stream** window bounds what one stalled stream (a client that stops reading) pins in
//!   the receiver's memory and in the session's window, but also single-stream throughput:
//!   `scripts/bench.sh` measured tunnel downloads at 362–480 MB/s with 2 MiB and 490–534 MB/s
//!   with 4 MiB. So a stream starts at [`STREAM_WINDOW_START`] and its receiver grows it toward
//!   [`STREAM_WINDOW`] only while its reader keeps up (`recv_window.rs`): a client that never
//!   reads pins 128 KiB, not 4 MiB;
//! - the **session** window is shared by every stream, and data a stalled stream holds also holds
//!   session credit. It is the largest HTTP/2 allows, 2 GiB: more than `max-concurrent-streams`
//!   (10,000) streams at their starting window plus every window grown with the process's growth
//!   budget (512 MiB) can hold. Stalled streams therefore cannot fill a session, however many
//!   addresses open them; memory is bounded by the stream windows, not by this credit.

/// Per-stream receive window a stream may grow to while its reader keeps up.
pub const STREAM_WINDOW: u32 = 4 << 20;
/// Per-stream receive window every stream starts with (the SETTINGS value both ends advertise).
pub const STREAM_WINDOW_START: u32 = 128 << 10;
/// Per-session receive window, shared by all streams: the largest HTTP/2 allows (RFC 9113
/// §6.9.1, 2^31 - 1).
pub const CONNECTION_WINDOW: u32 = (1 << 31) - 1;
/// Largest h2 frame we accept.
pub const MAX_FRAME: u32 = 1 << 20;
/// How much h2 buffers per stream before a sender must wait for capacity.
pub const SEND_BUFFER: usize = 1 << 20;

/// Streams the edge may reset before the connector has accepted them, at once: as many as a
/// session may carry by default (`max-concurrent-streams`), so no burst of honest resets reaches it.
pub const MAX_PENDING_RESETS: usize = 10_000;

/// The largest header block a session or link accepts (decoded, as HTTP/2 counts it): a public
/// request's head is capped at 64 KiB, and the edge adds the forwarding and `tether-*` headers.
/// h2's default is 16 MiB.
pub const MAX_HEADER_LIST: u32 = 96 << 10;

/// An h2 client builder with the session settings above. Server push is refused (the peer may
/// open no stream of its own).
pub fn h2_client() -> h2::client::Builder {
    let mut builder = h2::client::Builder::new();
    builder
        .initial_window_size(STREAM_WINDOW_START)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_frame_size(MAX_FRAME)
        .max_send_buffer_size(SEND_BUFFER)
        .max_header_list_size(MAX_HEADER_LIST)
        .enable_push(false);
    builder
}

/// An h2 server builder with the session settings above.
pub fn h2_server() -> h2::server::Builder {
    let mut builder = h2::server::Builder::new();
    builder
        .initial_window_size(STREAM_WINDOW_START)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_frame_size(MAX_FRAME)
        .max_send_buffer_size(SEND_BUFFER)
        .max_header_list_size(MAX_HEADER_LIST);
    builder
}

/// Access sessions (`connector access tcp`) come from anyone who can reach the HTTPS port, before
/// any token: their settings are small. A session is one person's TCP connections (ssh, a
/// database client), so 100 at once, windows that start small and grow as on a tunnel session
/// (up to 16 MiB in all), and 64 KiB of headers (a CONNECT's are a few hundred bytes).
pub fn h2_access_server() -> h2::server::Builder {
    let mut builder = h2::server::Builder::new();
    builder
        .initial_window_size(STREAM_WINDOW_START)
        .initial_connection_window_size(16 << 20)
        .max_frame_size(1 << 16)
        .max_send_buffer_size(1 << 20)
        .max_header_list_size(64 << 10)
        .max_concurrent_streams(ACCESS_STREAMS);
    builder
}

/// Streams one access session may have open at once.
pub const ACCESS_STREAMS: u32 = 100;
