//! One prefix of the store kept in memory from its watch ([`super::store::mirror`]): what the data
//! path reads instead of the store, so it never waits on it. While the store is unreachable a
//! table keeps what it last saw (static stability); when the store is back the watch resumes, or
//! reloads the prefix whole after a compaction.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::decode;
use super::store::{mirror, Event, Mirrored, Revision, Store};

/// The rows under one prefix, by key (without the prefix), and the store revision they are
/// current to.
pub struct Table<T> {
    prefix: &'static str,
    rows: Arc<RwLock<BTreeMap<String, T>>>,
    /// The revision last applied; 0 until the first full read. Bumped on every change, so
    /// [`Table::changed`] wakes whoever rebuilds something from the table.
    revision: watch::Sender<Revision>,
}

impl<T> Clone for Table<T> {
    fn clone(&self) -> Self {
        Table {
            prefix: self.prefix,
            rows: self.rows.clone(),
            revision: self.revision.clone(),
        }
    }
}

impl<T: DeserializeOwned + Clone + Send + Sync + 'static> Table<T> {
    pub fn new(prefix: &'static str) -> Table<T> {
        Table {
            prefix,
            rows: Arc::default(),
            revision: watch::Sender::new(0),
        }
    }

    /// Follows the store until `shutdown`. A row that does not decode is left out, with a warning.
    pub async fn follow(self, store: Arc<dyn Store>, shutdown: CancellationToken) {
        let prefix = self.prefix;
        mirror(store, prefix, shutdown, |m| {
            let revision = match m {
                Mirrored::Reset(kvs, revision) => {
                    let rows = kvs
                        .iter()
                        .filter_map(|kv| self.decoded(kv))
                        .collect::<BTreeMap<_, _>>();
                    if let Ok(mut table) = self.rows.write() {
                        *table = rows;
                    }
                    revision
                }
                Mirrored::Change(event) => {
                    if let Ok(mut table) = self.rows.write() {
                        match event {
                            Event::Put(kv) => match self.decoded(kv) {
                                Some((key, row)) => {
                                    table.insert(key, row);
                                }
                                // As a reload would: the old value is no longer true.
                                None => {
                                    table.remove(kv.key.strip_prefix(prefix).unwrap_or(&kv.key));
                                }
                            },
                            Event::Delete { key, .. } => {
                                table.remove(key.strip_prefix(prefix).unwrap_or(key));
                            }
                        }
                    }
                    event.revision()
                }
            };
            // Never backwards: a reload may be read at a revision older than an event seen.
            self.revision.send_if_modified(|r| {
                let newer = revision.max(1) > *r;
                *r = (*r).max(revision.max(1));
                newer
            });
        })
        .await
    }

    fn decoded(&self, kv: &super::store::KeyValue) -> Option<(String, T)> {
        match decode::<T>(kv) {
            Ok(row) => Some((kv.key.strip_prefix(self.prefix)?.to_string(), row)),
            Err(e) => {
                tracing::warn!(error = %e, "skipping a record the edge cannot read");
                None
            }
        }
    }

    /// Waits for the first full read (at start-up, before serving from the table).
    pub async fn loaded(&self) {
        let mut revision = self.revision.subscribe();
        let _ = revision.wait_for(|r| *r > 0).await;
    }

    /// The revision of the last change applied.
    pub fn revision(&self) -> Revision {
        *self.revision.borrow()
    }

    /// Wakes on every change after this call.
    pub fn changed(&self) -> watch::Receiver<Revision> {
        self.revision.subscribe()
    }

    pub fn get(&self, key: &str) -> Option<T> {
        self.rows.read().ok()?.get(key).cloned()
    }

    /// Every row whose key starts with `prefix` (within the table), in key order.
    pub fn under(&self, prefix: &str) -> Vec<T> {
        let Ok(rows) = self.rows.read() else {
            return Vec::new();
        };
        rows.range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn all(&self) -> Vec<T> {
        self.under("")
    }

    /// Adds a row this process just wrote to the store, so it reads it at once rather than when
    /// the watch brings it back.
    pub fn insert(&self, key: String, row: T) {
        if let Ok(mut table) = self.rows.write() {
            table.insert(key, row);
        }
    }

    /// Replaces the rows (tests).
    pub fn set(&self, rows: impl IntoIterator<Item = (String, T)>) {
        if let Ok(mut table) = self.rows.write() {
            *table = rows.into_iter().collect();
        }
        self.revision.send_modify(|r| *r += 1);
    }
}
