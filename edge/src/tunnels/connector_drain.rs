//! Drains a connector's sessions on request (the admin API's `POST /connectors/{id}/drain`, kept
//! in the store under `admin/drains/` for a few seconds so every edge sees it): no new streams
//! go to them, so a tunnel's other replicas take its traffic; each closes once its open streams
//! have ended, or after `grace-period`. The connector then connects again, as after an edge
//! restart; to take a replica out for good, stop it once it is drained.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::LiveConfig;
use crate::state::admin::{DrainRecord, ADMIN_DRAINS};
use crate::state::store::Store;
use crate::state::table::Table;

use super::sessions::{Session, Sessions};

/// How often a draining session's open streams are counted (they end without a signal).
const POLL: Duration = Duration::from_millis(100);

/// Follows the drain requests until `shutdown`.
pub async fn drain_on_request(
    store: Arc<dyn Store>,
    sessions: Arc<Sessions>,
    config: LiveConfig,
    shutdown: CancellationToken,
) {
    let requests: Table<DrainRecord> = Table::new(ADMIN_DRAINS);
    tokio::spawn(requests.clone().follow(store, shutdown.clone()));
    let mut changed = requests.changed();
    // Each request is carried out once, on the sessions the connector holds when this edge
    // sees it: the sessions it opens again afterwards are left alone (draining another replica
    // next must not take this one down again).
    let mut handled: HashSet<(Uuid, u64)> = HashSet::new();
    loop {
        let pending = requests.all();
        handled.retain(|(c, at)| {
            pending
                .iter()
                .any(|r| r.connector_id == *c && r.requested_at == *at)
        });
        let new: HashSet<Uuid> = pending
            .iter()
            .filter(|r| handled.insert((r.connector_id, r.requested_at)))
            .map(|r| r.connector_id)
            .collect();
        for session in sessions.all() {
            if session.over_link || !new.contains(&session.record.connector_id) {
                continue;
            }
            let grace = config.get().grace_period;
            tokio::spawn(drain(session, grace));
        }
        tokio::select! {
            r = changed.changed() => if r.is_err() { return },
            _ = shutdown.cancelled() => return,
        }
    }
}

async fn drain(session: Arc<Session>, grace: Duration) {
    let record = &session.record;
    tracing::info!(tunnel = %record.tunnel_id, session = %record.session_id, connector = %record.connector_id, "draining a connector's session on request: no new streams, closing once its streams end");
    session.refuse_new_streams();
    let deadline = tokio::time::Instant::now() + grace;
    while session.active_streams() > 0 && tokio::time::Instant::now() < deadline {
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = session.closed.cancelled() => return,
        }
    }
    session.closed.cancel();
}
