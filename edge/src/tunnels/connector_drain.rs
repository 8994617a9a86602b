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
    let mut started: HashSet<Uuid> = HashSet::new();
    loop {
        let wanted: HashSet<Uuid> = requests.all().iter().map(|r| r.connector_id).collect();
        let live = sessions.all();
        let ids: HashSet<Uuid> = live.iter().map(|s| s.record.session_id).collect();
        started.retain(|id| ids.contains(id));
        for session in live {
            let id = session.record.session_id;
            if session.over_link || !wanted.contains(&session.record.connector_id) {
                continue;
            }
            if started.insert(id) {
                let grace = config.get().grace_period;
                tokio::spawn(drain(session, grace));
            }
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
