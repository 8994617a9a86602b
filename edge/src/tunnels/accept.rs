//! Opening a tunnel session: the authenticated WebSocket upgrade, then HTTP/2 over it.
//!
//! The same acceptor serves the tunnel listener and the reserved path on the public HTTPS
//! listener. The signature is checked before the 101 is sent; a refusal says why, and whether the
//! connector should give up (`tether-refusal: permanent`) or retry.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use tether_proto::control::{Registration, REGISTER};
use tether_proto::handshake::{Refusal, SessionClaim, EXPORTER_LEN, SUBPROTOCOL};
use tether_transport::accept::{negotiate, ServerSocket};
use tether_transport::liveness::{Heard, Liveness, Pulse};
use tether_transport::pressed_window;
use tether_transport::session_io::SessionIo;
use tether_transport::tuning;
use uuid::Uuid;

use crate::body::EdgeBody;
use crate::config::LiveConfig;
use crate::lifecycle::Lifecycle;
use crate::metrics::EdgeMetrics;
use crate::protect::failures::Failures;
use crate::state::directory::Directory;
use crate::state::route_table::RouteTable;
use crate::state::{now_secs, SessionRecord};

use super::control::{ask_to_move, control, ControlError};
use super::presence::Presence;
use super::sessions::{Session, Sessions};
use super::upgrade::{refusal, refuse, switching_protocols, too_many_failures, Caller, Upgrade};

/// What accepting and running a session needs (cheap to clone: each session's task holds one).
#[derive(Clone)]
pub struct SessionAcceptor {
    /// Tunnels and their keys, in memory: a registration never waits on the store.
    pub directory: Directory,
    /// Failed handshakes per source address: one that has failed too often is refused first.
    pub failures: Arc<Failures>,
    /// Permits to wait for the directory ([`FRESHNESS_WAITERS`] of them, shared).
    pub freshness: Arc<tokio::sync::Semaphore>,
    pub sessions: Arc<Sessions>,
    /// The hostnames a registration lists.
    pub routes: RouteTable,
    pub presence: Arc<Presence>,
    pub lifecycle: Lifecycle,
    pub config: LiveConfig,
    pub metrics: Arc<EdgeMetrics>,
}

#[async_trait::async_trait]
impl Upgrade for SessionAcceptor {
    /// Handles an upgrade request for a tunnel session. The caller's exporter is the TLS
    /// session's keying material the connector must have signed.
    async fn upgrade(&self, req: Request<Incoming>, caller: Caller) -> Response<EdgeBody> {
        if let Some(wait) = self.failures.blocked(caller.peer.ip()) {
            return too_many_failures(wait);
        }
        let Some(exporter) = caller.exporter else {
            return refuse(
                StatusCode::FORBIDDEN,
                Refusal::Permanent,
                "tunnel sessions need TLS 1.3",
            );
        };
        self.accept(req, exporter, caller).await
    }
}

/// How long a registration waits for the directory to bring a tunnel or key it does not know
/// yet (enrolled or created a moment ago, on this edge or another) before refusing.
const FRESHNESS_WAIT: std::time::Duration = std::time::Duration::from_secs(1);
/// How many registrations may wait so at once.
pub const FRESHNESS_WAITERS: usize = 16;

/// What [`SessionAcceptor::verified_key`] found.
enum Verified {
    /// This live key of the tunnel verifies the claim.
    Key(String),
    /// Nothing the directory knows verifies it, even after waiting.
    Refused,
    /// Nothing verifies it now, and no wait was free.
    Busy,
}

impl SessionAcceptor {
    /// The tunnel's key that verifies the claim, if any, from the directory alone: a
    /// registration never reads the store. A tunnel or key the directory does not know yet is
    /// waited for, each change of the tunnel table rechecked, up to [`FRESHNESS_WAIT`], by at
    /// most [`FRESHNESS_WAITERS`] registrations at once.
    async fn verified_key(
        &self,
        claim: &SessionClaim,
        exporter: &[u8; EXPORTER_LEN],
        signature: &str,
    ) -> Verified {
        let mut changed = self.directory.tunnels.changed();
        let deadline = tokio::time::Instant::now() + FRESHNESS_WAIT;
        let mut waiting = None;
        loop {
            changed.borrow_and_update();
            if let Some(tunnel) = self.directory.tunnel(claim.tunnel_id) {
                let found = tunnel.live_keys(now_secs()).find(|k| {
                    tether_proto::credentials::public_key_from_b64(&k.public_key)
                        .is_ok_and(|key| claim.verify(&key, exporter, signature).is_ok())
                });
                if let Some(k) = found {
                    return Verified::Key(k.public_key.clone());
                }
            }
            // Only a few registrations wait at once: under a flood of bad ones the rest are
            // told to come back (a newcomer then retries, with backoff).
            if waiting.is_none() {
                match self.freshness.clone().try_acquire_owned() {
                    Ok(permit) => waiting = Some(permit),
                    Err(_) => return Verified::Busy,
                }
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => continue,
                _ => return Verified::Refused,
            }
        }
    }

    async fn accept(
        &self,
        req: Request<Incoming>,
        exporter: [u8; EXPORTER_LEN],
        caller: Caller,
    ) -> Response<EdgeBody> {
        let negotiated = match negotiate(&req, &[SUBPROTOCOL], "a Tether tunnel endpoint") {
            Ok(negotiated) => negotiated,
            Err(refused) => return refusal(refused),
        };
        let (claim, public_key) = match self.authenticate(&req, &exporter, caller).await {
            Ok(authenticated) => authenticated,
            Err(refused) => return refused,
        };
        // Counted (once authenticated) before the drain flag is read, so a drain that starts
        // now waits for this session and moves it; a drain already started refuses it.
        let registering = Registering::begin(self.sessions.clone(), claim.tunnel_id);
        if self.lifecycle.draining.is_cancelled() {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                Refusal::Transient,
                "this edge is draining (shutting down); connect to another edge",
            );
        }
        let record = SessionRecord {
            session_id: Uuid::new_v4(),
            tunnel_id: claim.tunnel_id,
            edge_id: self.presence.edge_id().to_string(),
            connector_id: claim.connector_id,
            conn_index: claim.conn_index,
            version: claim.version.clone(),
            connected_at: now_secs(),
            key: public_key,
        };
        let (response, pending) = switching_protocols(negotiated, req);
        let acceptor = self.clone();
        self.lifecycle.tracker.spawn(async move {
            let id = record.session_id;
            match pending.websocket().await {
                Ok(ws) => acceptor.run(ws, record, registering).await,
                Err(e) => tracing::warn!(session = %id, error = %e, "session upgrade failed"),
            }
        });
        response
    }

    /// The claim and the tunnel key that verifies it, or the refusal: a bad claim, a store
    /// silent for too long, or a key nothing known verifies.
    async fn authenticate(
        &self,
        req: &Request<Incoming>,
        exporter: &[u8; EXPORTER_LEN],
        caller: Caller,
    ) -> Result<(SessionClaim, String), Response<EdgeBody>> {
        let (claim, signature) = SessionClaim::from_headers(req.headers()).map_err(|e| {
            self.failures.failed(caller.peer.ip());
            refuse(StatusCode::BAD_REQUEST, Refusal::Permanent, &e.to_string())
        })?;
        let silent = self.presence.store_silent_for();
        let limit = self.config.get().store_stale_limit;
        if silent > limit {
            // What the edge knows of tunnels and keys may be stale by now (a key revoked, a
            // tunnel deleted): sessions it has go on, new ones wait for the store.
            tracing::warn!(
                silent_s = silent.as_secs(),
                "session refused: the store has not answered for longer than store-stale-limit"
            );
            let (silent, limit) = (silent.as_secs(), limit.as_secs());
            let why = format!("this edge has not reached its store for {silent}s (store-stale-limit is {limit}s); connect to another edge");
            return Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                Refusal::Transient,
                &why,
            ));
        }
        let id = claim.tunnel_id;
        match self.verified_key(&claim, exporter, &signature).await {
            Verified::Key(key) => Ok((claim, key)),
            Verified::Busy => {
                // Still a claim that verifies against nothing known: it counts as a failure.
                self.failures.failed(caller.peer.ip());
                let why = format!("tunnel {id}: not known to this edge yet (enrolled or created a moment ago?); retry");
                Err(refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    Refusal::Transient,
                    &why,
                ))
            }
            Verified::Refused => {
                // One answer whether the tunnel is unknown or the key wrong: a refusal does not
                // tell a stranger which tunnels exist.
                self.failures.failed(caller.peer.ip());
                tracing::warn!(tunnel = %id, connector = %claim.connector_id, peer = %caller.peer, "session refused: unknown tunnel or key not accepted");
                let why = format!("tunnel {id}: unknown, or its key is not accepted (revoked, rotated out, deleted, or other credentials)");
                Err(refuse(StatusCode::UNAUTHORIZED, Refusal::Permanent, &why))
            }
        }
    }

    /// Drives one session from the 101 until it ends or is closed.
    async fn run(&self, ws: ServerSocket, record: SessionRecord, registering: Registering) {
        let heard = Heard::default();
        let ws = SessionIo::new(ws, heard.clone());
        let handshake = tuning::h2_client()
            .max_concurrent_reset_streams(1024)
            .handshake::<_, Bytes>(ws)
            .await;
        let (sender, mut connection) = match handshake {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(session = %record.session_id, error = %e, "HTTP/2 handshake on session failed");
                return;
            }
        };
        let ping_pong = connection.ping_pong();
        let mut driver = tokio::spawn(pressed_window::drive(
            connection,
            pressed_window::shortage(),
        ));
        let session = Session::new(record.clone(), sender);
        let hostnames = self.routes.hostnames_of(record.tunnel_id);
        if let Err(e) = self.register(&session, hostnames.clone()).await {
            tracing::warn!(session = %record.session_id, error = %e, "session registration failed");
            driver.abort();
            return;
        }
        self.sessions.insert(session.clone());
        drop(registering);
        self.settle(&session);
        self.presence.add_session(&record);
        tracing::info!(
            tunnel = %record.tunnel_id, session = %record.session_id, connector = %record.connector_id,
            index = record.conn_index, version = %record.version, hostnames = ?hostnames, "tunnel session registered"
        );
        let pulse = self.pulse(&session);
        let liveness =
            Liveness::new(self.config.get().liveness_timeout).watch(ping_pong, pulse, heard);
        self.metrics.sessions.inc();
        let reason = tokio::select! {
            result = &mut driver => match result {
                Ok(Ok(())) => "connector closed the session".to_string(),
                Ok(Err(e)) => format!("session error: {e}"),
                Err(e) => format!("session task failed: {e}"),
            },
            reason = liveness => reason,
            _ = session.closed.cancelled() => "closed by the edge".to_string(),
            _ = self.lifecycle.shutdown.cancelled() => "edge shutting down".to_string(),
        };
        driver.abort();
        self.metrics.sessions.dec();
        self.sessions.remove(&session);
        self.presence.remove_session(&record);
        tracing::info!(tunnel = %record.tunnel_id, session = %record.session_id, reason, "tunnel session ended");
    }

    /// A session just inserted: one opened as a drain began is moved like the others (or, with
    /// nowhere to go, kept); one whose tunnel was deleted or key revoked while it registered is
    /// closed (the revocation watch found no session to close then).
    fn settle(&self, session: &Arc<Session>) {
        if self.lifecycle.draining.is_cancelled() {
            let others = self.presence.live_tunnel_addresses();
            if others.is_empty() {
                session
                    .stays
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            } else {
                tokio::spawn(ask_to_move(session.clone(), others));
            }
        }
        let record = &session.record;
        let admitted = self.directory.tunnel(record.tunnel_id);
        if !admitted.is_some_and(|t| t.accepts(&record.key, now_secs())) {
            session.closed.cancel();
        }
    }

    /// The session's PONGs: each round trip observed, and kept as the session's RTT.
    fn pulse(&self, session: &Arc<Session>) -> Pulse {
        let (metrics, measured) = (self.metrics.clone(), session.clone());
        Pulse::observed(move |rtt| {
            metrics.ping_rtt.observe(rtt.as_secs_f64());
            let micros = u64::try_from(rtt.as_micros()).unwrap_or(u64::MAX).max(1);
            measured
                .rtt_micros
                .store(micros, std::sync::atomic::Ordering::Relaxed);
        })
    }

    /// Sends the registration control message and waits for the connector's answer. Its
    /// response also proves the connector's SETTINGS (extended CONNECT support) have arrived.
    async fn register(
        &self,
        session: &Arc<Session>,
        hostnames: Vec<String>,
    ) -> Result<(), ControlError> {
        let registration = Registration {
            session_id: session.record.session_id,
            edge_id: self.presence.edge_id().to_string(),
            hostnames,
            edges: self.presence.live_tunnel_addresses(),
        };
        let body = serde_json::to_vec(&registration)?;
        control(session, REGISTER, Bytes::from(body)).await
    }
}

/// Counts a session of a tunnel as being opened until dropped (once it is registered and
/// inserted, or it failed): the drain waits for it, and a request for the tunnel that finds no
/// session anywhere waits for it briefly (`StreamOpener::pick`).
struct Registering(Arc<Sessions>, Uuid);

impl Registering {
    fn begin(sessions: Arc<Sessions>, tunnel: Uuid) -> Registering {
        sessions.begin_registering(tunnel);
        Registering(sessions, tunnel)
    }
}

impl Drop for Registering {
    fn drop(&mut self) {
        self.0.end_registering(self.1);
    }
}
