//! The connector's Prometheus metrics (`/metrics` on the `metrics:` address). Labels are a
//! small fixed set (kind, status class, cause, edge address): no per-hostname labels.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EdgeLabels {
    /// The edge address the session was dialled at.
    pub edge: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// `http`, `websocket` or `tcp`.
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    /// `1xx` … `5xx`.
    pub status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CauseLabels {
    /// `unreachable` or `timeout` (`tether_proto::headers::OriginFailure`).
    pub cause: &'static str,
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
}

impl Default for ConnectorMetrics {
    fn default() -> Self {
        ConnectorMetrics {
            sessions: Family::default(),
            reconnects: Counter::default(),
            // 50 µs to about 1.6 s.
            ping_rtt: Histogram::new(exponential_buckets(0.000_05, 2.0, 16)),
            streams_active: Family::default(),
            requests: Family::default(),
            origin_errors: Family::default(),
            // 1 ms to about 65 s.
            request_duration: Histogram::new(exponential_buckets(0.001, 2.0, 17)),
        }
    }
}

/// `2xx` for 200, and so on.
pub fn status_class(status: http::StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
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
    }

    /// Counts one stream of `kind` as open until the returned guard is dropped.
    pub fn stream(&self, kind: &'static str) -> StreamCount {
        let gauge = self
            .streams_active
            .get_or_create(&KindLabels { kind })
            .clone();
        gauge.inc();
        StreamCount(gauge)
    }

    /// One HTTP request answered with `status` after `took`.
    pub fn answered(&self, status: http::StatusCode, took: Duration) {
        self.requests
            .get_or_create(&StatusLabels {
                status: status_class(status),
            })
            .inc();
        self.request_duration.observe(took.as_secs_f64());
    }
}

/// An open stream, counted in `tether_connector_streams_active` while it lives.
pub struct StreamCount(Gauge);

impl Drop for StreamCount {
    fn drop(&mut self) {
        self.0.dec();
    }
}
