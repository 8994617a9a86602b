//! Log set-up both binaries share: to stderr, as text or JSON lines, filtered by `RUST_LOG`.

/// The filter without `RUST_LOG`: `info`, with hickory's per-query chatter off, and rustls's
/// warnings about what clients send (an IP address as SNI, say), which any client can trigger
/// once per connection.
pub const DEFAULT_FILTER: &str = "info,hickory_server=warn,hickory_proto=warn,rustls=error";

/// Installs the process's log subscriber; `json` writes one JSON object per line.
pub fn init(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| DEFAULT_FILTER.into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
