//! One tunnel session: TCP → TLS (edge verified) → signed WebSocket upgrade → HTTP/2 server.
//!
//! The connector is the HTTP/2 server and the edge the client, the shape of cloudflared's http2
//! transport: every public request arrives as a stream the edge opens.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use bytes::Bytes;
use ed25519_dalek::SigningKey;
use tether_proto::handshake::{SessionClaim, EXPORTER_LABEL, EXPORTER_LEN, SUBPROTOCOL};
use tether_proto::liveness::{Liveness, Pulse};
use tether_proto::tuning;
use tether_proto::wsstream::WsStream;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::ingress::Ingress;
use crate::metrics::{ConnectorMetrics, EdgeLabels};

use super::dial::{EdgeTarget, SessionError};

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
