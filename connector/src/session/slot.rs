//! What the sessions run with: the [`Connector`] every slot shares, and each [`Slot`]'s own state
//! (`connector run` has one slot per `ha-connections`).

use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use tether_transport::liveness::Pulse;
use uuid::Uuid;

use crate::metrics::ConnectorMetrics;
use crate::serve::Streams;

use super::edges::EdgePool;

/// The connector's identity, the edges it knows and its settings, shared by every slot.
pub struct Connector {
    pub tunnel_id: Uuid,
    /// Random per process: the edge tells replicas apart by it.
    pub connector_id: Uuid,
    /// Signs each session's claim (the tunnel's private key).
    pub key: SigningKey,
    /// The edges known; registrations add to them.
    pub edges: Arc<EdgePool>,
    /// A session that answers no PING and sends nothing for this long is dead (`liveness-timeout`).
    pub liveness_timeout: Duration,
    /// How long in-flight streams may run on after shutdown (`grace-period`).
    pub grace_period: Duration,
    pub metrics: Arc<ConnectorMetrics>,
    /// Where every stream the edge opens goes.
    pub streams: Streams,
    /// Set when an edge said `revoked`: the tunnel's key is no longer accepted, so every slot
    /// stops with this reason instead of reconnecting.
    pub revoked: std::sync::Mutex<Option<String>>,
}

impl Connector {
    /// The reason an edge gave for revoking this tunnel's key, if one did.
    pub fn revoked_reason(&self) -> Option<String> {
        self.revoked.lock().ok().and_then(|r| r.clone())
    }
}

/// One session slot: its number, its registrations and pulse, and the edge it dialled.
pub struct Slot {
    pub connector: Arc<Connector>,
    /// This slot's number, `0..ha-connections`.
    pub index: u8,
    /// Counts this slot's registrations: the first session's start the others, a replacement's
    /// ends the session it replaces.
    pub registrations: tokio::sync::watch::Sender<u64>,
    /// Set by the edge's `move` control message: its edge is draining.
    pub move_requested: tokio::sync::Notify,
    /// The address this slot dialled last (the edge a `move` comes from).
    pub dialled: std::sync::Mutex<String>,
    /// When the current session last answered a PING (for `/ready`).
    pub pulse: Pulse,
}

impl Slot {
    pub fn new(connector: Arc<Connector>, index: u8, pulse: Pulse) -> Slot {
        Slot {
            connector,
            index,
            registrations: tokio::sync::watch::Sender::new(0),
            move_requested: tokio::sync::Notify::new(),
            dialled: Default::default(),
            pulse,
        }
    }
}
