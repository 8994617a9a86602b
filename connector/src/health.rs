//! The operator endpoints on the `metrics:` address (cloudflared's key): `/metrics`
//! (Prometheus), `/ready` (200 while at least one session has answered a PING within
//! `liveness-timeout` and the connector is not draining, the same JSON as cloudflared's) and
//! `/healthz` or cloudflared's `/healthcheck` (200 while the process runs).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use prometheus_client::registry::Registry;
use tether_runtime::status::{metrics_page, Page};
use tether_transport::liveness::Pulse;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Tried in turn when `metrics:` is not set, as cloudflared does, so several connectors on one
/// host each get one; then any free port.
const DEFAULT_PORTS: std::ops::RangeInclusive<u16> = 20241..=20245;

/// Listens on the configured address, or the first free default port on 127.0.0.1. Port 0
/// (`0.0.0.0:0`, the address cloudflared's container images default to) also tries the default
/// ports first, on that address.
pub async fn bind(configured: Option<SocketAddr>) -> anyhow::Result<TcpListener> {
    let ip = match configured {
        Some(addr) if addr.port() != 0 => {
            return TcpListener::bind(addr).await.map_err(|e| {
                anyhow::anyhow!(
                    "cannot listen on the metrics address {addr}: {e}; change `metrics:` in tunnel.yml, --metrics or TUNNEL_METRICS"
                )
            });
        }
        Some(addr) => addr.ip(),
        None => Ipv4Addr::LOCALHOST.into(),
    };
    for port in DEFAULT_PORTS {
        if let Ok(listener) = TcpListener::bind((ip, port)).await {
            return Ok(listener);
        }
    }
    Ok(TcpListener::bind((ip, 0)).await?)
}

/// Where `connector tunnel ready` looks: the configured address, else the default ports.
pub fn ready_addresses(configured: Option<SocketAddr>) -> Vec<SocketAddr> {
    match configured {
        Some(addr) if addr.port() != 0 => vec![addr],
        Some(addr) => DEFAULT_PORTS.map(|p| (addr.ip(), p).into()).collect(),
        None => DEFAULT_PORTS
            .map(|p| (Ipv4Addr::LOCALHOST, p).into())
            .collect(),
    }
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
            // `/healthcheck` is cloudflared's name for it.
            "/healthz" | "/healthcheck" => Page::text(StatusCode::OK, "OK\n"),
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
                "not found: /metrics, /ready, /healthz and /healthcheck are served here\n",
            ),
        }
    }
}

/// Serves the endpoints until `shutdown`.
pub async fn serve(listener: TcpListener, health: Arc<Health>, shutdown: CancellationToken) {
    tether_runtime::status::serve(listener, shutdown, move |path| health.page(path)).await
}

/// What each address answered to `/ready`, none of them 200 (one line or more each).
#[derive(Debug, thiserror::Error)]
#[error("{}", .answers.join("\n"))]
pub struct NotReady {
    pub answers: Vec<String>,
}

/// `connector tunnel ready`: asks each address's `/ready` in turn; `Ok` at the first 200. The
/// error says what each answered, as cloudflared's `tunnel ready` does.
pub async fn probe_ready(addresses: &[SocketAddr]) -> Result<(), NotReady> {
    let mut answers = Vec::new();
    for addr in addresses {
        match tokio::time::timeout(PROBE_TIMEOUT, get_ready(*addr)).await {
            Ok(Ok((StatusCode::OK, _))) => return Ok(()),
            Ok(Ok((status, body))) => answers.push(format!(
                "http://{addr}/ready endpoint returned status code {}\n{body}",
                status.as_u16()
            )),
            Ok(Err(e)) => answers.push(format!("http://{addr}/ready: {e}")),
            Err(_) => answers.push(format!(
                "http://{addr}/ready: no answer in {PROBE_TIMEOUT:?}"
            )),
        }
    }
    Err(NotReady { answers })
}

/// How long one `/ready` may take to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

async fn get_ready(addr: SocketAddr) -> anyhow::Result<(StatusCode, String)> {
    use http_body_util::BodyExt;
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp)).await?;
    tokio::spawn(connection);
    let request = http::Request::get("/ready")
        .header(http::header::HOST, addr.to_string())
        .body(http_body_util::Empty::<bytes::Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((
        status,
        String::from_utf8_lossy(&body).trim_end().to_string(),
    ))
}
