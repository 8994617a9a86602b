//! This edge's presence in the store: its `edges/` row and its sessions' rows, all under one
//! lease that the edge keeps alive, so an edge that dies drops out within the lease's TTL. Also
//! the tunnel addresses of the live edges, which connectors spread their sessions over.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::lifecycle::Lifecycle;
use crate::state::store::LeaseId;
use crate::state::{EdgeRecord, SessionRecord, State, StateError};

use super::sessions::Sessions;

/// How long presence rows outlive a dead edge, and how often they are renewed.
const LEASE_TTL: Duration = Duration::from_secs(10);
const LEASE_RENEW: Duration = Duration::from_secs(3);

pub struct Presence {
    state: State,
    /// The row announced, without the draining flag (the lifecycle says that).
    record: EdgeRecord,
    /// The lease that binds the rows; replaced by [`Presence::keep`] if it was lost.
    lease: AtomicI64,
    lifecycle: Lifecycle,
}

impl Presence {
    /// Takes a lease and announces `record` under it.
    pub async fn announce(
        state: State,
        record: EdgeRecord,
        lifecycle: Lifecycle,
    ) -> Result<Presence, StateError> {
        let lease = state.store.grant_lease(LEASE_TTL).await?;
        state.announce_edge(&record, lease).await?;
        Ok(Presence {
            state,
            record,
            lease: AtomicI64::new(lease),
            lifecycle,
        })
    }

    /// This edge's id in the store.
    pub fn edge_id(&self) -> &str {
        &self.record.id
    }

    fn lease(&self) -> LeaseId {
        self.lease.load(Ordering::Relaxed)
    }

    fn record_now(&self) -> EdgeRecord {
        EdgeRecord {
            draining: self.lifecycle.draining.is_cancelled(),
            ..self.record.clone()
        }
    }

    /// Writes the row again with the draining flag as it is now (the drain has begun).
    pub async fn announce_draining(&self) -> Result<(), StateError> {
        self.state
            .announce_edge(&self.record_now(), self.lease())
            .await
    }

    pub async fn add_session(&self, session: &SessionRecord) -> Result<(), StateError> {
        self.state.add_session(session, self.lease()).await
    }

    pub async fn remove_session(&self, session: &SessionRecord) -> Result<(), StateError> {
        self.state
            .remove_session(session.tunnel_id, session.session_id)
            .await
    }

    /// The tunnel addresses of the live edges that are not draining (this one included unless
    /// it is), for connectors to spread their sessions over. A wildcard address (an edge bound
    /// to 0.0.0.0 without `advertise.tunnel`) means nothing elsewhere and is left out.
    pub async fn live_tunnel_addresses(&self) -> Vec<String> {
        match self.state.edges().await {
            Ok(edges) => edges
                .into_iter()
                .filter(|e| !e.draining)
                .filter_map(|e| e.tunnel_address)
                .filter(|a| dialable(a))
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the edges from the store");
                Vec::new()
            }
        }
    }

    /// Renews the lease until shutdown; if it was lost (the edge stalled past the TTL), takes a
    /// new one and writes the edge's row and its sessions' rows again.
    pub async fn keep(self: Arc<Self>, sessions: Arc<Sessions>) {
        let mut tick = tokio::time::interval(LEASE_RENEW);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = self.lifecycle.shutdown.cancelled() => return,
            }
            match self.state.store.keep_alive(self.lease()).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!("presence lease expired; announcing this edge again");
                    if let Ok(new) = self.state.store.grant_lease(LEASE_TTL).await {
                        self.lease.store(new, Ordering::Relaxed);
                        let _ = self.state.announce_edge(&self.record_now(), new).await;
                        // The expired lease took the session rows with it: write them again.
                        for session in sessions.records() {
                            let _ = self.state.add_session(&session, new).await;
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot renew presence lease"),
            }
        }
    }

    /// Drops the rows at once (the edge is stopping), rather than when the lease runs out.
    pub async fn revoke(&self) {
        let _ = self.state.store.revoke(self.lease()).await;
    }
}

/// Whether a tunnel address means the same from elsewhere: not a wildcard IP.
pub fn dialable(address: &str) -> bool {
    address
        .parse::<std::net::SocketAddr>()
        .map_or(true, |a| !a.ip().is_unspecified())
}
