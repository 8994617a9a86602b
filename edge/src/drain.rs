//! The edge's own graceful shutdown, on the first SIGTERM or SIGINT (a second one exits at once):
//!
//! 1. public listeners (HTTP, HTTPS, public TCP ports) stop accepting, and keep-alive clients are
//!    told to go after the request in flight; new tunnel sessions are refused (the connector
//!    tries another edge);
//! 2. the edge marks itself draining in the store, so DNS stops answering with it, other edges
//!    prefer other peers, and connectors stop being told about it;
//! 3. when another live edge exists, every connector holding a session here gets the `move`
//!    control message: it opens a replacement session on another edge and, once that one is
//!    registered, closes this one gracefully (make before break). The edge is the HTTP/2
//!    client on a session, so a GOAWAY of its own would mean nothing to the connector. A
//!    connector that cannot move (an older version, or one that knows no other edge) says so,
//!    and its session is not waited for;
//! 4. the drain ends once the sessions that move have gone (sessions being opened as it began
//!    included) and no stream through this edge is open (its own clients' requests in flight,
//!    WebSockets and TCP connections, on its sessions or over links, and the streams it carries
//!    for other edges), or after `grace-period`; what is still open is then closed.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tether_proto::control::{Move, MOVE};

use crate::server::Edge;
use crate::sessions::Session;
use crate::state::EdgeRecord;

/// How often the drain looks at the streams still open (they end without a signal).
const POLL: Duration = Duration::from_millis(100);

pub async fn run(edge: &Arc<Edge>, record: EdgeRecord) {
    let grace = edge.config().grace_period;
    let deadline = tokio::time::Instant::now() + grace;
    tracing::info!(
        grace_ms = grace.as_millis() as u64,
        "draining: out of DNS, moving connectors to other edges; signal again to stop at once"
    );
    edge.draining.cancel();
    let record = EdgeRecord {
        draining: true,
        ..record
    };
    if let Err(e) = edge
        .state
        .announce_edge(&record, edge.current_lease())
        .await
    {
        tracing::warn!(error = %e, "cannot mark this edge draining in the store");
    }
    // This edge is draining now, so what is listed is elsewhere.
    let others = edge.live_tunnel_addresses().await;
    let elsewhere = !others.is_empty();
    let sessions = edge.sessions.all();
    if elsewhere {
        tracing::info!(sessions = sessions.len(), "asking connectors to move");
        for session in sessions {
            tokio::spawn(ask_to_move(session, others.clone()));
        }
    } else {
        tracing::info!("no other live edge: connectors stay until the end; finishing open streams");
        for session in sessions {
            session.stays.store(true, Ordering::Relaxed);
        }
    }
    let mut poll = tokio::time::interval(POLL);
    loop {
        let changed = edge.sessions.changed.notified();
        // Being opened first: one inserted between the two reads is then seen in `all()`.
        let opening = edge.sessions.registering_now();
        let moving = opening
            + edge
                .sessions
                .all()
                .iter()
                .filter(|s| !s.stays.load(Ordering::Relaxed))
                .count();
        let streams = edge.metrics.open_streams();
        if moving == 0 && streams <= 0 {
            if elsewhere {
                tracing::info!("drain complete: every session has moved");
            } else {
                tracing::info!("drain complete: nothing left open");
            }
            return;
        }
        tokio::select! {
            _ = changed => {}
            _ = poll.tick() => {}
            _ = tokio::time::sleep_until(deadline) => {
                tracing::warn!(sessions = moving, streams, "grace period over; closing what is still open");
                return;
            }
            _ = edge.shutdown.cancelled() => return,
        }
    }
}

/// Sends `move` on a session, once, with the edges it may move to (`others`, as in a
/// registration: the connector may not know them yet, e.g. an edge started since its last
/// registration). A connector that does not answer 200 keeps the session (`Session::stays`).
pub async fn ask_to_move(session: Arc<Session>, others: Vec<String>) {
    if session.asked_to_move.swap(true, Ordering::SeqCst) {
        return;
    }
    let body = serde_json::to_vec(&Move { edges: others }).unwrap_or_default();
    let moved = crate::session_accept::control(&session, MOVE, Bytes::from(body)).await;
    if let Err(e) = moved {
        tracing::info!(session = %session.record.session_id, reason = %e, "the connector will not move this session; not waiting for it");
        session.stays.store(true, Ordering::Relaxed);
    }
}
