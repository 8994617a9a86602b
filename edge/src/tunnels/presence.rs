//! This edge's presence in the store: its `edges/` row and its sessions' rows, all under one
//! lease that the edge keeps alive, so an edge that dies drops out within the lease's TTL. Also
//! the tunnel addresses of the live edges, which connectors spread their sessions over.
//!
//! Static stability: session rows are written by one background writer, in order, so a session
//! is served at once whether or not the store answers. A write that fails marks the presence
//! *dirty*; the writer then skips further writes until the store answers a lease renewal again,
//! and rewrites everything at once: the edge row, a row per live session, and the removal of rows
//! of sessions that ended meanwhile. Until then other edges neither link to nor announce the
//! sessions it could not record.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::lifecycle::Lifecycle;
use crate::state::directory::Directory;
use crate::state::store::LeaseId;
use crate::state::{EdgeRecord, SessionRecord, State, StateError};

use super::sessions::Sessions;

/// What the writer does, in the order asked.
enum Write {
    Add(SessionRecord),
    Remove(SessionRecord),
    /// Rewrite every row of this edge (the store is back, or the lease was replaced).
    Resync,
}

pub struct Presence {
    state: State,
    directory: Directory,
    /// The row announced, without the draining flag (the lifecycle says that).
    record: EdgeRecord,
    ttl: Duration,
    /// The lease that binds the rows; replaced by [`Presence::keep`] if it was lost.
    lease: AtomicI64,
    /// A write failed: the rows in the store are not what this edge holds.
    dirty: AtomicBool,
    /// When the store last renewed the lease.
    last_contact: Mutex<Instant>,
    writes: mpsc::UnboundedSender<Write>,
    /// Taken by [`Presence::keep`], which runs the writer.
    pending: Mutex<Option<mpsc::UnboundedReceiver<Write>>>,
    lifecycle: Lifecycle,
}

impl Presence {
    /// Takes a lease of `ttl` and announces `record` under it.
    pub async fn announce(
        state: State,
        directory: Directory,
        record: EdgeRecord,
        ttl: Duration,
        lifecycle: Lifecycle,
    ) -> Result<Presence, StateError> {
        let lease = state.store.grant_lease(ttl).await?;
        state.announce_edge(&record, lease).await?;
        let (writes, pending) = mpsc::unbounded_channel();
        Ok(Presence {
            state,
            directory,
            record,
            ttl,
            lease: AtomicI64::new(lease),
            dirty: AtomicBool::new(false),
            last_contact: Mutex::new(Instant::now()),
            writes,
            pending: Mutex::new(Some(pending)),
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

    /// How long the store has not answered (zero while it does).
    pub fn store_silent_for(&self) -> Duration {
        self.last_contact
            .lock()
            .map(|at| at.elapsed())
            .unwrap_or_default()
    }

    /// Writes the row again with the draining flag as it is now (the drain has begun).
    pub async fn announce_draining(&self) -> Result<(), StateError> {
        self.state
            .announce_edge(&self.record_now(), self.lease())
            .await
    }

    /// Records a session (in the background: the session does not wait for the store).
    pub fn add_session(&self, session: &SessionRecord) {
        let _ = self.writes.send(Write::Add(session.clone()));
    }

    pub fn remove_session(&self, session: &SessionRecord) {
        let _ = self.writes.send(Write::Remove(session.clone()));
    }

    /// The tunnel addresses of the live edges that are not draining (this one included unless
    /// it is), for connectors to spread their sessions over. A wildcard address (an edge bound
    /// to 0.0.0.0 without `advertise.tunnel`) means nothing elsewhere and is left out.
    pub fn live_tunnel_addresses(&self) -> Vec<String> {
        let me = self.record_now();
        let others: Vec<EdgeRecord> = self
            .directory
            .edges()
            .into_iter()
            .filter(|e| e.id != me.id && !e.draining)
            .collect();
        std::iter::once(me)
            .filter(|me| !me.draining)
            .chain(others)
            .filter_map(|e| e.tunnel_address)
            .filter(|a| dialable(a))
            .collect()
    }

    /// Runs the writer, and renews the lease until shutdown; if the lease was lost (the edge
    /// stalled past the TTL), takes a new one. Either way, after a failed write or a lost lease
    /// the writer rewrites this edge's rows.
    pub async fn keep(self: Arc<Self>, sessions: Arc<Sessions>) {
        if let Some(pending) = self.pending.lock().ok().and_then(|mut p| p.take()) {
            tokio::spawn(self.clone().write(pending, sessions));
        }
        let mut tick = tokio::time::interval(self.ttl / 3);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = self.lifecycle.shutdown.cancelled() => return,
            }
            match self.state.store.keep_alive(self.lease()).await {
                Ok(true) => self.heard_from_store(),
                Ok(false) => {
                    tracing::warn!("presence lease expired; announcing this edge again");
                    self.heard_from_store();
                    match self.state.store.grant_lease(self.ttl).await {
                        Ok(new) => {
                            self.lease.store(new, Ordering::Relaxed);
                            self.dirty.store(true, Ordering::Relaxed);
                        }
                        Err(e) => tracing::warn!(error = %e, "cannot take a presence lease"),
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot renew presence lease"),
            }
            if self.dirty.load(Ordering::Relaxed) {
                let _ = self.writes.send(Write::Resync);
            }
        }
    }

    fn heard_from_store(&self) {
        if let Ok(mut at) = self.last_contact.lock() {
            *at = Instant::now();
        }
    }

    async fn write(
        self: Arc<Self>,
        mut pending: mpsc::UnboundedReceiver<Write>,
        sessions: Arc<Sessions>,
    ) {
        while let Some(write) = pending.recv().await {
            let dirty = self.dirty.load(Ordering::Relaxed);
            let result = match write {
                // A resync will write what is true then.
                Write::Add(_) | Write::Remove(_) if dirty => continue,
                Write::Add(s) => self.state.add_session(&s, self.lease()).await,
                Write::Remove(s) => self.state.remove_session(s.tunnel_id, s.session_id).await,
                Write::Resync if !dirty => continue,
                Write::Resync => self.resync(&sessions).await,
            };
            match result {
                Ok(()) if dirty => {
                    tracing::info!("presence rewritten in the store");
                    self.dirty.store(false, Ordering::Relaxed);
                }
                Ok(()) => {}
                Err(e) => {
                    if !dirty {
                        tracing::warn!(error = %e, "cannot record presence in the store; it is rewritten when the store answers");
                    }
                    self.dirty.store(true, Ordering::Relaxed);
                }
            }
        }
    }

    /// Makes the store say what this edge holds: its row, its live sessions, and nothing of
    /// sessions that ended.
    async fn resync(&self, sessions: &Sessions) -> Result<(), StateError> {
        let lease = self.lease();
        self.state.announce_edge(&self.record_now(), lease).await?;
        let live = sessions.records();
        for session in &live {
            self.state.add_session(session, lease).await?;
        }
        for stored in self.state.sessions().await? {
            let ended = !live.iter().any(|s| s.session_id == stored.session_id);
            if stored.edge_id == self.record.id && ended {
                self.state
                    .remove_session(stored.tunnel_id, stored.session_id)
                    .await?;
            }
        }
        Ok(())
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
