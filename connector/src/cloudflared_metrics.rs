//! The connector's key figures again under cloudflared's metric names, so Grafana dashboards and
//! alerts built for cloudflared keep working after a migration. They are updated at the same
//! points as the `tether_connector_*` metrics (`metrics.rs`); names, labels and meaning follow
//! cloudflared 2026.8 (proxy/metrics.go, supervisor/metrics.go, connection/metrics.go).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;

/// A counter exposed under its bare name. prometheus-client writes counters as `NAME_total`
/// (OpenMetrics); cloudflared's Go client writes `cloudflared_tunnel_total_requests` as is, and
/// that exact name is what existing queries select, so it is encoded as a gauge (PromQL's
/// `rate()` and `increase()` work on either).
#[derive(Debug, Default, Clone)]
pub struct GoCounter(Arc<AtomicU64>);

impl GoCounter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl TypedMetric for GoCounter {
    const TYPE: MetricType = MetricType::Gauge;
}

impl EncodeMetric for GoCounter {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        encoder.encode_gauge(&(self.get() as i64))
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabels {
    pub status_code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LocationLabels {
    /// The session slot (0 … ha-connections − 1), cloudflared's connection index.
    pub connection_id: String,
    /// The edge address the session went to (cloudflared: the data centre's code).
    pub edge_location: String,
}

#[derive(Debug, Default)]
pub struct CloudflaredMetrics {
    /// HTTP requests and TCP streams served.
    pub total_requests: GoCounter,
    /// Requests whose origin could not be reached or did not answer.
    pub request_errors: GoCounter,
    /// Requests and streams open now.
    pub concurrent_requests: Gauge,
    pub response_by_code: Family<CodeLabels, GoCounter>,
    /// Sessions open now.
    pub ha_connections: Gauge,
    /// 1 for a slot's current edge, 0 for the ones it was on before.
    pub server_locations: Family<LocationLabels, Gauge>,
    pub tcp_active_sessions: Gauge,
    pub tcp_total_sessions: GoCounter,
}

impl CloudflaredMetrics {
    pub fn register(&self, registry: &mut Registry) {
        let tunnel = registry.sub_registry_with_prefix("cloudflared_tunnel");
        tunnel.register(
            "total_requests",
            "Amount of requests proxied through all the tunnels",
            self.total_requests.clone(),
        );
        tunnel.register(
            "request_errors",
            "Count of error proxying to origin",
            self.request_errors.clone(),
        );
        tunnel.register(
            "concurrent_requests_per_tunnel",
            "Concurrent requests proxied through each tunnel",
            self.concurrent_requests.clone(),
        );
        tunnel.register(
            "response_by_code",
            "Count of responses by HTTP status code",
            self.response_by_code.clone(),
        );
        tunnel.register(
            "ha_connections",
            "Number of active ha connections",
            self.ha_connections.clone(),
        );
        tunnel.register(
            "server_locations",
            "Where each tunnel is connected to. 1 means current location, 0 means previous locations.",
            self.server_locations.clone(),
        );
        let tcp = registry.sub_registry_with_prefix("cloudflared_tcp");
        tcp.register(
            "active_sessions",
            "Concurrent count of TCP sessions that are being proxied to any origin",
            self.tcp_active_sessions.clone(),
        );
        tcp.register(
            "total_sessions",
            "Total count of TCP sessions that have been proxied to any origin",
            self.tcp_total_sessions.clone(),
        );
    }
}
