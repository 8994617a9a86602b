//! Ended `oidc` sessions: a session lives in a cookie the edge signs, so no edge has to ask the
//! store to admit it; a logout writes its session id here, under a lease that ends when the
//! session would have, and every edge follows the prefix ([`SignedOut`]) and refuses that
//! cookie from then on.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::records::encode;
use super::table::Table;
use super::{now_secs, State, StateError};

pub const OIDC_LOGOUTS: &str = "oidc/logouts/";

/// A session that was ended before its time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LogoutRecord {
    /// When the session would have expired (the record's lease ends then too).
    pub until: u64,
}

/// The ended sessions, followed from the store by every edge.
#[derive(Clone)]
pub struct SignedOut {
    table: Table<LogoutRecord>,
    state: State,
}

impl SignedOut {
    /// Starts following the store until `shutdown`.
    pub fn follow(state: State, shutdown: CancellationToken) -> SignedOut {
        let table = Table::new(OIDC_LOGOUTS);
        tokio::spawn(table.clone().follow(state.store.clone(), shutdown));
        SignedOut { table, state }
    }

    /// Whether the session `id` was ended.
    pub fn ended(&self, id: &str) -> bool {
        self.table.get(id).is_some()
    }

    /// Ends session `id`, which would have lasted until `until` (Unix seconds), on every edge:
    /// this one at once, the others as soon as the store's watch reaches them.
    pub async fn end(&self, id: &str, until: u64) -> Result<(), StateError> {
        let ttl = Duration::from_secs(until.saturating_sub(now_secs()).max(1));
        let record = LogoutRecord { until };
        let lease = self.state.store.grant_lease(ttl).await?;
        let key = format!("{OIDC_LOGOUTS}{id}");
        self.state
            .store
            .put(&key, encode(&record), Some(lease))
            .await?;
        self.table.insert(id.to_string(), record);
        Ok(())
    }
}
