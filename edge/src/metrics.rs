//! The edge's Prometheus metrics, and `/metrics` in the text format on `listen.metrics`. Labels
//! are a small fixed set (status class, cause, kind, direction): no per-hostname labels.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tether_runtime::metric_parts::{duration_histogram, rtt_histogram, status_class};
pub use tether_runtime::metric_parts::{CauseLabels, KindLabels, StatusLabels, StreamCount};
use tether_runtime::status::{metrics_page, Page};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DirectionLabels {
    /// `in`: from public clients into tunnels; `out`: back to them.
    pub direction: &'static str,
}

#[derive(Debug)]
pub struct EdgeMetrics {
    pub requests: Family<StatusLabels, Counter>,
    pub errors: Family<CauseLabels, Counter>,
    pub request_duration: Histogram,
    pub streams_active: Family<KindLabels, Gauge>,
    pub bytes: Family<DirectionLabels, Counter>,
    /// The two members of `bytes`, taken once: they are counted per body frame.
    pub bytes_in: Counter,
    pub bytes_out: Counter,
    pub sessions: Gauge,
    pub ping_rtt: Histogram,
    /// Streams over edge-to-edge links: `out`, sent to an edge holding the tunnel's session
    /// because this one held none; `in`, carried here for another edge.
    pub link_streams: Family<DirectionLabels, Counter>,
    /// What a protection limit refused, by limit.
    pub limited: Family<LimitLabels, Counter>,
    /// ACME orders this edge placed, by outcome and reason.
    pub acme_orders: Family<AcmeLabels, Counter>,
    /// The last error pages the edge answered for routed requests, newest last: the
    /// dashboard's "recent errors" of a tunnel (a metric label per tunnel would be unbounded).
    pub recent_errors: Mutex<VecDeque<RecentError>>,
}

/// How many recent errors an edge keeps.
pub const RECENT_ERRORS: usize = 50;

/// One error page the edge answered for a tunnel's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentError {
    /// Unix seconds.
    pub at: u64,
    pub tunnel: uuid::Uuid,
    pub status: u16,
    pub cause: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AcmeLabels {
    /// `issued` or `failed`.
    pub result: &'static str,
    /// `new` (no certificate yet) or `renewal`.
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LimitLabels {
    /// `request_rate`, `connections`, `failed_handshakes`, `access_sessions`, `stalled_stream`…
    pub limit: &'static str,
}

impl Default for EdgeMetrics {
    fn default() -> Self {
        let bytes = Family::<DirectionLabels, Counter>::default();
        let direction = |direction| bytes.get_or_create(&DirectionLabels { direction }).clone();
        let (bytes_in, bytes_out) = (direction("in"), direction("out"));
        EdgeMetrics {
            requests: Family::default(),
            errors: Family::default(),
            request_duration: duration_histogram(),
            streams_active: Family::default(),
            bytes,
            bytes_in,
            bytes_out,
            sessions: Gauge::default(),
            ping_rtt: rtt_histogram(),
            link_streams: Family::default(),
            limited: Family::default(),
            acme_orders: Family::default(),
            recent_errors: Mutex::default(),
        }
    }
}

impl EdgeMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "tether_edge_requests",
            "Public requests answered, by status class (the edge's own error pages included)",
            self.requests.clone(),
        );
        registry.register(
            "tether_edge_errors",
            "Requests the edge answered with its own error page, by cause",
            self.errors.clone(),
        );
        registry.register(
            "tether_edge_request_duration_seconds",
            "Time from a public request's arrival to its response head",
            self.request_duration.clone(),
        );
        registry.register(
            "tether_edge_streams_active",
            "Tunnel streams open now, by kind (http, websocket, tcp; link: carried for another edge)",
            self.streams_active.clone(),
        );
        registry.register(
            "tether_edge_bytes",
            "Body and stream bytes carried: in from public clients, out to them",
            self.bytes.clone(),
        );
        registry.register(
            "tether_edge_sessions",
            "Tunnel sessions connected to this edge now",
            self.sessions.clone(),
        );
        registry.register(
            "tether_edge_ping_rtt_seconds",
            "Round trip of the HTTP/2 PINGs that watch each tunnel session",
            self.ping_rtt.clone(),
        );
        registry.register(
            "tether_edge_link_streams",
            "Streams over edge-to-edge links: out to an edge holding the tunnel's session, in for another edge",
            self.link_streams.clone(),
        );
        registry.register(
            "tether_edge_limited",
            "What the edge's protection limits refused (429 and the like), by limit",
            self.limited.clone(),
        );
        registry.register(
            "tether_edge_acme_orders",
            "ACME orders this edge placed, by result (issued, failed) and kind (new, renewal)",
            self.acme_orders.clone(),
        );
    }

    /// One refusal by the protection limit `limit`.
    pub fn limited(&self, limit: &'static str) {
        self.limited.get_or_create(&LimitLabels { limit }).inc();
    }

    /// One public request answered with `status` after `took`.
    pub fn answered(&self, status: StatusCode, took: Duration) {
        self.requests
            .get_or_create(&StatusLabels {
                status: status_class(status),
            })
            .inc();
        self.request_duration.observe(took.as_secs_f64());
    }

    /// Keeps an error page answered for a request to `tunnel`.
    pub fn recent_error(&self, tunnel: uuid::Uuid, status: StatusCode, cause: &'static str) {
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if let Ok(mut ring) = self.recent_errors.lock() {
            if ring.len() == RECENT_ERRORS {
                ring.pop_front();
            }
            ring.push_back(RecentError {
                at,
                tunnel,
                status: status.as_u16(),
                cause,
            });
        }
    }

    /// Public requests answered since the edge started, and how many of them were 5xx: what the
    /// dashboard's plots difference into rates.
    pub fn answered_totals(&self) -> (u64, u64) {
        let count = |status| {
            self.requests
                .get(&StatusLabels { status })
                .map_or(0, |c| c.get())
        };
        let errors = count("5xx");
        let all = ["1xx", "2xx", "3xx", "4xx"]
            .into_iter()
            .map(count)
            .sum::<u64>()
            + errors;
        (all, errors)
    }

    /// Tunnel streams open now through this edge: those of its own public clients (HTTP,
    /// WebSocket, TCP, on its sessions or over links) and those it carries for other edges.
    pub fn open_streams(&self) -> i64 {
        ["http", "websocket", "tcp", "link"]
            .into_iter()
            .map(|kind| {
                self.streams_active
                    .get_or_create(&KindLabels { kind })
                    .get()
            })
            .sum()
    }

    /// Counts one stream over an edge-to-edge link, `out` or `in`.
    pub fn link_stream(&self, direction: &'static str) {
        self.link_streams
            .get_or_create(&DirectionLabels { direction })
            .inc();
    }

    /// Counts one stream of `kind` as open until the returned value is dropped.
    pub fn stream(&self, kind: &'static str) -> StreamCount {
        StreamCount::new(
            self.streams_active
                .get_or_create(&KindLabels { kind })
                .clone(),
        )
    }
}

/// The page for `path`: the registry's metrics at `/metrics`, `OK` at `/healthz` (and
/// cloudflared's `/healthcheck`) while the process runs, 404 elsewhere.
pub fn render(registry: &Registry, path: &str) -> Page {
    if matches!(path, "/healthz" | "/healthcheck") {
        return Page::text(StatusCode::OK, "OK\n");
    }
    if path != "/metrics" {
        return Page::text(
            StatusCode::NOT_FOUND,
            "not found; metrics are at /metrics, health at /healthz\n",
        );
    }
    metrics_page(|text| prometheus_client::encoding::text::encode(text, registry))
}

/// Serves `registry` until `shutdown`.
pub async fn serve(listener: TcpListener, registry: Arc<Registry>, shutdown: CancellationToken) {
    tether_runtime::status::serve(listener, shutdown, move |path| render(&registry, path)).await
}
