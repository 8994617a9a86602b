//! The edge's state, behind a key-value [`Store`] shaped like etcd's API so an etcd
//! implementation can slot in later without changing callers.
//!
//! # Contract
//! - Every change (put or delete of one key) gets the next value of one global, monotonically
//!   increasing **revision**. A key's `mod_revision` is the revision of its last change.
//! - [`Store::events_since`] returns, in revision order, every change after a revision to keys
//!   under a prefix; [`watch`] turns that into a stream. A watcher that falls behind compaction
//!   gets [`StoreError::Compacted`] and must re-read with [`Store::range`].
//! - A key may be bound to a **lease** with a TTL. When the lease is not kept alive within its TTL
//!   (the process holding it died), the key disappears, with a delete event, as if deleted.
//! - [`Store::put_if`] is compare-and-set on one key: it writes only if the key is absent or at
//!   the expected `mod_revision`, so a hostname or a port is claimed by exactly one tunnel.
//! - Several processes (the CLI and several edges) may use one store concurrently.
//!
//! The typed records stored under the keys live in [`crate::state`].

mod sqlite;

use std::sync::Arc;
use std::time::Duration;

pub use sqlite::SqliteStore;

pub type Revision = i64;
pub type LeaseId = i64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Vec<u8>,
    pub mod_revision: Revision,
    pub lease: Option<LeaseId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Put(KeyValue),
    Delete { key: String, revision: Revision },
}

impl Event {
    pub fn revision(&self) -> Revision {
        match self {
            Event::Put(kv) => kv.mod_revision,
            Event::Delete { revision, .. } => *revision,
        }
    }
}

/// The condition of a compare-and-set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The key must not exist.
    Absent,
    /// The key must exist at exactly this revision.
    ModRevision(Revision),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store I/O error: {0}")]
    Backend(String),
    #[error("revision {0} has been compacted; re-read the current state")]
    Compacted(Revision),
}

#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    async fn get(&self, key: &str) -> Result<Option<KeyValue>, StoreError>;
    /// Every live key under `prefix`, and the revision this view is consistent with.
    async fn range(&self, prefix: &str) -> Result<(Vec<KeyValue>, Revision), StoreError>;
    async fn put(
        &self,
        key: &str,
        value: Vec<u8>,
        lease: Option<LeaseId>,
    ) -> Result<Revision, StoreError>;
    /// Compare-and-set. `Ok(Err(current))` when the condition failed, with the key's current value.
    async fn put_if(
        &self,
        key: &str,
        value: Vec<u8>,
        lease: Option<LeaseId>,
        expect: Expect,
    ) -> Result<Result<Revision, Option<KeyValue>>, StoreError>;
    /// Returns whether the key existed.
    async fn delete(&self, key: &str) -> Result<bool, StoreError>;
    /// Compare-and-delete: deletes the key only if it is at exactly `revision`; returns whether it
    /// did.
    async fn delete_if(&self, key: &str, revision: Revision) -> Result<bool, StoreError>;
    async fn grant_lease(&self, ttl: Duration) -> Result<LeaseId, StoreError>;
    /// Renews a lease for another TTL; `false` if it had already expired (its keys are gone).
    async fn keep_alive(&self, lease: LeaseId) -> Result<bool, StoreError>;
    /// Ends a lease now, deleting its keys.
    async fn revoke(&self, lease: LeaseId) -> Result<(), StoreError>;
    /// Changes under `prefix` with a revision greater than `after`, oldest first.
    async fn events_since(&self, prefix: &str, after: Revision) -> Result<Vec<Event>, StoreError>;
}

/// How often [`watch`] asks a store that cannot push changes; "every edge sees a change within a
/// second" with room to spare.
pub const WATCH_POLL: Duration = Duration::from_millis(200);

/// Streams every change under `prefix` after revision `after`. The stream ends with an error (for
/// example [`StoreError::Compacted`]) or when the receiver is dropped.
pub fn watch(
    store: Arc<dyn Store>,
    prefix: String,
    mut after: Revision,
) -> tokio::sync::mpsc::Receiver<Result<Event, StoreError>> {
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(WATCH_POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = tx.closed() => return,
            }
            match store.events_since(&prefix, after).await {
                Ok(events) => {
                    for event in events {
                        after = event.revision();
                        if tx.send(Ok(event)).await.is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    rx
}

/// What [`mirror`] hands its caller: the whole prefix (at start and after a watch failure), then
/// each change.
pub enum Mirrored<'a> {
    Reset(&'a [KeyValue]),
    Change(&'a Event),
}

/// Keeps an in-memory view of every key under `prefix`: reads them all, then follows the watch;
/// a failed watch (compaction, store error) starts over with a fresh read. Runs until `shutdown`.
pub async fn mirror(
    store: Arc<dyn Store>,
    prefix: &str,
    shutdown: tokio_util::sync::CancellationToken,
    mut apply: impl FnMut(Mirrored<'_>),
) {
    loop {
        let (kvs, revision) = match store.range(prefix).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(prefix, error = %e, "cannot read the store; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = shutdown.cancelled() => return,
                }
            }
        };
        apply(Mirrored::Reset(&kvs));
        let mut events = watch(store.clone(), prefix.into(), revision);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(Ok(event)) => apply(Mirrored::Change(&event)),
                    Some(Err(e)) => { tracing::warn!(prefix, error = %e, "store watch failed; reloading"); break; }
                    None => break,
                },
                _ = shutdown.cancelled() => return,
            }
        }
    }
}
