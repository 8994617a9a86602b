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
    init_with(&LogOptions {
        json,
        default_filter: default,
        level: None,
        file: None,
    });
}

/// Where and how much to log: the connector's `--loglevel` and `--logfile` (cloudflared's flags
/// and config keys) on top of [`init`]'s choices.
pub struct LogOptions<'a> {
    pub json: bool,
    /// The filter when neither `RUST_LOG` nor `level` is set.
    pub default_filter: &'a str,
    /// cloudflared's level names: `debug`, `info`, `warn`, `error`, `fatal` (`trace` too).
    pub level: Option<&'a str>,
    /// Also append every line to this file (without colours), as cloudflared's `--logfile` does.
    pub file: Option<std::fs::File>,
}

/// A cloudflared level name as a tracing filter; `None` when it is not one.
pub fn level_filter(level: &str) -> Option<&'static str> {
    Some(match level.to_ascii_lowercase().as_str() {
        "trace" => "trace",
        "debug" => "debug",
        "info" => "info",
        "warn" | "warning" => "warn",
        "error" | "fatal" | "panic" => "error",
        _ => return None,
    })
}

/// Installs the subscriber: `RUST_LOG` wins, then `level`, then `default_filter`.
pub fn init_with(options: &LogOptions) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        options
            .level
            .and_then(level_filter)
            .unwrap_or(options.default_filter)
            .into()
    });
    // stderr keeps tracing-subscriber's colour default (which honours NO_COLOR).
    let stderr = layer(options.json, None, std::io::stderr);
    let file = options
        .file
        .as_ref()
        .and_then(|f| f.try_clone().ok())
        .map(|f| layer(options.json, Some(false), std::sync::Mutex::new(f)));
    tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file)
        .init();
}

/// One formatting layer: text or JSON lines to `writer`.
fn layer<S, W>(
    json: bool,
    ansi: Option<bool>,
    writer: W,
) -> Box<dyn tracing_subscriber::Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::Layer;
    let mut fmt = tracing_subscriber::fmt::layer().with_writer(writer);
    if let Some(ansi) = ansi {
        fmt = fmt.with_ansi(ansi);
    }
    if json {
        fmt.json().boxed()
    } else {
        fmt.boxed()
    }
}
