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
        level_wins: false,
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
    /// `level` was given explicitly (`--loglevel`, `TUNNEL_LOGLEVEL`) and wins over `RUST_LOG`;
    /// otherwise (tunnel.yml's `loglevel`) `RUST_LOG` wins.
    pub level_wins: bool,
    /// Also append every line to this file (without colours), as cloudflared's `--logfile` does.
    pub file: Option<std::fs::File>,
}

/// Tether's own code: `debug` and `trace` open these, and leave the libraries (h2's frames,
/// rustls) at `info`, as cloudflared's debug level shows its own messages. `RUST_LOG` reaches
/// any crate.
const OWN_TARGETS: [&str; 7] = [
    "connector",
    "edge",
    "dns",
    "tether_connector",
    "tether_edge",
    "tether_dns",
    "tether_proto",
];

/// A cloudflared level name as a tracing filter; `None` when it is not one.
pub fn level_filter(level: &str) -> Option<String> {
    let level = match level.to_ascii_lowercase().as_str() {
        "trace" => "trace",
        "debug" => "debug",
        "info" => return Some("info".into()),
        "warn" | "warning" => return Some("warn".into()),
        "error" | "fatal" | "panic" => return Some("error".into()),
        _ => return None,
    };
    let own: Vec<String> = OWN_TARGETS.iter().map(|t| format!("{t}={level}")).collect();
    Some(format!("info,{}", own.join(",")))
}

/// Installs the subscriber: an explicit `level`, else `RUST_LOG`, else `level`, else
/// `default_filter`.
pub fn init_with(options: &LogOptions) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let level = options.level.and_then(level_filter);
    let from_env = match (&level, options.level_wins) {
        (Some(_), true) => None,
        _ => tracing_subscriber::EnvFilter::try_from_default_env().ok(),
    };
    let filter = from_env.unwrap_or_else(|| {
        level
            .unwrap_or_else(|| options.default_filter.to_string())
            .into()
    });
    // Colours only for a terminal, and not with NO_COLOR: not in journald, files or pipes.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let stderr = layer(options.json, colour, std::io::stderr);
    let file = options
        .file
        .as_ref()
        .and_then(|f| f.try_clone().ok())
        .map(|f| layer(options.json, false, std::sync::Mutex::new(f)));
    tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file)
        .init();
}

/// One formatting layer: text or JSON lines to `writer`.
fn layer<S, W>(
    json: bool,
    ansi: bool,
    writer: W,
) -> Box<dyn tracing_subscriber::Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::Layer;
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(ansi);
    match (json, ansi) {
        (true, _) => fmt.json().boxed(),
        (false, true) => fmt.boxed(),
        // A span's fields are formatted once per field formatter *type* and the text is shared
        // by every layer of that type: a plain layer needs a type of its own, or it would
        // reuse the coloured layer's text.
        (false, false) => fmt.fmt_fields(PlainFields::default()).boxed(),
    }
}

/// tracing-subscriber's field formatter under a type of its own (see [`layer`]).
#[derive(Default)]
struct PlainFields(tracing_subscriber::fmt::format::DefaultFields);

impl<'w> tracing_subscriber::fmt::FormatFields<'w> for PlainFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        writer: tracing_subscriber::fmt::format::Writer<'w>,
        fields: R,
    ) -> std::fmt::Result {
        self.0.format_fields(writer, fields)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buffer {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
        }
    }

    #[test]
    fn a_plain_layer_beside_a_coloured_one_writes_no_colours() {
        let (coloured, plain) = (Buffer::default(), Buffer::default());
        let subscriber = tracing_subscriber::registry()
            .with(super::layer(false, true, {
                let b = coloured.clone();
                move || b.clone()
            }))
            .with(super::layer(false, false, {
                let b = plain.clone();
                move || b.clone()
            }));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("Connection", peer = "Server");
            let _entered = span.enter();
            tracing::info!(index = 1, "inside");
        });
        assert!(coloured.text().contains('\u{1b}'), "{}", coloured.text());
        let plain = plain.text();
        assert!(plain.contains("Connection{peer=\"Server\"}"), "{plain}");
        assert!(!plain.contains('\u{1b}'), "{plain}");
    }

    #[test]
    fn debug_opens_tethers_crates_only() {
        let filter = super::level_filter("debug").unwrap();
        assert!(filter.starts_with("info,"), "{filter}");
        assert!(filter.contains("tether_connector=debug"), "{filter}");
        assert_eq!(super::level_filter("fatal").as_deref(), Some("error"));
        assert_eq!(super::level_filter("loud"), None);
    }
}
