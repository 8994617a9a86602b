//! Metric pieces the edge and the connector share (prometheus-client): the label sets both use,
//! the status class of a response, request-duration and PING buckets, and a gauge held up while
//! a stream is open.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    /// `1xx` … `5xx`.
    pub status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CauseLabels {
    /// Why a request failed: `origin_unreachable`, `tunnel_offline`, …
    pub cause: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// `http`, `websocket` or `tcp`.
    pub kind: &'static str,
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

/// Request durations: 1 ms to about 65 s.
pub fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

/// PING round trips: 50 µs to about 1.6 s.
pub fn rtt_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

/// An open stream, counted in a gauge while it lives.
pub struct StreamCount(Gauge);

impl StreamCount {
    pub fn new(gauge: Gauge) -> StreamCount {
        gauge.inc();
        StreamCount(gauge)
    }
}

impl Drop for StreamCount {
    fn drop(&mut self) {
        self.0.dec();
    }
}
