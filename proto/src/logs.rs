//! Log set-up both binaries share: to stderr, as text or JSON lines, filtered by `RUST_LOG`.

/// The edge's filter without `RUST_LOG`: `info`, with hickory's per-query chatter off, and
/// rustls's warnings about what clients send (an IP address as SNI, say), which any public
/// client can trigger once per connection.
pub const EDGE_FILTER: &str = "info,hickory_server=warn,hickory_proto=warn,rustls=error";

/// The connector's: everything at `info` (its TLS peers are its edges and origins, whose
/// warnings are worth reading).
pub const CONNECTOR_FILTER: &str = "info";

/// Installs the process's log subscriber, filtered by `RUST_LOG`, else by `default`; `json`
/// writes one JSON object per line.
pub fn init(json: bool, default: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
