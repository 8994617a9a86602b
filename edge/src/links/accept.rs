//! Edge-to-edge links, the receiving side (`dial.rs` dials them): checks the peer's proof,
//! serves HTTP/2 on the link, and carries each stream on this edge's own session of the tunnel
//! the stream names, relaying the answer back unchanged. A stream is never sent on over another
//! link: an edge that no longer holds a session of the tunnel refuses it unprocessed
//! (`REFUSED_STREAM`), and the sending edge tries elsewhere.

use std::sync::Arc;

use bytes::Bytes;
use h2::server::SendResponse;
use h2::{Reason, RecvStream};
use http::{header, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use tether_proto::handshake::{Refusal, HDR_LINK_PROOF, LINK_SUBPROTOCOL};
use tether_proto::headers::{OriginFailure, CONTROL, LINK_ERROR, LINK_TUNNEL, ORIGIN_ERROR};
use tether_transport::accept::{negotiate, ServerSocket};
use tether_transport::h2body::{send_body, RecvBody};
use tether_transport::liveness::{Heard, Liveness, Pulse};
use tether_transport::session_io::SessionIo;
use tether_transport::splice::{relay, Pipe};
use tether_transport::tuning;

use crate::body::{self, EdgeBody};
use crate::config::LiveConfig;
use crate::error::EdgeError;
use crate::lifecycle::Lifecycle;
use crate::metrics::EdgeMetrics;
use crate::protect::failures::Failures;
use crate::tunnels::stream::{small_body, Answer, Outgoing};
use crate::tunnels::upgrade::{
    refusal, refuse, switching_protocols, too_many_failures, Caller, Upgrade,
};
use crate::tunnels::{Reach, StreamOpener};

use super::key::LinkKey;

/// What accepting and serving links needs (cheap to clone: each link's task holds one).
#[derive(Clone)]
pub struct LinkAcceptor {
    /// What a peer proves.
    pub key: LinkKey,
    /// Carries each stream on this edge's own sessions.
    pub opener: Arc<StreamOpener>,
    pub lifecycle: Lifecycle,
    pub config: LiveConfig,
    pub metrics: Arc<EdgeMetrics>,
    pub failures: Arc<Failures>,
}

#[async_trait::async_trait]
impl Upgrade for LinkAcceptor {
    /// Accepts a link from a peer edge whose proof over this TLS connection's exporter holds.
    async fn upgrade(&self, req: Request<Incoming>, caller: Caller) -> Response<EdgeBody> {
        if let Some(wait) = self.failures.blocked(caller.peer.ip()) {
            return too_many_failures(wait);
        }
        let proof = req
            .headers()
            .get(HDR_LINK_PROOF)
            .and_then(|v| v.to_str().ok());
        match caller.exporter {
            Some(exporter) if proof.is_some_and(|p| self.key.verify(&exporter, p)) => {
                self.accept(req)
            }
            _ => {
                self.failures.failed(caller.peer.ip());
                tracing::warn!(peer = %caller.peer, "edge-to-edge link refused: bad or missing proof");
                refuse(
                    StatusCode::UNAUTHORIZED,
                    Refusal::Permanent,
                    "edge-to-edge link refused: the proof does not match this edge's cluster (edges must share one store, over TLS 1.3)",
                )
            }
        }
    }
}

impl LinkAcceptor {
    /// Answers 101 to a proven peer and serves the link on a task of its own.
    fn accept(&self, req: Request<Incoming>) -> Response<EdgeBody> {
        let endpoint = "an edge-to-edge link endpoint";
        let negotiated = match negotiate(&req, &[LINK_SUBPROTOCOL], endpoint) {
            Ok(negotiated) => negotiated,
            Err(refused) => return refusal(refused),
        };
        let (response, pending) = switching_protocols(negotiated, req);
        let acceptor = self.clone();
        self.lifecycle.tracker.spawn(async move {
            match pending.websocket().await {
                Ok(ws) => acceptor.serve(ws).await,
                Err(e) => tracing::warn!(error = %e, "link upgrade failed"),
            }
        });
        response
    }

    /// Serves one link until the peer closes it, it stops answering PINGs, or this edge shuts down.
    async fn serve(&self, ws: ServerSocket) {
        let heard = Heard::default();
        let ws = SessionIo::new(ws, heard.clone());
        let handshake = tuning::h2_server()
            .enable_connect_protocol()
            .max_concurrent_streams(u32::MAX)
            // As on a tunnel session: the peer relays public clients, whose going away in
            // hundreds at once is ordinary.
            .max_pending_accept_reset_streams(tuning::MAX_PENDING_RESETS)
            .handshake::<_, Bytes>(ws)
            .await;
        let mut connection = match handshake {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "HTTP/2 handshake on link failed");
                return;
            }
        };
        let liveness = Liveness::new(self.config.get().liveness_timeout).watch(
            connection.ping_pong(),
            Pulse::new(),
            heard,
        );
        tokio::pin!(liveness);
        tracing::info!("edge-to-edge link accepted");
        let mut closing = false;
        let reason = loop {
            tokio::select! {
                accepted = connection.accept() => match accepted {
                    Some(Ok((req, respond))) => {
                        tokio::spawn(self.clone().carry(req, respond));
                    }
                    // After the GOAWAY the peer may well close first: that ends it cleanly too.
                    Some(Err(_)) | None if closing => break "edge shutting down".to_string(),
                    Some(Err(e)) => break e.to_string(),
                    None => break "peer closed the link".to_string(),
                },
                reason = &mut liveness => break reason,
                // The drain is over. Dropping the link here would lose a stream the peer sent a
                // moment ago (a POST it may not send again), so GOAWAY instead: h2 sends one,
                // then after a PING round trip a second naming the last stream it takes. Those
                // it took are carried (or refused unprocessed, this edge's sessions having
                // moved); later ones the peer knows were never seen, and sends elsewhere. The
                // shutdown's bound on tracked tasks bounds this.
                _ = self.lifecycle.shutdown.cancelled(), if !closing => {
                    closing = true;
                    connection.graceful_shutdown();
                }
            }
        };
        tracing::info!(reason, "edge-to-edge link ended");
    }

    /// Carries one stream from the link on this edge's session of the tunnel it names.
    async fn carry(self, req: Request<RecvStream>, mut respond: SendResponse<Bytes>) {
        if req.headers().contains_key(CONTROL) {
            // The link hello: answering is all it asks.
            let _ = respond.send_response(Response::new(()), true);
            return;
        }
        let (mut parts, recv) = req.into_parts();
        let tunnel = parts
            .headers
            .remove(LINK_TUNNEL)
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let Some(tunnel) = tunnel else {
            respond.send_reset(Reason::PROTOCOL_ERROR);
            return;
        };
        self.metrics.link_stream("in");
        let pipe = parts.method == Method::CONNECT;
        let guard = match self.opener.pick(tunnel, None, Reach::Local).await {
            Ok(guard) => guard.kind(self.metrics.stream("link")),
            Err(e) => return answer_error(respond, e),
        };
        let replayable = pipe || self.config.get().is_replayable(&parts.method);
        let (outgoing, client_recv) = if pipe {
            (Outgoing::Pipe, Some(recv))
        } else if recv.is_end_stream() {
            (Outgoing::Body(body::empty()), None)
        } else if small_body(&parts.headers) {
            // Read whole, as the sending edge did, so a stream this edge's connector refuses
            // unprocessed can go to another of its sessions, or back (REFUSED_STREAM) body and all.
            match http_body_util::BodyExt::collect(RecvBody::new(recv)).await {
                Ok(collected) => (Outgoing::Buffered(collected.to_bytes()), None),
                Err(_) => return respond.send_reset(Reason::CANCEL),
            }
        } else {
            (Outgoing::Body(body::boxed(RecvBody::new(recv))), None)
        };
        let head = Request::from_parts(parts, ());
        // The sending edge may give up first (its client went away, its own timeout): then stop
        // waiting here too, rather than hold the origin's request for nobody.
        let opened = tokio::select! {
            opened = self.opener.open(head, outgoing, guard, replayable, Reach::Local) => opened,
            _ = std::future::poll_fn(|cx| respond.poll_reset(cx)) => return,
        };
        let (Answer { response, send }, _guard) = match opened {
            Ok(answered) => answered,
            Err(e) => return answer_error(respond, e),
        };
        let (parts, from_tunnel) = response.into_parts();
        let end = from_tunnel.is_end_stream();
        let Ok(to_client) = respond.send_response(Response::from_parts(parts, ()), end) else {
            return;
        };
        match (send, client_recv) {
            (Some(to_tunnel), Some(from_client)) => {
                let client = Pipe {
                    send: to_client,
                    recv: from_client,
                };
                let tunnel = Pipe {
                    send: to_tunnel,
                    recv: from_tunnel,
                };
                let _ = relay(client, tunnel, None).await;
            }
            _ if !end => {
                if let Err(e) = send_body(RecvBody::new(from_tunnel), to_client, None).await {
                    tracing::debug!(error = %e, "response body did not reach the peer edge");
                }
            }
            _ => {}
        }
    }
}

/// Tells the sending edge why this edge could not carry the stream. An origin failure goes back
/// as the connector reported it, so the sending edge renders the same page; no session here goes
/// back as a stream refused unprocessed, which the sending edge may open elsewhere.
fn answer_error(mut respond: SendResponse<Bytes>, error: EdgeError) {
    let mut response = Response::new(());
    *response.status_mut() = error.status();
    let headers = response.headers_mut();
    match error {
        EdgeError::TunnelOffline => return respond.send_reset(Reason::REFUSED_STREAM),
        EdgeError::OriginUnreachable => {
            let cause = OriginFailure::Unreachable.as_str();
            headers.insert(ORIGIN_ERROR, header::HeaderValue::from_static(cause));
        }
        EdgeError::OriginTimeout => {
            let cause = OriginFailure::Timeout.as_str();
            headers.insert(ORIGIN_ERROR, header::HeaderValue::from_static(cause));
        }
        ref other => {
            headers.insert(LINK_ERROR, header::HeaderValue::from_static(other.cause()));
        }
    }
    let _ = respond.send_response(response, true);
}
