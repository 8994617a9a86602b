//! A name's order lock, held by one edge of the cluster: a compare-and-set key bound to a lease
//! of its own, renewed while the order runs. An edge that dies frees it when the lease expires;
//! an edge that cannot renew it learns so ([`HeldLock::lost`]) and stops ordering, since
//! another edge may take it then.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

use crate::state::store::LeaseId;
use crate::state::{State, StateError};

/// The lease's TTL: renewed every third of it.
const TTL: Duration = Duration::from_secs(30);

pub struct HeldLock {
    state: State,
    lease: LeaseId,
    lost: CancellationToken,
    /// Renews the lease until the lock is released or dropped.
    _keeper: AbortOnDropHandle<()>,
}

impl HeldLock {
    /// Takes `name`'s lock for `edge`; `None` when another edge holds it (named in the log).
    pub async fn take(
        state: &State,
        name: &str,
        edge: &str,
    ) -> Result<Option<HeldLock>, StateError> {
        let lease = state.store.grant_lease(TTL).await?;
        match state.lock_order(name, edge, lease).await {
            Ok(Ok(())) => {}
            taken => {
                if let Ok(Err(holder)) = &taken {
                    let holder = holder.as_ref().map(|h| h.edge.as_str()).unwrap_or("");
                    tracing::debug!(name, holder, "another edge is ordering this certificate");
                }
                let _ = state.store.revoke(lease).await;
                return taken.map(|_| None);
            }
        }
        let lost = CancellationToken::new();
        let keeper = tokio::spawn(keep(state.clone(), lease, lost.clone()));
        Ok(Some(HeldLock {
            state: state.clone(),
            lease,
            lost,
            _keeper: AbortOnDropHandle::new(keeper),
        }))
    }

    /// The lease the order binds its challenges to.
    pub fn lease(&self) -> LeaseId {
        self.lease
    }

    /// Resolves if the lease could not be renewed within its TTL: the lock may be another
    /// edge's by then.
    pub async fn lost(&self) {
        self.lost.cancelled().await
    }

    /// Ends the lease: the lock and any challenge left under it go.
    pub async fn release(self) {
        if let Err(e) = self.state.store.revoke(self.lease).await {
            tracing::warn!(error = %e, "cannot release an ACME order lock; it expires with its lease");
        }
    }
}

async fn keep(state: State, lease: LeaseId, lost: CancellationToken) {
    let mut renewed = Instant::now();
    loop {
        tokio::time::sleep(TTL / 3).await;
        match state.store.keep_alive(lease).await {
            Ok(true) => renewed = Instant::now(),
            Ok(false) => break,
            Err(e) => {
                tracing::warn!(error = %e, "cannot renew an ACME order lock");
                if renewed.elapsed() >= TTL {
                    break;
                }
            }
        }
    }
    tracing::warn!("an ACME order lock expired before its order ended");
    lost.cancel();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::store::SqliteStore;

    #[tokio::test]
    async fn one_edge_holds_a_name_until_it_releases_it() {
        let dir = tempfile::tempdir().unwrap();
        // Two handles on one file, as two edges on one host have.
        let a = State::new(std::sync::Arc::new(SqliteStore::open(dir.path()).unwrap()));
        let b = State::new(std::sync::Arc::new(SqliteStore::open(dir.path()).unwrap()));
        let held = HeldLock::take(&a, "app.example.test", "a").await.unwrap();
        let held = held.expect("a takes the free lock");
        assert!(HeldLock::take(&b, "app.example.test", "b")
            .await
            .unwrap()
            .is_none());
        // Another name is another lock.
        assert!(HeldLock::take(&b, "other.example.test", "b")
            .await
            .unwrap()
            .is_some());
        held.release().await;
        assert!(HeldLock::take(&b, "app.example.test", "b")
            .await
            .unwrap()
            .is_some());
    }
}
