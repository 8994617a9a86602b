//! HTTP/2 settings for a tunnel session, shared by both ends.
//!
//! From `shared/TRANSPORT-MEASUREMENTS.md` (h2 in WebSocket in TLS on this 2-core machine): a 1 MiB
//! maximum frame and a 4 MiB send buffer took throughput from 3.0 to 4.8 Gbit/s; window sizes
//! alone "changed little". Windows bound the memory a stalled stream can pin on the receiver, so
//! they are kept moderate: with 16 MiB windows the 2 GiB transfer test peaked at 57 MiB RSS at the
//! edge, against its 64 MiB limit.

/// Per-stream receive window.
pub const STREAM_WINDOW: u32 = 4 << 20;
/// Per-session receive window, shared by all streams.
pub const CONNECTION_WINDOW: u32 = 8 << 20;
/// Largest h2 frame we accept.
pub const MAX_FRAME: u32 = 1 << 20;
/// How much hyper may buffer per stream before it stops polling the body.
pub const SEND_BUFFER: usize = 1 << 20;
