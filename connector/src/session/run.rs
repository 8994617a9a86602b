//! One tunnel session: TCP → TLS (edge verified) → signed WebSocket upgrade → HTTP/2 server.
//!
//! The connector is the HTTP/2 server and the edge the client, the shape of cloudflared's http2
//! transport: every public request arrives as a stream the edge opens.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::{Method, Request};
use tether_proto::handshake::{SessionClaim, SUBPROTOCOL};
use tether_proto::headers::CONTROL;
use tether_transport::h2body::RecvBody;
use tether_transport::liveness::{Heard, Liveness};
use tether_transport::pressed_window::{self, Follow};
use tether_transport::session_io::SessionIo;
use tether_transport::stall::Backpressure;
use tether_transport::tuning;
use tether_transport::wsstream::WsStream;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_util::sync::CancellationToken;

use crate::cloudflared_metrics::LocationLabels;
use crate::metrics::EdgeLabels;
use crate::serve::respond::answer;

use tether_transport::dial::Dialer;

use super::dial::SessionError;
use super::slot::Slot;

/// Dials the edge and serves the session until it ends or `shutdown` fires (then it drains).
/// `replaced` is cancelled when a replacement session took over this one's slot, whose pulse
/// then stays the replacement's.
pub async fn run(
    target: &Dialer,
    ctx: Arc<Slot>,
    shutdown: CancellationToken,
    replaced: CancellationToken,
) -> Result<(), SessionError> {
    let (mut connection, heard, backpressure) = open(target, &ctx).await?;
    let mut liveness = tokio::spawn(Liveness::new(ctx.connector.liveness_timeout).watch(
        connection.ping_pong(),
        ctx.pulse.clone(),
        heard,
    ));
    let counted = Counted::new(&ctx, &target.address);
    let result = serve(
        &mut connection,
        &ctx,
        &backpressure,
        &mut liveness,
        &shutdown,
    )
    .await;
    drop(counted);
    // Stopped for good before the pulse is cleared, so no late PONG marks a dead slot ready.
    // (A finished watch may already have been awaited by `serve`: never poll it twice.)
    if !liveness.is_finished() {
        liveness.abort();
        let _ = (&mut liveness).await;
    }
    if !replaced.is_cancelled() {
        ctx.pulse.clear();
    }
    result
        .map_err(|e| SessionError::Transient(format!("session lost with {}: {e}", target.address)))
}

type Session = h2::server::Connection<SessionIo<WsStream<TlsStream<TcpStream>>>, Bytes>;

/// The signed upgrade through the transport's dialer, then this side's HTTP/2 server.
async fn open(target: &Dialer, ctx: &Slot) -> Result<(Session, Heard, Backpressure), SessionError> {
    let claim = SessionClaim {
        tunnel_id: ctx.connector.tunnel_id,
        connector_id: ctx.connector.connector_id,
        conn_index: ctx.index,
        version: env!("CARGO_PKG_VERSION").into(),
    };
    let dialled = target
        .websocket(&[SUBPROTOCOL], |exporter| {
            let mut headers = http::HeaderMap::new();
            claim.write_headers(&mut headers, &claim.sign(&ctx.connector.key, exporter));
            Ok(headers)
        })
        .await?;
    let heard = Heard::default();
    let io = SessionIo::new(WsStream::new(dialled.ws), heard.clone());
    let backpressure = io.backpressure();
    let connection = tuning::h2_server()
        .enable_connect_protocol()
        .max_concurrent_streams(u32::MAX)
        // h2's rapid-reset guard (CVE-2023-44487) closes the connection after 20 streams reset
        // before they were accepted. Here the peer is the authenticated edge relaying public
        // clients, and hundreds of them going away at once is ordinary (a load generator
        // stopping, a page closed); the guard would drop the whole tunnel. The edge guards its
        // public side itself.
        .max_pending_accept_reset_streams(tuning::MAX_PENDING_RESETS)
        .handshake::<_, Bytes>(io)
        .await
        .map_err(|e| {
            let address = &target.address;
            SessionError::Transient(format!("HTTP/2 handshake failed with {address}: {e}"))
        })?;
    Ok((connection, heard, backpressure))
}

/// The session counted in the metrics (ours and cloudflared's names) while it lives.
struct Counted {
    open: prometheus_client::metrics::gauge::Gauge,
    location: prometheus_client::metrics::gauge::Gauge,
    ha_connections: prometheus_client::metrics::gauge::Gauge,
}

impl Counted {
    fn new(ctx: &Slot, edge: &str) -> Counted {
        let metrics = &ctx.connector.metrics;
        let open = metrics.sessions.get_or_create(&EdgeLabels {
            edge: edge.to_string(),
        });
        let location = metrics
            .cloudflared
            .server_locations
            .get_or_create(&LocationLabels {
                connection_id: ctx.index.to_string(),
                edge_location: edge.to_string(),
            });
        let counted = Counted {
            open: open.clone(),
            location: location.clone(),
            ha_connections: metrics.cloudflared.ha_connections.clone(),
        };
        counted.open.inc();
        counted.ha_connections.inc();
        counted.location.set(1);
        counted
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.location.set(0);
        self.ha_connections.dec();
        self.open.dec();
    }
}

/// Accepts the edge's streams until the session ends. On shutdown the session stops taking new
/// streams (GOAWAY: the edge sends them to other sessions) and in-flight ones, WebSockets and
/// TCP streams included, may finish, for at most `grace-period`.
async fn serve(
    connection: &mut Session,
    ctx: &Arc<Slot>,
    backpressure: &Backpressure,
    liveness: &mut tokio::task::JoinHandle<String>,
    shutdown: &CancellationToken,
) -> Result<(), SessionEnded> {
    let drain_deadline = tokio::time::sleep(Duration::MAX);
    tokio::pin!(drain_deadline);
    let mut draining = false;
    // The edge's request bodies (uploads) start small while this machine is short of TCP memory
    // (`tether_transport::pressed_window`).
    let mut follow = Follow::new(pressed_window::shortage());
    loop {
        follow.apply(connection);
        let accepted = tokio::select! {
            accepted = connection.accept() => accepted,
            _ = follow.next() => continue,
            reason = &mut *liveness => return Err(SessionEnded::Silent(reason.unwrap_or_else(|e| e.to_string()))),
            _ = shutdown.cancelled(), if !draining => {
                draining = true;
                connection.graceful_shutdown();
                drain_deadline.as_mut().reset(tokio::time::Instant::now() + ctx.connector.grace_period);
                continue;
            }
            _ = &mut drain_deadline => return Ok(()),
        };
        match accepted {
            Some(Ok((req, respond))) => {
                tokio::spawn(dispatch(req, respond, ctx.clone(), backpressure.clone()));
            }
            Some(Err(e)) => return Err(SessionEnded::Http2(e)),
            None => return Ok(()),
        }
    }
}

/// Why a session ended that neither side closed.
#[derive(Debug, thiserror::Error)]
enum SessionEnded {
    /// The edge stopped answering PINGs (the liveness watch's reason).
    #[error("{0}")]
    Silent(String),
    #[error("{0}")]
    Http2(h2::Error),
}

/// A control message (a request, never a CONNECT, marked `tether-control`) is answered here;
/// every other stream goes to `serve`.
async fn dispatch(
    req: Request<RecvStream>,
    respond: SendResponse<Bytes>,
    ctx: Arc<Slot>,
    session: Backpressure,
) {
    let control = req
        .headers()
        .get(CONTROL)
        .filter(|_| req.method() != Method::CONNECT);
    match control {
        Some(kind) => {
            let kind = kind.to_str().unwrap_or_default().to_string();
            let response = super::control::handle(&kind, req.map(RecvBody::new), &ctx).await;
            answer(respond, response).await
        }
        None => {
            (ctx.connector.streams.clone())
                .serve(req, respond, session)
                .await
        }
    }
}
