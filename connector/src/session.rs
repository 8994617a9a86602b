//! One tunnel session: TCP → TLS (edge verified) → signed WebSocket upgrade → HTTP/2 server.
//!
//! The connector is the HTTP/2 server and the edge the client, the shape of cloudflared's http2
//! transport: every public request arrives as a stream the edge opens.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use bytes::Bytes;
use ed25519_dalek::SigningKey;
use http::{HeaderValue, StatusCode};
use rustls::pki_types::ServerName;
use tether_proto::handshake::{Refusal, SessionClaim, EXPORTER_LABEL, EXPORTER_LEN, SUBPROTOCOL};
use tether_proto::liveness::{Liveness, Pulse};
use tether_proto::tuning;
use tether_proto::wsstream::{session_ws_config, WsStream};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::ingress::Ingress;
use crate::metrics::{ConnectorMetrics, EdgeLabels};

const DIAL_TIMEOUT: Duration = Duration::from_secs(15);

/// Where and how to reach the edge.
#[derive(Clone)]
pub struct EdgeTarget {
    /// `wss://host:port/path`.
    pub url: String,
    /// `host:port` to dial.
    pub address: String,
    pub server_name: ServerName<'static>,
    pub tls: Arc<rustls::ClientConfig>,
}

impl EdgeTarget {
    /// From the credentials' address or a `tunnel.yml` `edge:` override (`HOST:PORT` or a
    /// `wss://` URL, e.g. the edge's public HTTPS port and reserved path).
    pub fn new(
        edge: &str,
        server_name: &str,
        tls: Arc<rustls::ClientConfig>,
    ) -> Result<EdgeTarget, String> {
        let endpoint = tether_proto::endpoint::Endpoint::parse(edge)?;
        // A URL names the host whose certificate we expect; HOST:PORT is the tunnel listener,
        // whose certificate carries the credentials' server name.
        let name = if endpoint.is_url {
            endpoint.host.clone()
        } else {
            server_name.to_string()
        };
        let server_name = ServerName::try_from(name.clone())
            .map_err(|_| format!("`{name}` is not a valid TLS server name"))?;
        Ok(EdgeTarget {
            address: endpoint.address(),
            url: endpoint.url,
            server_name,
            tls,
        })
    }
}

impl EdgeTarget {
    fn transient(&self, what: &str, e: &dyn std::fmt::Display) -> SessionError {
        SessionError::Transient(format!("{what} {}: {e}", self.address))
    }

    /// TCP, then TLS with the edge's certificate verified, each bounded by [`DIAL_TIMEOUT`].
    pub async fn connect_tls(&self) -> Result<TlsStream<TcpStream>, SessionError> {
        let tcp = tokio::time::timeout(DIAL_TIMEOUT, TcpStream::connect(&self.address))
            .await
            .map_err(|_| {
                SessionError::Transient(format!("connecting to {} timed out", self.address))
            })?
            .map_err(|e| self.transient("cannot connect to", &e))?;
        let _ = tcp.set_nodelay(true);
        tokio::time::timeout(
            DIAL_TIMEOUT,
            TlsConnector::from(self.tls.clone()).connect(self.server_name.clone(), tcp),
        )
        .await
        .map_err(|_| {
            SessionError::Transient(format!("TLS handshake with {} timed out", self.address))
        })?
        .map_err(|e| self.transient("TLS handshake failed with", &e))
    }

    /// The WebSocket upgrade request for this target's URL with `subprotocol`.
    pub fn request(&self, subprotocol: &'static str) -> Result<http::Request<()>, SessionError> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| SessionError::Permanent(format!("bad edge URL {}: {e}", self.url)))?;
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static(subprotocol),
        );
        Ok(request)
    }

    /// Sends the upgrade; a refusal carries the edge's status and one-line reason, permanent or
    /// transient as the edge said.
    pub async fn upgrade(
        &self,
        tls: TlsStream<TcpStream>,
        request: http::Request<()>,
    ) -> Result<WebSocketStream<TlsStream<TcpStream>>, SessionError> {
        match tokio_tungstenite::client_async_with_config(request, tls, Some(session_ws_config()))
            .await
        {
            Ok((ws, _response)) => Ok(ws),
            Err(WsError::Http(response)) => {
                let status = response.status();
                let reason = response
                    .body()
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).trim().to_string())
                    .unwrap_or_default();
                let message = format!(
                    "edge {} refused the session: {status} {reason}",
                    self.address
                );
                Err(match Refusal::of_response(status, response.headers()) {
                    Refusal::Permanent if status != StatusCode::SERVICE_UNAVAILABLE => {
                        SessionError::Permanent(message)
                    }
                    _ => SessionError::Transient(message),
                })
            }
            Err(e) => Err(self.transient("WebSocket handshake failed with", &e)),
        }
    }
}

/// What one session slot runs with: the connector's identity and rules, shared by every slot,
/// and the slot's own index and pulse.
pub struct SessionCtx {
    pub tunnel_id: Uuid,
    pub connector_id: Uuid,
    /// This slot's number, `0..ha-connections`.
    pub index: u8,
    pub key: SigningKey,
    /// Swapped whole on reload; each stream keeps the snapshot it started with.
    pub ingress: Arc<ArcSwap<Ingress>>,
    /// Counts this slot's registrations: the first session's start the others, a replacement's
    /// ends the session it replaces.
    pub registrations: tokio::sync::watch::Sender<u64>,
    /// Set by the edge's `move` control message: its edge is draining.
    pub move_requested: tokio::sync::Notify,
    /// The edges known, shared by every slot; registrations add to them.
    pub edges: Arc<crate::edges::EdgePool>,
    /// The address this slot dialled last (the edge a `move` comes from).
    pub dialled: std::sync::Mutex<String>,
    /// A session that answers no PING for this long is dead (`liveness-timeout`).
    pub liveness_timeout: Duration,
    /// How long in-flight streams may run on after shutdown (`grace-period`).
    pub grace_period: Duration,
    /// When the current session last answered a PING (for `/ready`).
    pub pulse: Pulse,
    /// The connector's metrics, shared by every slot.
    pub metrics: Arc<ConnectorMetrics>,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Retry with backoff.
    #[error("{0}")]
    Transient(String),
    /// The edge refused us for good (unknown or deleted tunnel, bad key): stop.
    #[error("{0}")]
    Permanent(String),
}

/// Dials the edge and serves the session until it ends or `shutdown` fires (then it drains).
/// `replaced` is cancelled when a replacement session took over this one's slot, whose pulse
/// then stays the replacement's.
pub async fn run(
    target: &EdgeTarget,
    ctx: Arc<SessionCtx>,
    shutdown: CancellationToken,
    replaced: CancellationToken,
) -> Result<(), SessionError> {
    let tls = target.connect_tls().await?;
    let exporter: [u8; EXPORTER_LEN] = tls
        .get_ref()
        .1
        .export_keying_material([0u8; EXPORTER_LEN], EXPORTER_LABEL, None)
        .map_err(|e| target.transient("cannot export keying material with", &e))?;
    let claim = SessionClaim {
        tunnel_id: ctx.tunnel_id,
        connector_id: ctx.connector_id,
        conn_index: ctx.index,
        version: env!("CARGO_PKG_VERSION").into(),
    };
    let mut request = target.request(SUBPROTOCOL)?;
    claim.write_headers(request.headers_mut(), &claim.sign(&ctx.key, &exporter));
    let ws = target.upgrade(tls, request).await?;

    let mut connection = tuning::h2_server()
        .enable_connect_protocol()
        .max_concurrent_streams(u32::MAX)
        // h2's rapid-reset guard (CVE-2023-44487) closes the connection after 20 streams reset
        // before they were accepted. Here the peer is the authenticated edge relaying public
        // clients, and hundreds of them going away at once is ordinary (a load generator
        // stopping, a page closed); the guard would drop the whole tunnel. The edge guards its
        // public side itself.
        .max_pending_accept_reset_streams(tuning::MAX_PENDING_RESETS)
        .handshake::<_, Bytes>(WsStream::new(ws))
        .await
        .map_err(|e| target.transient("HTTP/2 handshake failed with", &e))?;
    let mut liveness = tokio::spawn(
        Liveness::new(ctx.liveness_timeout).watch(connection.ping_pong(), ctx.pulse.clone()),
    );
    let open = ctx
        .metrics
        .sessions
        .get_or_create(&EdgeLabels {
            edge: target.address.clone(),
        })
        .clone();
    open.inc();
    let result = serve(&mut connection, &ctx, &mut liveness, &shutdown).await;
    open.dec();
    // Stopped for good before the pulse is cleared, so no late PONG marks a dead slot ready.
    // (A finished watch may already have been awaited by `serve`: never poll it twice.)
    if !liveness.is_finished() {
        liveness.abort();
        let _ = (&mut liveness).await;
    }
    if !replaced.is_cancelled() {
        ctx.pulse.clear();
    }
    result.map_err(|e| target.transient("session lost with", &e))
}

/// Accepts the edge's streams until the session ends. On shutdown the session stops taking new
/// streams (GOAWAY: the edge sends them to other sessions) and in-flight ones, WebSockets and
/// TCP streams included, may finish, for at most `grace-period`.
async fn serve(
    connection: &mut h2::server::Connection<WsStream<TlsStream<TcpStream>>, Bytes>,
    ctx: &Arc<SessionCtx>,
    liveness: &mut tokio::task::JoinHandle<String>,
    shutdown: &CancellationToken,
) -> Result<(), String> {
    let drain_deadline = tokio::time::sleep(Duration::MAX);
    tokio::pin!(drain_deadline);
    let mut draining = false;
    loop {
        let accepted = tokio::select! {
            accepted = connection.accept() => accepted,
            reason = &mut *liveness => return Err(reason.unwrap_or_else(|e| e.to_string())),
            _ = shutdown.cancelled(), if !draining => {
                draining = true;
                connection.graceful_shutdown();
                drain_deadline.as_mut().reset(tokio::time::Instant::now() + ctx.grace_period);
                continue;
            }
            _ = &mut drain_deadline => return Ok(()),
        };
        match accepted {
            Some(Ok((req, respond))) => {
                tokio::spawn(crate::stream::serve(req, respond, ctx.clone()));
            }
            Some(Err(e)) => return Err(e.to_string()),
            None => return Ok(()),
        }
    }
}
