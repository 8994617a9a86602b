//! Closes the sessions of tunnels deleted from the store (by `edge tunnel delete`, perhaps in
//! another process) as soon as the tunnel table ([`Directory`]) loses them. Each change
//! reconciles: any live session whose tunnel is gone is closed, so deletes missed while the watch
//! was down (or compacted away) still take effect once the table is reloaded. A tunnel missing
//! from the table is confirmed in the store first: one created a moment ago may have a session
//! before the watch brings it, and one the store cannot confirm now is asked again each second.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::state::directory::Directory;
use crate::state::State;

use super::sessions::Sessions;

/// How soon a tunnel whose deletion could not be confirmed is looked up again.
const RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// Follows the tunnel table until `shutdown`.
pub async fn close_deleted_tunnels(
    directory: Directory,
    state: State,
    sessions: Arc<Sessions>,
    shutdown: CancellationToken,
) {
    let mut changed = directory.tunnels.changed();
    loop {
        // A tunnel the store could not be asked about is asked again in a moment.
        let mut unsure = false;
        for id in sessions.tunnel_ids() {
            if directory.tunnel(id).is_some() {
                continue;
            }
            match state.tunnel(id).await {
                Ok(None) => {
                    tracing::info!(tunnel = %id, "tunnel deleted; closing its sessions");
                    sessions.close_tunnel(id);
                }
                Ok(Some(_)) => {}
                Err(_) => unsure = true,
            }
        }
        tokio::select! {
            _ = changed.changed() => {}
            _ = tokio::time::sleep(RECHECK), if unsure => {}
            _ = shutdown.cancelled() => return,
        }
    }
}
