//! The embedded [`Store`]: SQLite in WAL mode in the state directory, safe for several processes
//! on one host (the CLI and edges share it). Each call runs on tokio's blocking pool.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{Changes, Expect, KeyValue, LeaseId, Revision, Store, StoreError};

/// How many change events are kept for watchers that fall behind.
const EVENTS_KEPT: i64 = 100_000;

/// How often a watch asks the file for changes (SQLite cannot push them): "every edge sees a
/// change within a second" with room to spare.
const WATCH_POLL: Duration = Duration::from_millis(200);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS revision (id INTEGER PRIMARY KEY CHECK (id = 0), rev INTEGER NOT NULL);
INSERT OR IGNORE INTO revision VALUES (0, 0);
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY, value BLOB NOT NULL, mod_rev INTEGER NOT NULL, lease INTEGER);
CREATE INDEX IF NOT EXISTS kv_lease ON kv (lease);
CREATE TABLE IF NOT EXISTS leases (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ttl_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);
-- value NULL marks a delete.
CREATE TABLE IF NOT EXISTS events (rev INTEGER PRIMARY KEY, key TEXT NOT NULL, value BLOB, lease INTEGER);
";

#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: std::path::PathBuf,
}

#[derive(Debug, thiserror::Error)]
#[error("lease {0} not found (expired or revoked)")]
struct LeaseNotFound(LeaseId);

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Advances the global revision inside a write transaction and returns the new value.
fn next_revision(tx: &rusqlite::Transaction) -> rusqlite::Result<Revision> {
    tx.query_row(
        "UPDATE revision SET rev = rev + 1 WHERE id = 0 RETURNING rev",
        [],
        |r| r.get(0),
    )
}

fn write_put(
    tx: &rusqlite::Transaction,
    key: &str,
    value: &[u8],
    lease: Option<LeaseId>,
) -> rusqlite::Result<Revision> {
    if let Some(lease) = lease {
        // As etcd: a key cannot be bound to a lease that has already ended.
        let live: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM leases WHERE id = ?1)",
            params![lease],
            |r| r.get(0),
        )?;
        if !live {
            return Err(rusqlite::Error::ToSqlConversionFailure(Box::new(
                LeaseNotFound(lease),
            )));
        }
    }
    let rev = next_revision(tx)?;
    tx.execute(
        "INSERT INTO kv (key, value, mod_rev, lease) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(key) DO UPDATE SET value = ?2, mod_rev = ?3, lease = ?4",
        params![key, value, rev, lease],
    )?;
    tx.execute(
        "INSERT INTO events (rev, key, value, lease) VALUES (?1, ?2, ?3, ?4)",
        params![rev, key, value, lease],
    )?;
    Ok(rev)
}

fn write_delete(tx: &rusqlite::Transaction, key: &str) -> rusqlite::Result<bool> {
    if tx.execute("DELETE FROM kv WHERE key = ?1", params![key])? == 0 {
        return Ok(false);
    }
    let rev = next_revision(tx)?;
    tx.execute(
        "INSERT INTO events (rev, key) VALUES (?1, ?2)",
        params![rev, key],
    )?;
    Ok(true)
}

/// Deletes the keys of one lease (with events) and the lease itself.
fn drop_lease(tx: &rusqlite::Transaction, lease: LeaseId) -> rusqlite::Result<()> {
    let keys: Vec<String> = tx
        .prepare("SELECT key FROM kv WHERE lease = ?1")?
        .query_map(params![lease], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for key in keys {
        write_delete(tx, &key)?;
    }
    tx.execute("DELETE FROM leases WHERE id = ?1", params![lease])?;
    Ok(())
}

/// Expires every lease past its deadline. Called in each write and by watchers, so expired keys
/// disappear (with events) even when nobody writes.
fn reap(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let expired: Vec<LeaseId> = tx
        .prepare("SELECT id FROM leases WHERE expires_ms <= ?1")?
        .query_map(params![now_ms()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for lease in expired {
        drop_lease(tx, lease)?;
    }
    Ok(())
}

fn row_to_kv(r: &rusqlite::Row) -> rusqlite::Result<KeyValue> {
    Ok(KeyValue {
        key: r.get(0)?,
        value: r.get(1)?,
        mod_revision: r.get(2)?,
        lease: r.get(3)?,
    })
}

/// Live keys only: a key whose lease has passed its deadline is already gone for readers, even
/// before a writer reaps it.
const LIVE: &str = "(lease IS NULL OR lease IN (SELECT id FROM leases WHERE expires_ms > ?2))";

impl SqliteStore {
    /// Opens (creating if needed) `DIR/state.db`.
    pub fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| backend(format!("cannot create state dir {}: {e}", dir.display())))?;
        let path = dir.join("state.db");
        // The store holds the tunnel CA's key: the directory and the database are the owner's
        // alone, on every start and not only the first (SQLite gives its -wal and -shm files
        // the database's mode). A directory the edge may not change (shared, another owner's)
        // is left as it is, with a warning.
        for (p, mode) in [(dir.to_path_buf(), 0o700), (path.clone(), 0o600)]
            .into_iter()
            .chain(["state.db-wal", "state.db-shm"].map(|f| (dir.join(f), 0o600)))
        {
            if let Err(e) = tether_runtime::private::restrict(&p, mode) {
                tracing::warn!(path = %p.display(), error = %e, "cannot make it private to its owner");
            }
        }
        if !path.exists() {
            use std::os::unix::fs::OpenOptionsExt;
            let created = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path);
            if let Err(e) = created.map(drop) {
                if e.kind() != std::io::ErrorKind::AlreadyExists {
                    return Err(backend(format!("cannot create {}: {e}", path.display())));
                }
            }
        }
        let conn = Connection::open(&path)
            .map_err(|e| backend(format!("cannot open {}: {e}", path.display())))?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| backend("store lock poisoned"))?;
            f(&mut guard).map_err(backend)
        })
        .await
        .map_err(backend)?
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            reap(&tx)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &str) -> Result<Option<KeyValue>, StoreError> {
        let key = key.to_string();
        self.run(move |c| {
            c.query_row(
                &format!("SELECT key, value, mod_rev, lease FROM kv WHERE key = ?1 AND {LIVE}"),
                params![key, now_ms()],
                row_to_kv,
            )
            .optional()
        })
        .await
    }

    async fn range(&self, prefix: &str) -> Result<(Vec<KeyValue>, Revision), StoreError> {
        let prefix = prefix.to_string();
        self.run(move |c| {
            let tx = c.transaction()?;
            let rev: Revision = tx.query_row("SELECT rev FROM revision", [], |r| r.get(0))?;
            let kvs = tx
                .prepare(&format!(
                    "SELECT key, value, mod_rev, lease FROM kv
                     WHERE substr(key, 1, length(?1)) = ?1 AND {LIVE} ORDER BY key"
                ))?
                .query_map(params![prefix, now_ms()], row_to_kv)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok((kvs, rev))
        })
        .await
    }

    async fn put(
        &self,
        key: &str,
        value: Vec<u8>,
        lease: Option<LeaseId>,
    ) -> Result<Revision, StoreError> {
        let key = key.to_string();
        self.write(move |tx| write_put(tx, &key, &value, lease))
            .await
    }

    async fn put_if(
        &self,
        key: &str,
        value: Vec<u8>,
        lease: Option<LeaseId>,
        expect: Expect,
    ) -> Result<Result<Revision, Option<KeyValue>>, StoreError> {
        let key = key.to_string();
        self.write(move |tx| {
            let current = tx
                .query_row(
                    "SELECT key, value, mod_rev, lease FROM kv WHERE key = ?1",
                    params![key],
                    row_to_kv,
                )
                .optional()?;
            let holds = match (&expect, &current) {
                (Expect::Absent, None) => true,
                (Expect::ModRevision(rev), Some(kv)) => kv.mod_revision == *rev,
                _ => false,
            };
            if !holds {
                return Ok(Err(current));
            }
            write_put(tx, &key, &value, lease).map(Ok)
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let key = key.to_string();
        self.write(move |tx| write_delete(tx, &key)).await
    }

    async fn delete_if(&self, key: &str, revision: Revision) -> Result<bool, StoreError> {
        let key = key.to_string();
        self.write(move |tx| {
            let current: Option<Revision> = tx
                .query_row("SELECT mod_rev FROM kv WHERE key = ?1", params![key], |r| {
                    r.get(0)
                })
                .optional()?;
            if current != Some(revision) {
                return Ok(false);
            }
            write_delete(tx, &key)
        })
        .await
    }

    async fn grant_lease(&self, ttl: Duration) -> Result<LeaseId, StoreError> {
        let ttl_ms = ttl.as_millis() as i64;
        self.write(move |tx| {
            tx.query_row(
                "INSERT INTO leases (ttl_ms, expires_ms) VALUES (?1, ?2) RETURNING id",
                params![ttl_ms, now_ms() + ttl_ms],
                |r| r.get(0),
            )
        })
        .await
    }

    async fn keep_alive(&self, lease: LeaseId) -> Result<bool, StoreError> {
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE leases SET expires_ms = ?2 + ttl_ms WHERE id = ?1",
                params![lease, now_ms()],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn revoke(&self, lease: LeaseId) -> Result<(), StoreError> {
        self.write(move |tx| drop_lease(tx, lease)).await
    }

    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute("DELETE FROM events WHERE rev < ?1", params![revision])
                .map(|_| ())
        })
        .await
    }

    fn watch(&self, prefix: &str, mut after: Revision) -> Changes {
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        let (store, prefix) = (self.clone(), prefix.to_string());
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

    fn describe(&self) -> String {
        format!("the SQLite store {}", self.path.display())
    }
}

#[path = "sqlite_events.rs"]
mod events;

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
