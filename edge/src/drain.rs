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

use crate::config::LiveConfig;
use crate::lifecycle::Lifecycle;
use crate::metrics::EdgeMetrics;
use crate::tunnels::control::ask_to_move;
use crate::tunnels::presence::Presence;
use crate::tunnels::sessions::Sessions;

/// How often the drain looks at the streams still open (they end without a signal).
const POLL: Duration = Duration::from_millis(100);

/// What the drain reads and moves.
pub struct Drain {
    pub sessions: Arc<Sessions>,
    pub presence: Arc<Presence>,
    pub lifecycle: Lifecycle,
    pub config: LiveConfig,
    /// The streams still open through this edge.
    pub metrics: Arc<EdgeMetrics>,
}

impl Drain {
    /// Runs the drain to its end: everything moved and closed, or `grace-period` over.
    pub async fn run(&self) {
        let grace = self.config.get().grace_period;
        let deadline = tokio::time::Instant::now() + grace;
        tracing::info!(
            grace_ms = grace.as_millis() as u64,
            "draining: out of DNS, moving connectors to other edges; signal again to stop at once"
        );
        self.lifecycle.draining.cancel();
        if let Err(e) = self.presence.announce_draining().await {
            tracing::warn!(error = %e, "cannot mark this edge draining in the store");
        }
        // This edge is draining now, so what is listed is elsewhere.
        let others = self.presence.live_tunnel_addresses();
        let elsewhere = !others.is_empty();
        let sessions = self.sessions.all();
        if elsewhere {
            tracing::info!(sessions = sessions.len(), "asking connectors to move");
            for session in sessions {
                tokio::spawn(ask_to_move(session, others.clone()));
            }
        } else {
            tracing::info!(
                "no other live edge: connectors stay until the end; finishing open streams"
            );
            for session in sessions {
                session.stays.store(true, Ordering::Relaxed);
            }
        }
        self.wait(deadline, elsewhere).await
    }

    /// Waits until no session is left to move and no stream is open, or until `deadline`.
    async fn wait(&self, deadline: tokio::time::Instant, elsewhere: bool) {
        let mut poll = tokio::time::interval(POLL);
        loop {
            let changed = self.sessions.changed.notified();
            // Being opened first: one inserted between the two reads is then seen in `all()`.
            let opening = self.sessions.registering_now();
            let moving = opening
                + self
                    .sessions
                    .all()
                    .iter()
                    .filter(|s| !s.stays.load(Ordering::Relaxed))
                    .count();
            let streams = self.metrics.open_streams();
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
                _ = self.lifecycle.shutdown.cancelled() => return,
            }
        }
    }
}
