//! HTTP/2 settings for a tunnel session, shared by both ends.
//!
//! From `shared/TRANSPORT-MEASUREMENTS.md` (h2 in WebSocket in TLS on this 2-core machine): a 1 MiB
//! maximum frame and a 4 MiB send buffer took throughput from 3.0 to 4.8 Gbit/s; window sizes
//! alone "changed little".
//!
//! The two windows pull in different directions:
//! - the **stream** window is what one stalled stream (a client that stops reading) pins in the
//!   receiver's memory, so it is small: with 16 MiB windows the 2 GiB transfer test peaked at
//!   57 MiB RSS at the edge, against its 64 MiB limit;
//! - the **session** window is shared by every stream, and data a stalled stream holds also holds
//!   session credit; if it were only a few stream windows, a few clients that stop reading would
//!   stall every other stream of the tunnel. So it is many stream windows wide: 32 stalled
//!   streams are needed to stall a session, and the memory that costs is the bound below.

/// Per-stream receive window.
pub const STREAM_WINDOW: u32 = 2 << 20;
/// Per-session receive window, shared by all streams: 32 stream windows.
pub const CONNECTION_WINDOW: u32 = 64 << 20;
/// Largest h2 frame we accept.
pub const MAX_FRAME: u32 = 1 << 20;
/// How much hyper may buffer per stream before it stops polling the body.
pub const SEND_BUFFER: usize = 1 << 20;
