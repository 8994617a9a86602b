//! Closes the sessions of tunnels deleted from the store (by `edge tunnel delete`, perhaps in
//! another process) as soon as the tunnel table ([`Directory`]) loses them. Each change
//! reconciles: any live session whose tunnel is gone is closed, so deletes missed while the watch
//! was down (or compacted away) still take effect once the table is reloaded.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::state::directory::Directory;

use super::sessions::Sessions;

/// Follows the tunnel table until `shutdown`.
pub async fn close_deleted_tunnels(
    directory: Directory,
    sessions: Arc<Sessions>,
    shutdown: CancellationToken,
) {
    let mut changed = directory.tunnels.changed();
    loop {
        for id in sessions.tunnel_ids() {
            if directory.tunnel(id).is_none() {
                tracing::info!(tunnel = %id, "tunnel deleted; closing its sessions");
                sessions.close_tunnel(id);
            }
        }
        tokio::select! {
            _ = changed.changed() => {}
            _ = shutdown.cancelled() => return,
        }
    }
}
