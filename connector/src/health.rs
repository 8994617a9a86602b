//! The operator endpoints on the `metrics:` address (cloudflared's key): `/metrics`
//! (Prometheus), `/ready` (200 while at least one session has answered a PING within
//! `liveness-timeout` and the connector is not draining, the same JSON as cloudflared's) and
//! `/healthz` (200 while the process runs).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use prometheus_client::registry::Registry;
use tether_proto::liveness::Pulse;
use tether_proto::status::{metrics_page, Page};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Tried in turn when `metrics:` is not set, as cloudflared does, so several connectors on one
/// host each get one; then any free port.
const DEFAULT_PORTS: std::ops::RangeInclusive<u16> = 20241..=20245;

/// Listens on the configured address, or the first free default port on 127.0.0.1.
pub async fn bind(configured: Option<SocketAddr>) -> anyhow::Result<TcpListener> {
    if let Some(addr) = configured {
        return TcpListener::bind(addr).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on the metrics address {addr}: {e}; change `metrics:` in tunnel.yml"
            )
        });
    }
    for port in DEFAULT_PORTS {
        if let Ok(listener) = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
            return Ok(listener);
        }
    }
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?)
}

/// What the endpoints read.
pub struct Health {
    pub connector_id: Uuid,
    /// One per session slot.
    pub pulses: Vec<Pulse>,
    /// `liveness-timeout`: a session counts as ready if it answered a PING this recently.
    pub window: Duration,
    pub registry: Registry,
    /// Cancelled when the connector starts draining: from then on it is not ready.
    pub draining: CancellationToken,
}

impl Health {
    fn ready_sessions(&self) -> usize {
        self.pulses
            .iter()
            .filter(|p| p.answered_within(self.window))
            .count()
    }

    pub fn page(&self, path: &str) -> Page {
        match path {
            "/healthz" => Page::text(StatusCode::OK, "OK\n"),
            "/ready" => {
                let ready = if self.draining.is_cancelled() {
                    0
                } else {
                    self.ready_sessions()
                };
                let status = if ready > 0 {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                let body = serde_json::json!({
                    "status": status.as_u16(),
                    "readyConnections": ready,
                    "connectorId": self.connector_id,
                });
                Page {
                    status,
                    content_type: "application/json",
                    body: format!("{body}\n"),
                }
            }
            "/metrics" => {
                metrics_page(|text| prometheus_client::encoding::text::encode(text, &self.registry))
            }
            _ => Page::text(
                StatusCode::NOT_FOUND,
                "not found: /metrics, /ready and /healthz are served here\n",
            ),
        }
    }
}

/// Serves the endpoints until `shutdown`.
pub async fn serve(listener: TcpListener, health: Arc<Health>, shutdown: CancellationToken) {
    tether_proto::status::serve(listener, shutdown, move |path| health.page(path)).await
}
