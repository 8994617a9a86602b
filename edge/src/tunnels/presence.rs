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

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::lifecycle::Lifecycle;
use crate::state::directory::Directory;
use crate::state::store::LeaseId;
use crate::state::{decode, EdgeRecord, SessionRecord, State, StateError, SESSIONS};

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
    /// Bumped whenever the rows in the store stop being what this edge holds (a write failed,
    /// the lease was replaced); `synced` is the value a resync last made good. Dirty while they
    /// differ, so a mark made during a resync is not lost when that resync succeeds.
    marked: AtomicU64,
    synced: AtomicU64,
    /// A resync is queued (one at a time).
    resync_queued: AtomicBool,
    /// When the store last renewed the lease, and whether renewals fail since.
    last_contact: Mutex<(Instant, bool)>,
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
            marked: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            resync_queued: AtomicBool::new(false),
            last_contact: Mutex::new((Instant::now(), false)),
            writes,
            pending: Mutex::new(Some(pending)),
            lifecycle,
        })
    }

    /// This edge's id in the store.
    pub fn edge_id(&self) -> &str {
        &self.record.id
    }

    /// The lease this edge's rows live under (replaced if it was lost).
    pub fn lease(&self) -> LeaseId {
        self.lease.load(Ordering::Relaxed)
    }

    fn record_now(&self) -> EdgeRecord {
        EdgeRecord {
            draining: self.lifecycle.draining.is_cancelled(),
            ..self.record.clone()
        }
    }

    /// How long the store has not answered: since the last renewal that worked, once one has
    /// failed; zero while renewals work.
    pub fn store_silent_for(&self) -> Duration {
        match self.last_contact.lock().map(|c| *c) {
            Ok((at, true)) => at.elapsed(),
            _ => Duration::ZERO,
        }
    }

    fn dirty(&self) -> bool {
        self.marked.load(Ordering::Acquire) != self.synced.load(Ordering::Acquire)
    }

    fn mark_dirty(&self) {
        self.marked.fetch_add(1, Ordering::AcqRel);
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
            let answered = match self.state.store.keep_alive(self.lease()).await {
                Ok(true) => true,
                Ok(false) => {
                    tracing::warn!("presence lease expired; announcing this edge again");
                    match self.state.store.grant_lease(self.ttl).await {
                        Ok(new) => {
                            self.lease.store(new, Ordering::Relaxed);
                            self.mark_dirty();
                        }
                        Err(e) => tracing::warn!(error = %e, "cannot take a presence lease"),
                    }
                    true
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot renew presence lease");
                    false
                }
            };
            self.heard_from_store(answered);
            // Only once the store answers, and one at a time: a resync that cannot be written
            // would only wait out its deadlines.
            if answered && self.dirty() && !self.resync_queued.swap(true, Ordering::AcqRel) {
                let _ = self.writes.send(Write::Resync);
            }
        }
    }

    fn heard_from_store(&self, answered: bool) {
        if let Ok(mut contact) = self.last_contact.lock() {
            match answered {
                true => *contact = (Instant::now(), false),
                false => contact.1 = true,
            }
        }
    }

    async fn write(
        self: Arc<Self>,
        mut pending: mpsc::UnboundedReceiver<Write>,
        sessions: Arc<Sessions>,
    ) {
        while let Some(write) = pending.recv().await {
            let (dirty, marked) = (self.dirty(), self.marked.load(Ordering::Acquire));
            let result = match write {
                // A resync will write what is true then.
                Write::Add(_) | Write::Remove(_) if dirty => continue,
                Write::Add(s) => self.state.add_session(&s, self.lease()).await,
                Write::Remove(s) => self.state.remove_session(s.tunnel_id, s.session_id).await,
                Write::Resync => {
                    self.resync_queued.store(false, Ordering::Release);
                    if !dirty {
                        continue;
                    }
                    self.resync(&sessions).await
                }
            };
            match result {
                Ok(()) if dirty => {
                    // Made good up to `marked`; a later mark keeps it dirty.
                    self.synced.fetch_max(marked, Ordering::AcqRel);
                    if !self.dirty() {
                        tracing::info!("presence rewritten in the store");
                    }
                }
                Ok(()) => {}
                Err(e) => {
                    if !dirty {
                        tracing::warn!(error = %e, "cannot record presence in the store; it is rewritten when the store answers");
                    }
                    self.mark_dirty();
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
        let (rows, _) = self.state.store.range(SESSIONS).await?;
        // A row this edge cannot read (another version's) is not this edge's to fix.
        for stored in rows
            .iter()
            .filter_map(|kv| decode::<SessionRecord>(kv).ok())
        {
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
