//! The SQLite store's change log read back: what its watch polls for, with expired leases
//! reaped (and old events compacted) on the way.

use rusqlite::{params, TransactionBehavior};

use super::{now_ms, reap, SqliteStore, EVENTS_KEPT};
use crate::state::store::{Event, KeyValue, LeaseId, Revision, StoreError};

impl SqliteStore {
    /// Changes under `prefix` with a revision greater than `after`, oldest first; expired
    /// leases are reaped (and old events compacted) on the way.
    pub async fn events_since(
        &self,
        prefix: &str,
        after: Revision,
    ) -> Result<Vec<Event>, StoreError> {
        let prefix = prefix.to_string();
        let rows = self
            .run(move |c| {
                let expired: bool = c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM leases WHERE expires_ms <= ?1)",
                    params![now_ms()],
                    |r| r.get(0),
                )?;
                let tx = c.transaction_with_behavior(if expired {
                    TransactionBehavior::Immediate
                } else {
                    TransactionBehavior::Deferred
                })?;
                if expired {
                    reap(&tx)?;
                    // Compaction rides on the same occasional write.
                    tx.execute(
                        "DELETE FROM events WHERE rev < (SELECT rev FROM revision) - ?1",
                        params![EVENTS_KEPT],
                    )?;
                }
                let oldest: Option<Revision> =
                    tx.query_row("SELECT MIN(rev) FROM events", [], |r| r.get(0))?;
                let current: Revision =
                    tx.query_row("SELECT rev FROM revision", [], |r| r.get(0))?;
                let rows = tx
                    .prepare(
                        "SELECT rev, key, value, lease FROM events
                         WHERE rev > ?1 AND substr(key, 1, length(?2)) = ?2 ORDER BY rev",
                    )?
                    .query_map(params![after, prefix], |r| {
                        Ok((
                            r.get::<_, Revision>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<Vec<u8>>>(2)?,
                            r.get::<_, Option<LeaseId>>(3)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                tx.commit()?;
                Ok((rows, oldest, current))
            })
            .await?;
        let (rows, oldest, current) = rows;
        if after < current && oldest.is_none_or(|o| o > after + 1) {
            return Err(StoreError::Compacted(after));
        }
        Ok(rows
            .into_iter()
            .map(|(rev, key, value, lease)| match value {
                Some(value) => Event::Put(KeyValue {
                    key,
                    value,
                    mod_revision: rev,
                    lease,
                }),
                None => Event::Delete { key, revision: rev },
            })
            .collect())
    }
}
