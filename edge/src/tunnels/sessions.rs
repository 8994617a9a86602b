//! Live tunnel sessions held by this edge, and the choice of one for a new stream.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use h2::client::SendRequest;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::activity::Active;
use crate::error::EdgeError;
use crate::metrics::StreamCount;
use crate::state::SessionRecord;

/// One authenticated session: an HTTP/2 connection on which the edge is the client.
pub struct Session {
    pub record: SessionRecord,
    /// Cloned per stream; h2 multiplexes clones over the one connection.
    sender: SendRequest<Bytes>,
    /// Streams open on this session now (requests in flight, WebSockets open).
    active: AtomicUsize,
    /// The connector sent GOAWAY (it is draining): no new streams here, open ones run on.
    draining: AtomicBool,
    /// Cancelled to close the session (tunnel deleted, edge shutting down).
    pub closed: CancellationToken,
    /// Not a session of this edge but a link to the edge in `record.edge_id` that holds one
    /// (`links/`): each stream names its tunnel in `tether-link-tunnel`.
    pub over_link: bool,
    /// The connector would not move it when this edge drained (an older connector, or one
    /// that knows no other edge): the drain does not wait for it to go.
    pub stays: AtomicBool,
    /// The drain has sent `move` on it (once is enough).
    pub asked_to_move: AtomicBool,
    /// Its key is no longer accepted: `revoked` has been sent, and it is closing.
    pub revoked: AtomicBool,
    /// The last PING round trip, in microseconds (0: none yet): the admin API shows it.
    pub rtt_micros: AtomicU64,
}

impl Session {
    pub fn new(record: SessionRecord, sender: SendRequest<Bytes>) -> Arc<Session> {
        Arc::new(Session {
            record,
            sender,
            active: AtomicUsize::new(0),
            draining: AtomicBool::new(false),
            closed: CancellationToken::new(),
            over_link: false,
            stays: AtomicBool::new(false),
            asked_to_move: AtomicBool::new(false),
            revoked: AtomicBool::new(false),
            rtt_micros: AtomicU64::new(0),
        })
    }

    /// Streams of `record.tunnel_id` carried over the link `sender` to the edge
    /// `record.edge_id`. Made per stream: the other edge keeps the count that matters.
    pub fn over_link(record: SessionRecord, sender: SendRequest<Bytes>) -> StreamGuard {
        let session = Arc::new(Session {
            record,
            sender,
            active: AtomicUsize::new(1),
            draining: AtomicBool::new(false),
            closed: CancellationToken::new(),
            over_link: true,
            stays: AtomicBool::new(false),
            asked_to_move: AtomicBool::new(false),
            revoked: AtomicBool::new(false),
            rtt_micros: AtomicU64::new(0),
        });
        StreamGuard {
            session,
            connection: None,
            kind: None,
        }
    }

    pub fn active_streams(&self) -> usize {
        self.active.load(Ordering::Relaxed)
    }

    /// The connector refused new streams with GOAWAY: new streams go to other sessions.
    pub fn mark_draining(&self) {
        if !self.draining.swap(true, Ordering::Relaxed) {
            tracing::info!(session = %self.record.session_id, tunnel = %self.record.tunnel_id, "session draining: the connector takes no new streams on it");
        }
    }

    /// The edge takes it out of service (its key was revoked): new streams go elsewhere.
    pub fn refuse_new_streams(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Whether new streams may go here.
    fn open_for_streams(&self) -> bool {
        !self.closed.is_cancelled() && !self.draining.load(Ordering::Relaxed)
    }
}

/// Counts one stream against its session until dropped; hold it as long as the stream is open
/// (the response body, or the WebSocket task, owns it).
pub struct StreamGuard {
    pub session: Arc<Session>,
    /// Also counts the stream on its public connection, for `idle-timeout`.
    connection: Option<Active>,
    /// And in `tether_edge_streams_active`.
    kind: Option<StreamCount>,
}

impl StreamGuard {
    /// Counts the stream on its public connection too, for as long as this guard lives.
    pub fn counting(mut self, active: Active) -> Self {
        self.connection = Some(active);
        self
    }

    pub fn sender(&self) -> SendRequest<Bytes> {
        self.session.sender.clone()
    }

    /// Counts the stream in the metrics too, for as long as this guard lives.
    pub fn kind(mut self, count: StreamCount) -> Self {
        self.kind = Some(count);
        self
    }

    /// Moves the public connection's and the metrics' counts onto `other` (a retry on another
    /// session), so the connection stays busy throughout.
    pub fn hand_over(mut self, mut other: StreamGuard) -> StreamGuard {
        other.connection = self.connection.take();
        other.kind = self.kind.take();
        other
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.session.active.fetch_sub(1, Ordering::Relaxed);
    }
}

#[derive(Default)]
pub struct Sessions {
    by_tunnel: RwLock<HashMap<Uuid, Vec<Arc<Session>>>>,
    /// Woken whenever a session is removed or a registration ends (the drain waits for both,
    /// a request for a tunnel whose session is registering for the latter).
    pub changed: tokio::sync::Notify,
    /// Sessions being opened and not yet inserted (from before the 101 to registered), by
    /// tunnel.
    registering: std::sync::Mutex<HashMap<Uuid, usize>>,
    /// Counts insertions: the revocation watch looks at every new session's key.
    inserted: tokio::sync::watch::Sender<u64>,
}

impl Sessions {
    pub fn insert(&self, session: Arc<Session>) {
        if let Ok(mut map) = self.by_tunnel.write() {
            map.entry(session.record.tunnel_id)
                .or_default()
                .push(session);
        }
        self.inserted.send_modify(|n| *n += 1);
    }

    /// Changes each time a session is inserted.
    pub fn insertions(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inserted.subscribe()
    }

    pub fn remove(&self, session: &Arc<Session>) {
        if let Ok(mut map) = self.by_tunnel.write() {
            if let Some(list) = map.get_mut(&session.record.tunnel_id) {
                list.retain(|s| !Arc::ptr_eq(s, session));
                if list.is_empty() {
                    map.remove(&session.record.tunnel_id);
                }
            }
        }
        self.changed.notify_waiters();
    }

    /// One more session of `tunnel` being opened (`accept::Registering` pairs it with
    /// the end). Counted under a lock the drain's read also takes: counted before the drain flag
    /// is checked, so a drain either sees the session counted or the session sees the drain.
    pub fn begin_registering(&self, tunnel: Uuid) {
        if let Ok(mut map) = self.registering.lock() {
            *map.entry(tunnel).or_default() += 1;
        }
    }

    pub fn end_registering(&self, tunnel: Uuid) {
        if let Ok(mut map) = self.registering.lock() {
            if let Some(n) = map.get_mut(&tunnel) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&tunnel);
                }
            }
        }
        self.changed.notify_waiters();
    }

    /// Sessions being opened now.
    pub fn registering_now(&self) -> usize {
        self.registering
            .lock()
            .map(|m| m.values().sum())
            .unwrap_or(0)
    }

    /// Whether a session of `tunnel` is being opened now.
    pub fn registering_of(&self, tunnel: Uuid) -> bool {
        self.registering
            .lock()
            .is_ok_and(|m| m.contains_key(&tunnel))
    }

    /// Every live session.
    pub fn all(&self) -> Vec<Arc<Session>> {
        self.by_tunnel
            .read()
            .map(|m| m.values().flatten().cloned().collect())
            .unwrap_or_default()
    }

    /// Closes every session of a tunnel (it was deleted).
    pub fn close_tunnel(&self, tunnel: Uuid) {
        if let Ok(map) = self.by_tunnel.read() {
            for session in map.get(&tunnel).into_iter().flatten() {
                session.closed.cancel();
            }
        }
    }

    pub fn close_all(&self) {
        if let Ok(map) = self.by_tunnel.read() {
            map.values().flatten().for_each(|s| s.closed.cancel());
        }
    }

    /// A stream slot on the live session of `tunnel` with the fewest open streams, leaving out
    /// `avoid` (the session a stream just failed on). No session → the tunnel is offline; every
    /// session full → busy (never queue silently).
    pub fn pick_avoiding(
        &self,
        tunnel: Uuid,
        max_streams: usize,
        avoid: Option<&Arc<Session>>,
    ) -> Result<StreamGuard, EdgeError> {
        let map = self.by_tunnel.read().map_err(|_| EdgeError::TunnelFailed)?;
        let best = map
            .get(&tunnel)
            .into_iter()
            .flatten()
            .filter(|s| s.open_for_streams())
            .filter(|s| avoid.is_none_or(|a| !Arc::ptr_eq(s, a)))
            .min_by_key(|s| s.active_streams())
            .ok_or(EdgeError::TunnelOffline)?;
        // fetch_add then check, so two racing picks cannot both take the last slot.
        if best.active.fetch_add(1, Ordering::Relaxed) >= max_streams {
            best.active.fetch_sub(1, Ordering::Relaxed);
            return Err(EdgeError::TunnelBusy);
        }
        Ok(StreamGuard {
            session: best.clone(),
            connection: None,
            kind: None,
        })
    }

    /// Tunnels with at least one live session here.
    pub fn tunnel_ids(&self) -> Vec<Uuid> {
        self.by_tunnel
            .read()
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default()
    }

    /// The records of every live session (to re-announce them under a new lease).
    pub fn records(&self) -> Vec<SessionRecord> {
        self.by_tunnel
            .read()
            .map(|m| m.values().flatten().map(|s| s.record.clone()).collect())
            .unwrap_or_default()
    }
}

impl Session {
    /// A sender for control messages, which do not count against the stream limit.
    pub fn sender_for_control(&self) -> SendRequest<Bytes> {
        self.sender.clone()
    }
}
