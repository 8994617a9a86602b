//! The edge's own graceful shutdown, on the first SIGTERM or SIGINT (a second one exits at once):
//!
//! 1. public listeners stop accepting, and keep-alive clients are told to go after the request
//!    in flight; new tunnel sessions are refused (the connector tries another edge);
//! 2. the edge marks itself draining in the store, so DNS stops answering with it, other edges
//!    stop linking to it and connectors stop being told about it;
//! 3. every connector holding a session here gets the `move` control message: it opens a
//!    replacement session to another edge and, once that one is registered, closes this one
//!    gracefully (make before break); the edge is the HTTP/2 client on a session, so a GOAWAY of
//!    its own would mean nothing to the connector;
//! 4. the drain ends when the last session has gone, or after `grace-period`; what is still open
//!    is then closed. Requests on connections still open here meanwhile go over links to the
//!    edges that now hold the sessions.

use std::sync::Arc;

use bytes::Bytes;
use tether_proto::control::MOVE;

use crate::server::Edge;
use crate::state::EdgeRecord;

pub async fn run(edge: &Arc<Edge>, record: EdgeRecord) {
    let grace = edge.config().grace_period;
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
    let sessions = edge.sessions.all();
    tracing::info!(sessions = sessions.len(), "asking connectors to move");
    for session in sessions {
        tokio::spawn(async move {
            let moved = crate::session_accept::control(&session, MOVE, Bytes::from_static(b"{}"));
            if let Err(e) = moved.await {
                tracing::warn!(session = %session.record.session_id, error = %e, "move message not answered");
            }
        });
    }
    let deadline = tokio::time::Instant::now() + grace;
    loop {
        let removed = edge.sessions.removed.notified();
        let left = edge.sessions.all().len();
        if left == 0 {
            tracing::info!("drain complete: every session has moved");
            return;
        }
        tokio::select! {
            _ = removed => {}
            _ = tokio::time::sleep_until(deadline) => {
                tracing::warn!(sessions = left, "grace period over; closing the sessions still here");
                return;
            }
            _ = edge.shutdown.cancelled() => return,
        }
    }
}
