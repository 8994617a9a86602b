//! Closes the sessions of tunnels deleted from the store (by `edge tunnel delete`, perhaps in
//! another process) within one watch interval. Each (re)read of the tunnels first reconciles:
//! any live session whose tunnel is gone is closed, so deletes missed while the watch was down
//! (or compacted away) still take effect.

use std::collections::HashSet;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::state::store::{mirror, Event, Mirrored, Store};
use crate::state::TUNNELS;

use super::sessions::Sessions;

/// Follows the tunnels in the store until `shutdown`.
pub async fn close_deleted_tunnels(
    store: Arc<dyn Store>,
    sessions: Arc<Sessions>,
    shutdown: CancellationToken,
) {
    mirror(store, TUNNELS, shutdown, |m| match m {
        Mirrored::Reset(tunnels) => {
            let existing: HashSet<&str> = tunnels.iter().map(|kv| kv.key.as_str()).collect();
            for id in sessions.tunnel_ids() {
                if !existing.contains(format!("{TUNNELS}{id}").as_str()) {
                    tracing::info!(tunnel = %id, "tunnel no longer exists; closing its sessions");
                    sessions.close_tunnel(id);
                }
            }
        }
        Mirrored::Change(Event::Delete { key, .. }) => {
            if let Ok(id) = key.trim_start_matches(TUNNELS).parse() {
                tracing::info!(tunnel = %id, "tunnel deleted; closing its sessions");
                sessions.close_tunnel(id);
            }
        }
        Mirrored::Change(_) => {}
    })
    .await
}
