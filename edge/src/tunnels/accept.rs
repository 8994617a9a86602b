//! Opening a tunnel session: the authenticated WebSocket upgrade, then HTTP/2 over it.
//!
//! The same handler serves the tunnel listener and the reserved path on the public HTTPS
//! listener. The signature is checked before the 101 is sent; a refusal says why, and whether the
//! connector should give up (`tether-refusal: permanent`) or retry.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tether_proto::control::{Registration, PATH as CONTROL_PATH, REGISTER};
use tether_proto::handshake::{Refusal, SessionClaim, EXPORTER_LEN, HDR_REFUSAL, SUBPROTOCOL};
use tether_proto::headers::{has_token, CONTROL};
use tether_proto::liveness::{Liveness, Pulse};
use tether_proto::tuning;
use tether_proto::wsstream::{session_ws_config, WsStream};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::WebSocketStream;
use uuid::Uuid;

use crate::body::{self, EdgeBody};
use crate::server::Edge;
use crate::sessions::Session;
use crate::state::{now_secs, SessionRecord};

/// A refused upgrade: the status, whether to retry, and a one-line reason.
pub fn refuse(status: StatusCode, refusal: Refusal, reason: &str) -> Response<EdgeBody> {
    let mut response = Response::new(body::full(format!("{reason}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        HDR_REFUSAL,
        header::HeaderValue::from_static(refusal.as_str()),
    );
    response
}

fn wants_tether_websocket(req: &Request<Incoming>) -> bool {
    let h = req.headers();
    has_token(h, header::UPGRADE, "websocket")
        && has_token(h, header::CONNECTION, "upgrade")
        && has_token(h, header::SEC_WEBSOCKET_PROTOCOL, SUBPROTOCOL)
}

/// Handles an upgrade request for a tunnel session. `exporter` is the TLS session's exported
/// keying material the connector must have signed.
pub async fn upgrade(
    req: Request<Incoming>,
    exporter: [u8; EXPORTER_LEN],
    edge: Arc<Edge>,
) -> Response<EdgeBody> {
    if !wants_tether_websocket(&req) {
        return refuse(
            StatusCode::UPGRADE_REQUIRED,
            Refusal::Permanent,
            &format!(
                "this is a Tether tunnel endpoint: open a WebSocket with subprotocol {SUBPROTOCOL}"
            ),
        );
    }
    let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY).cloned() else {
        return refuse(
            StatusCode::BAD_REQUEST,
            Refusal::Permanent,
            "missing Sec-WebSocket-Key",
        );
    };
    let (claim, signature) = match SessionClaim::from_headers(req.headers()) {
        Ok(v) => v,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, Refusal::Permanent, &e.to_string()),
    };
    let tunnel = match edge.state.tunnel(claim.tunnel_id).await {
        Ok(Some(t)) => t,
        Ok(None) => {
            return refuse(
                StatusCode::FORBIDDEN,
                Refusal::Permanent,
                &format!("tunnel {} does not exist (deleted?)", claim.tunnel_id),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot read tunnel from the store");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                Refusal::Transient,
                "the edge cannot read its store; retry",
            );
        }
    };
    let verified = tether_proto::credentials::public_key_from_b64(&tunnel.public_key)
        .map_err(|_| tether_proto::handshake::HandshakeError::BadSignature)
        .and_then(|key| claim.verify(&key, &exporter, &signature));
    if let Err(e) = verified {
        tracing::warn!(tunnel = %tunnel.id, connector = %claim.connector_id, error = %e, "session refused");
        return refuse(
            StatusCode::UNAUTHORIZED,
            Refusal::Permanent,
            &format!("authentication failed for tunnel {}: {e}", tunnel.id),
        );
    }
    // Counted (once authenticated) before the drain flag is read, so a drain that starts now
    // waits for this session and moves it; a drain already started refuses it.
    let registering = Registering::begin(edge.clone(), claim.tunnel_id);
    if edge.draining.is_cancelled() {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            Refusal::Transient,
            "this edge is draining (shutting down); connect to another edge",
        );
    }
    let record = SessionRecord {
        session_id: Uuid::new_v4(),
        tunnel_id: tunnel.id,
        edge_id: edge.config().edge_id.clone(),
        connector_id: claim.connector_id,
        conn_index: claim.conn_index,
        version: claim.version.clone(),
        connected_at: now_secs(),
    };
    let on_upgrade = hyper::upgrade::on(req);
    let tracker_edge = edge.clone();
    edge.tracker.spawn(async move {
        let id = record.session_id;
        match on_upgrade.await {
            Ok(upgraded) => run_session(upgraded, record, tracker_edge, registering).await,
            Err(e) => tracing::warn!(session = %id, error = %e, "session upgrade failed"),
        }
    });
    switching_protocols(&key, SUBPROTOCOL)
}

/// The 101 that accepts a WebSocket upgrade with `subprotocol` (RFC 6455 §4.2.2).
pub fn switching_protocols(
    key: &header::HeaderValue,
    subprotocol: &'static str,
) -> Response<EdgeBody> {
    let mut response = Response::new(body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("upgrade"),
    );
    headers.insert(
        header::UPGRADE,
        header::HeaderValue::from_static("websocket"),
    );
    headers.insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        header::HeaderValue::from_static(subprotocol),
    );
    if let Ok(accept) = derive_accept_key(key.as_bytes()).parse() {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

/// The server side of a WebSocket the edge has just accepted (a tunnel session, a link, an
/// access session), with the sessions' WebSocket settings.
pub async fn server_websocket(
    upgraded: hyper::upgrade::Upgraded,
) -> WebSocketStream<TokioIo<hyper::upgrade::Upgraded>> {
    WebSocketStream::from_raw_socket(
        TokioIo::new(upgraded),
        Role::Server,
        Some(session_ws_config()),
    )
    .await
}

/// Counts a session of a tunnel as being opened until dropped (once it is registered and
/// inserted, or it failed): the drain waits for it, and a request for the tunnel that finds no
/// session anywhere waits for it briefly (`Edge::pick_stream`).
struct Registering(Arc<Edge>, uuid::Uuid);

impl Registering {
    fn begin(edge: Arc<Edge>, tunnel: uuid::Uuid) -> Registering {
        edge.sessions.begin_registering(tunnel);
        Registering(edge, tunnel)
    }
}

impl Drop for Registering {
    fn drop(&mut self) {
        self.0.sessions.end_registering(self.1);
    }
}

/// Drives one session from the 101 until it ends or is closed.
async fn run_session(
    upgraded: hyper::upgrade::Upgraded,
    record: SessionRecord,
    edge: Arc<Edge>,
    registering: Registering,
) {
    let ws = server_websocket(upgraded).await;
    let handshake = tuning::h2_client()
        .max_concurrent_reset_streams(1024)
        .handshake::<_, Bytes>(WsStream::new(ws))
        .await;
    let (sender, mut connection) = match handshake {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(session = %record.session_id, error = %e, "HTTP/2 handshake on session failed");
            return;
        }
    };
    let ping_pong = connection.ping_pong();
    let mut driver = tokio::spawn(connection);
    let session = Session::new(record.clone(), sender);
    let hostnames = edge.routes.hostnames_of(record.tunnel_id);
    if let Err(e) = register(&session, &edge, hostnames.clone()).await {
        tracing::warn!(session = %record.session_id, error = %e, "session registration failed");
        driver.abort();
        return;
    }
    edge.sessions.insert(session.clone());
    drop(registering);
    if edge.draining.is_cancelled() {
        // Opened as the drain began: moved like the others, or, with nowhere to go, kept.
        let others = edge.live_tunnel_addresses().await;
        if others.is_empty() {
            session
                .stays
                .store(true, std::sync::atomic::Ordering::Relaxed);
        } else {
            tokio::spawn(crate::drain::ask_to_move(session.clone(), others));
        }
    }
    // The tunnel may have been deleted while we registered; the deletion watch would have found
    // no session to close, so look again now that the session is visible.
    if let Ok(None) = edge.state.tunnel(record.tunnel_id).await {
        session.closed.cancel();
    }
    if let Err(e) = edge.state.add_session(&record, edge.current_lease()).await {
        tracing::warn!(error = %e, "cannot record session presence in the store");
    }
    tracing::info!(
        tunnel = %record.tunnel_id, session = %record.session_id, connector = %record.connector_id,
        index = record.conn_index, version = %record.version, hostnames = ?hostnames, "tunnel session registered"
    );
    let metrics = edge.metrics.clone();
    let pulse = Pulse::observed(move |rtt| metrics.ping_rtt.observe(rtt.as_secs_f64()));
    let liveness = Liveness::new(edge.config().liveness_timeout).watch(ping_pong, pulse);
    edge.metrics.sessions.inc();
    let reason = tokio::select! {
        result = &mut driver => match result {
            Ok(Ok(())) => "connector closed the session".to_string(),
            Ok(Err(e)) => format!("session error: {e}"),
            Err(e) => format!("session task failed: {e}"),
        },
        reason = liveness => reason,
        _ = session.closed.cancelled() => "closed by the edge".to_string(),
        _ = edge.shutdown.cancelled() => "edge shutting down".to_string(),
    };
    driver.abort();
    edge.metrics.sessions.dec();
    edge.sessions.remove(&session);
    if let Err(e) = edge
        .state
        .remove_session(record.tunnel_id, record.session_id)
        .await
    {
        tracing::warn!(error = %e, "cannot remove session presence from the store");
    }
    tracing::info!(tunnel = %record.tunnel_id, session = %record.session_id, reason, "tunnel session ended");
}

/// Sends the registration control message and waits for the connector's answer. Its response also
/// proves the connector's SETTINGS (extended CONNECT support) have arrived.
async fn register(
    session: &Arc<Session>,
    edge: &Edge,
    hostnames: Vec<String>,
) -> Result<(), String> {
    let registration = Registration {
        session_id: session.record.session_id,
        edge_id: edge.config().edge_id.clone(),
        hostnames,
        edges: edge.live_tunnel_addresses().await,
    };
    let body = serde_json::to_vec(&registration).map_err(|e| e.to_string())?;
    control(session, REGISTER, Bytes::from(body)).await
}

/// Sends one control message (`kind`, with a JSON `body`) on a session and waits, at most 10 s,
/// for the connector's 200.
pub async fn control(session: &Session, kind: &'static str, body: Bytes) -> Result<(), String> {
    let req = Request::post(format!("https://tether.control{CONTROL_PATH}"))
        .header(CONTROL, kind)
        .header(header::CONTENT_TYPE, "application/json")
        .body(())
        .map_err(|e| e.to_string())?;
    let exchange = async {
        let mut sender = session.sender_for_control().ready().await?;
        let (response, mut send) = sender.send_request(req, false)?;
        send.send_data(body, true)?;
        response.await
    };
    let response = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| "no answer within 10 s".to_string())?
        .map_err(|e| e.to_string())?;
    if response.status() != StatusCode::OK {
        return Err(format!("connector answered {}", response.status()));
    }
    Ok(())
}
