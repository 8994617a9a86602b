//! The edge's state, behind a key-value [`Store`] with etcd's shape. Two backends: [`SqliteStore`]
//! (embedded, one host) and [`EtcdStore`] (a cluster of edges on many machines); [`open`] picks
//! the one edge.yml's `store:` names.
//!
//! # Contract
//! - Every change (put or delete of one key) gets the next value of one global, monotonically
//!   increasing **revision**. A key's `mod_revision` is the revision of its last change.
//! - [`Store::watch`] streams, in revision order, every change after a revision to keys under a
//!   prefix. A watcher that falls behind compaction gets [`StoreError::Compacted`] and must re-read
//!   with [`Store::range`]; any other error ends the stream too, and the watcher may resume from
//!   the last revision it saw ([`mirror`] does both).
//! - A key may be bound to a **lease** with a TTL. When the lease is not kept alive within its TTL
//!   (the process holding it died), the key disappears, with a delete event, as if deleted.
//! - [`Store::put_if`] is compare-and-set on one key: it writes only if the key is absent or at
//!   the expected `mod_revision`, so a hostname or a port is claimed by exactly one tunnel.
//! - Several processes (the CLI and several edges) may use one store concurrently.
//!
//! The typed records stored under the keys live in [`crate::state`].

mod etcd;
mod sqlite;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use etcd::EtcdStore;

use crate::config::StoreConfig;
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
    /// The store cannot be reached (etcd down or without a leader): nothing was written.
    #[error("{0}")]
    Unavailable(String),
    #[error("revision {0} has been compacted; re-read the current state")]
    Compacted(Revision),
}

/// The changes [`Store::watch`] streams; dropping the receiver ends the watch.
pub type Changes = tokio::sync::mpsc::Receiver<Result<Event, StoreError>>;

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
    /// Forgets the changes before `revision`: a watch from an older revision then fails with
    /// [`StoreError::Compacted`]. Stores also compact by themselves (SQLite keeps the last
    /// 100,000 changes; etcd as its `--auto-compaction-*` flags say).
    async fn compact(&self, revision: Revision) -> Result<(), StoreError>;
    /// Streams every change under `prefix` with a revision greater than `after`, oldest first.
    /// The stream ends with an error (for example [`StoreError::Compacted`]) or when the
    /// receiver is dropped.
    fn watch(&self, prefix: &str, after: Revision) -> Changes;
    /// Where the store is, for messages: "etcd at http://10.0.0.1:2379" or the SQLite file.
    fn describe(&self) -> String;
}

/// Opens the configured store. SQLite lives in `state_dir`; etcd is connected lazily, so this
/// does not wait for it (the first request does).
pub async fn open(config: &StoreConfig, state_dir: &Path) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match config {
        StoreConfig::Sqlite => Arc::new(SqliteStore::open(state_dir)?),
        StoreConfig::Etcd(settings) => Arc::new(EtcdStore::connect(settings).await?),
    })
}

/// What [`mirror`] hands its caller: the whole prefix (at start and after a watch failure), then
/// each change.
pub enum Mirrored<'a> {
    /// Every key, as of this revision.
    Reset(&'a [KeyValue], Revision),
    Change(&'a Event),
}

/// Keeps an in-memory view of every key under `prefix`: reads them all, then follows the watch.
/// A watch that ends with an error resumes from the last revision seen, after a pause; one that
/// fell behind compaction starts over with a fresh read. While the store cannot be read, the view
/// is left as it was (static stability: callers keep serving what they know). Runs until
/// `shutdown`.
pub async fn mirror(
    store: Arc<dyn Store>,
    prefix: &str,
    shutdown: tokio_util::sync::CancellationToken,
    mut apply: impl FnMut(Mirrored<'_>),
) {
    let pause = || async {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => false,
            _ = shutdown.cancelled() => true,
        }
    };
    let mut seen: Option<Revision> = None;
    loop {
        let after = match seen {
            Some(revision) => revision,
            None => match store.range(prefix).await {
                Ok((kvs, revision)) => {
                    apply(Mirrored::Reset(&kvs, revision));
                    revision
                }
                Err(e) => {
                    tracing::warn!(prefix, error = %e, "cannot read the store; serving what is known, retrying");
                    if pause().await {
                        return;
                    }
                    continue;
                }
            },
        };
        seen = Some(after);
        let mut events = store.watch(prefix, after);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(Ok(event)) => {
                        seen = Some(event.revision());
                        apply(Mirrored::Change(&event));
                    }
                    Some(Err(StoreError::Compacted(_))) => {
                        tracing::warn!(prefix, "store watch fell behind compaction; reloading");
                        seen = None;
                        break;
                    }
                    ended => {
                        let error = match ended {
                            Some(Err(e)) => e.to_string(),
                            _ => "the watch ended".into(),
                        };
                        tracing::warn!(prefix, error, "store watch failed; resuming");
                        if pause().await {
                            return;
                        }
                        break;
                    }
                },
                _ = shutdown.cancelled() => return,
            }
        }
    }
}
