//! The connector's Prometheus metrics (`/metrics` on the `metrics:` address). Labels are a
//! small fixed set (kind, status class, cause, edge address): no per-hostname labels.

use std::time::Duration;

use crate::cloudflared_metrics::{CloudflaredMetrics, CodeLabels};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tether_runtime::metric_parts::{duration_histogram, rtt_histogram, status_class};
pub use tether_runtime::metric_parts::{CauseLabels, KindLabels, StatusLabels, StreamCount};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EdgeLabels {
    /// The edge address the session was dialled at.
    pub edge: String,
}

/// A stream counted as open (by kind, in all, and as a TCP session) until dropped.
pub struct OpenStream {
    _kind: StreamCount,
    _all: StreamCount,
    _tcp: Option<StreamCount>,
}

#[derive(Debug)]
pub struct ConnectorMetrics {
    pub sessions: Family<EdgeLabels, Gauge>,
    pub reconnects: Counter,
    pub ping_rtt: Histogram,
    pub streams_active: Family<KindLabels, Gauge>,
    pub requests: Family<StatusLabels, Counter>,
    pub origin_errors: Family<CauseLabels, Counter>,
    pub request_duration: Histogram,
    /// Stalled streams reset while the machine was short of TCP memory (`serve::stalls`).
    pub stalled_reset: Counter,
    /// The same figures under cloudflared's names.
    pub cloudflared: CloudflaredMetrics,
}

impl Default for ConnectorMetrics {
    fn default() -> Self {
        ConnectorMetrics {
            sessions: Family::default(),
            reconnects: Counter::default(),
            ping_rtt: rtt_histogram(),
            streams_active: Family::default(),
            requests: Family::default(),
            origin_errors: Family::default(),
            request_duration: duration_histogram(),
            stalled_reset: Counter::default(),
            cloudflared: CloudflaredMetrics::default(),
        }
    }
}

impl ConnectorMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "tether_connector_sessions",
            "Tunnel sessions open now, by edge address",
            self.sessions.clone(),
        );
        registry.register(
            "tether_connector_reconnects",
            "Sessions dialled again after one was lost or a dial failed",
            self.reconnects.clone(),
        );
        registry.register(
            "tether_connector_ping_rtt_seconds",
            "Round trip of the HTTP/2 PINGs that watch each session",
            self.ping_rtt.clone(),
        );
        registry.register(
            "tether_connector_streams_active",
            "Streams open now, by kind (http, websocket, tcp)",
            self.streams_active.clone(),
        );
        registry.register(
            "tether_connector_requests",
            "HTTP requests answered, by status class (responses the connector made itself included)",
            self.requests.clone(),
        );
        registry.register(
            "tether_connector_origin_errors",
            "Requests whose origin could not be reached or did not answer in time, by cause",
            self.origin_errors.clone(),
        );
        registry.register(
            "tether_connector_request_duration_seconds",
            "Time from a request's arrival to its response head",
            self.request_duration.clone(),
        );
        registry.register(
            "tether_connector_stalled_streams_reset",
            "Streams whose client stopped reading, reset while the machine's TCP memory was over net.ipv4.tcp_mem's low mark",
            self.stalled_reset.clone(),
        );
        self.cloudflared.register(registry);
    }

    /// Counts one stream of `kind` as open until the returned guard is dropped.
    pub fn stream(&self, kind: &'static str) -> OpenStream {
        let cf = &self.cloudflared;
        cf.total_requests.inc();
        let tcp = (kind == "tcp").then(|| {
            cf.tcp_total_sessions.inc();
            StreamCount::new(cf.tcp_active_sessions.clone())
        });
        OpenStream {
            _kind: StreamCount::new(
                self.streams_active
                    .get_or_create(&KindLabels { kind })
                    .clone(),
            ),
            _all: StreamCount::new(cf.concurrent_requests.clone()),
            _tcp: tcp,
        }
    }

    /// A request's origin failed for `cause`.
    pub fn origin_error(&self, cause: &'static str) {
        self.origin_errors
            .get_or_create(&CauseLabels { cause })
            .inc();
        self.cloudflared.request_errors.inc();
    }

    /// One HTTP request answered with `status` after `took`.
    pub fn answered(&self, status: http::StatusCode, took: Duration) {
        self.requests
            .get_or_create(&StatusLabels {
                status: status_class(status),
            })
            .inc();
        self.request_duration.observe(took.as_secs_f64());
        self.cloudflared
            .response_by_code
            .get_or_create(&CodeLabels {
                status_code: status.as_u16(),
            })
            .inc();
    }
}
