//! `connector access tcp` sessions. The access client opens a WebSocket on the public HTTPS
//! port's reserved path ([`tether_proto::handshake::ACCESS_PATH`]), optionally with `Authorization: Bearer TOKEN`, and runs
//! HTTP/2 over it as the client (the reverse of a tunnel session). Each of its TCP connections is
//! one CONNECT stream to `HOSTNAME:PORT`, relayed onto a CONNECT stream of the tunnel routed for
//! HOSTNAME, so half-close and aborts travel as for public TCP ports. A refusal is the stream's
//! status with a one-line reason in its body, which the client prints.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::{header, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use tether_proto::handshake::{Refusal, ACCESS_SUBPROTOCOL};
use tether_transport::accept::{negotiate, ServerSocket};
use tether_transport::liveness::{Heard, Liveness, Pulse};
use tether_transport::session_io::SessionIo;
use tether_transport::splice::{relay, Pipe};
use tether_transport::tuning;
use tokio_util::sync::CancellationToken;

use crate::body::EdgeBody;
use crate::config::LiveConfig;
use crate::error::EdgeError;
use crate::lifecycle::Lifecycle;
use crate::policy::{Asking, Gate, Identity};
use crate::protect::counts::{Counts, Full};
use crate::protect::failures::Failures;
use crate::protect::stalls::Stalls;
use crate::tunnels::stream::{connect_head, new_request_id, PipeError};
use crate::tunnels::upgrade::{refusal, switching_protocols, too_many_failures, Caller, Upgrade};
use crate::tunnels::StreamOpener;
use crate::view::{Route, View};
use tether_proto::hostname::request_host;

use super::tokens::TokenTable;
use crate::state::TokenRecord;

/// What access sessions need (cheap to clone: each session's task holds one).
#[derive(Clone)]
pub struct AccessSessions {
    /// The tokens a session may present, mirrored from the store.
    pub tokens: TokenTable,
    /// Which tunnel serves a hostname, and whether it requires a token.
    pub view: View,
    pub opener: Arc<StreamOpener>,
    pub lifecycle: Lifecycle,
    pub config: LiveConfig,
    /// The public HTTPS port, reported to the origin as the server address.
    pub https_port: Option<u16>,
    pub failures: Arc<Failures>,
    /// Each route's client rules and policy.
    pub gate: Arc<Gate>,
    /// Access sessions open, per address ([`ACCESS_PER_ADDRESS`]) and in all ([`ACCESS_TOTAL`]).
    pub open: Arc<Counts>,
    /// The watch on streams whose clients stopped reading, shared with the public side.
    pub stalls: Arc<Stalls>,
}

/// Access sessions one address may hold at once.
pub const ACCESS_PER_ADDRESS: u32 = 32;
/// Access sessions an edge holds at once.
pub const ACCESS_TOTAL: u32 = 4096;

fn refuse(status: StatusCode, reason: &str) -> Response<EdgeBody> {
    crate::tunnels::upgrade::refuse(status, Refusal::Permanent, reason)
}

#[async_trait::async_trait]
impl Upgrade for AccessSessions {
    /// Answers the upgrade (after checking the token, if one is presented) and runs the session.
    async fn upgrade(&self, req: Request<Incoming>, caller: Caller) -> Response<EdgeBody> {
        self.accept(req, caller)
    }
}

impl AccessSessions {
    fn accept(&self, req: Request<Incoming>, caller: Caller) -> Response<EdgeBody> {
        if let Some(wait) = self.failures.blocked(caller.peer.ip()) {
            return too_many_failures(wait);
        }
        if caller.exporter.is_none() {
            return refuse(
                StatusCode::FORBIDDEN,
                "access sessions need HTTPS with TLS 1.3: dial the edge's HTTPS port",
            );
        }
        let counted = match self.open.acquire(caller.peer.ip()) {
            Ok(counted) => counted,
            Err(Full::Address) => {
                return crate::tunnels::upgrade::refuse(
                    StatusCode::TOO_MANY_REQUESTS,
                    Refusal::Transient,
                    &format!(
                    "this address has {ACCESS_PER_ADDRESS} access sessions open already; close one"
                ),
                )
            }
            Err(Full::Total) => return crate::tunnels::upgrade::refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                Refusal::Transient,
                "this edge has as many access sessions open as it takes; try another edge or later",
            ),
        };
        let negotiated = match negotiate(&req, &[ACCESS_SUBPROTOCOL], "the access endpoint") {
            Ok(negotiated) => negotiated,
            Err(refused) => return refusal(refused),
        };
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let (token, cancel) = match bearer {
            None => (None, CancellationToken::new()),
            Some(text) => match self.tokens.verify(text).and_then(|record| {
                let cancel = self.tokens.session(record.id)?;
                Some((record, cancel))
            }) {
                Some((record, cancel)) => (Some(Arc::new(record)), cancel),
                None => {
                    self.failures.failed(caller.peer.ip());
                    tracing::info!(peer = %caller.peer, "access session refused: invalid token");
                    return refuse(StatusCode::UNAUTHORIZED, "the access token is not valid: it was revoked, or mistyped; ask the edge operator for a new one (`edge token create`)");
                }
            },
        };
        let peer = caller.peer;
        let (response, pending) = switching_protocols(negotiated, req);
        let sessions = self.clone();
        self.lifecycle.tracker.spawn(async move {
            match pending.websocket().await {
                Ok(ws) => {
                    let _counted = counted;
                    sessions.run(ws, token, cancel, peer).await
                }
                Err(e) => tracing::debug!(%peer, error = %e, "access upgrade failed"),
            }
        });
        response
    }

    /// Serves one access session's streams until it ends, its token is revoked, or the edge stops.
    async fn run(
        &self,
        ws: ServerSocket,
        token: Option<Arc<TokenRecord>>,
        cancel: CancellationToken,
        peer: SocketAddr,
    ) {
        let heard = Heard::default();
        let ws = SessionIo::new(ws, heard.clone());
        let handshake = tuning::h2_access_server().handshake::<_, Bytes>(ws).await;
        let mut connection = match handshake {
            Ok(c) => c,
            Err(e) => return tracing::debug!(%peer, error = %e, "access session handshake failed"),
        };
        tracing::info!(%peer, token = ?token.as_ref().map(|t| t.id), "access session opened");
        // Ends the session's registration under its token however the session ends.
        let _registered = cancel.clone().drop_guard();
        // A client that vanished (laptop asleep) would otherwise hold its streams and their origin
        // connections open for ever.
        let liveness = Liveness::default().watch(connection.ping_pong(), Pulse::default(), heard);
        tokio::pin!(liveness);
        let mut draining = false;
        let reason = loop {
            tokio::select! {
                accepted = connection.accept() => match accepted {
                    Some(Ok((req, respond))) => {
                        self.lifecycle.tracker.spawn(self.clone().stream(req, respond, token.clone(), peer));
                    }
                    Some(Err(e)) => break format!("session error: {e}"),
                    None => break "client closed the session".to_string(),
                },
                // Dropping the connection resets every stream on it.
                _ = cancel.cancelled() => break "its access token was revoked".to_string(),
                reason = &mut liveness => break reason,
                _ = self.lifecycle.shutdown.cancelled() => break "edge shutting down".to_string(),
                // Draining: no new streams here (GOAWAY; the client opens its next session
                // elsewhere), the open ones run on.
                _ = self.lifecycle.draining.cancelled(), if !draining => {
                    draining = true;
                    connection.graceful_shutdown();
                }
            }
        };
        tracing::info!(%peer, reason, "access session ended");
    }
}

/// Answers a stream with a refusal: its status and a one-line reason.
fn refuse_stream(mut respond: SendResponse<Bytes>, status: StatusCode, reason: &str) {
    let mut response = Response::new(());
    *response.status_mut() = status;
    if let Ok(mut send) = respond.send_response(response, false) {
        let _ = send.send_data(Bytes::from(format!("{reason}\n")), true);
    }
}

impl AccessSessions {
    /// One TCP connection of the access client, relayed into the tunnel.
    async fn stream(
        self,
        req: Request<RecvStream>,
        mut respond: SendResponse<Bytes>,
        token: Option<Arc<TokenRecord>>,
        peer: SocketAddr,
    ) {
        let request_id = new_request_id();
        let authority = req.uri().authority().cloned();
        let (&Method::CONNECT, Some(authority), None) = (
            req.method(),
            authority,
            req.extensions().get::<h2::ext::Protocol>(),
        ) else {
            return refuse_stream(
                respond,
                StatusCode::METHOD_NOT_ALLOWED,
                "an access stream is CONNECT HOSTNAME:PORT",
            );
        };
        let Ok(host) = request_host(authority.as_str()) else {
            return refuse_stream(
                respond,
                StatusCode::BAD_REQUEST,
                "an access stream is CONNECT HOSTNAME:PORT, a plain host name without user@",
            );
        };
        let Some(route) = self.view.route(&host) else {
            return refuse_stream(respond, StatusCode::NOT_FOUND, &format!("no tunnel is routed for {host}: an operator routes it with `edge tunnel route tcp TUNNEL {host}`"));
        };
        let (head, body) = req.into_parts();
        let identity = match self
            .admit(&route, &head, &host, token.as_deref(), peer)
            .await
        {
            Ok(identity) => identity,
            Err((status, why)) => {
                tracing::info!(target: "access", request_id, %peer, hostname = host, reason = why, "access stream refused");
                return refuse_stream(respond, status, &why);
            }
        };
        let server = SocketAddr::new([0, 0, 0, 0].into(), self.https_port.unwrap_or(443));
        let port = authority.port_u16().unwrap_or(0);
        let opened = match connect_head(&host, port, &request_id, peer, server) {
            Ok(head) => self.opener.open_pipe(route.tunnel_id, head).await,
            Err(e) => Err(e.into()),
        };
        let (tunnel, guard) = match opened {
            Ok(opened) => opened,
            Err(PipeError::Refused(status)) => {
                return refuse_stream(respond, status, &format!("the connector refused the stream for {host} ({status}): is its ingress rule for {host} a tcp:// or ssh:// service?"));
            }
            Err(PipeError::Edge(e)) => return refuse_stream(respond, e.status(), e.explanation()),
        };
        let send = match respond.send_response(Response::new(()), false) {
            Ok(send) => send,
            Err(_) => return,
        };
        let client = Pipe { send, recv: body };
        let watch = self.stalls.watch_pipe(route.tunnel_id, peer.ip());
        let relayed = tokio::select! {
            relayed = relay(client, tunnel, Some(watch.clock())) => relayed,
            _ = watch.reset() => (0, 0, Err(h2::Error::from(h2::Reason::CANCEL))),
        };
        let (up, down, result) = relayed;
        drop(guard);
        let identity = identity.map(|i| i.name);
        tracing::info!(target: "access", request_id, %peer, tunnel = %route.tunnel_id, hostname = host, identity, up, down, result = ?result, "access stream closed");
    }

    /// A route's client rules and policy hold for an access stream too, against the stream's own
    /// headers (`connector access tcp --header`; no stream carries a client certificate), and
    /// so does its token requirement. The identity the policy found, or the status and why not.
    async fn admit(
        &self,
        route: &Route,
        head: &http::request::Parts,
        host: &str,
        token: Option<&TokenRecord>,
        peer: SocketAddr,
    ) -> Result<Option<Identity>, (StatusCode, String)> {
        let asking = Asking {
            head,
            client: peer.ip(),
            certificate: None,
        };
        let identity = self.gate.check(&route.access, &asking).await.map_err(|e| {
            let reason = e.reason().unwrap_or(e.explanation());
            let why = match (&e, route.policy_method()) {
                (EdgeError::Misdirected, _) => {
                    "its mtls policy needs a client certificate, which access sessions do not carry"
                        .to_string()
                }
                (_, Some(method)) if !reason.starts_with("client-ip-rules") => {
                    format!("{reason}; pass its {method} credentials with --header")
                }
                _ => reason.to_string(),
            };
            (e.status(), format!("{host}: {why}"))
        })?;
        if !route.require_token {
            return Ok(identity);
        }
        let now = crate::state::now_secs();
        let make = format!("edge token create NAME --hostname {}", route.hostname);
        match token {
            None => Err((StatusCode::FORBIDDEN, format!("{host} requires an access token: pass --token TOKEN (or set TETHER_ACCESS_TOKEN); an operator creates one with `{make}`"))),
            Some(t) if !t.opens(&route.hostname, now) => {
                let why = match t.expires_at.is_some_and(|e| now >= e) {
                    true => "has expired",
                    false => "is not valid for this route",
                };
                Err((StatusCode::FORBIDDEN, format!("the access token `{}` {why} ({host}); an operator makes one with `{make}`", t.name)))
            }
            Some(_) => Ok(identity),
        }
    }
}
