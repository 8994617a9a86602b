//! Closes the sessions of tunnels deleted from the store (by `edge tunnel delete`, perhaps in
//! another process) as soon as the tunnel table ([`Directory`]) loses them. Each change
//! reconciles: any live session whose tunnel is gone is closed, so deletes missed while the watch
//! was down (or compacted away) still take effect once the table is reloaded. A tunnel missing
//! from the table is confirmed in the store first: one created a moment ago may have a session
//! before the watch brings it.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::state::directory::Directory;
use crate::state::State;

use super::sessions::Sessions;

/// Follows the tunnel table until `shutdown`.
pub async fn close_deleted_tunnels(
    directory: Directory,
    state: State,
    sessions: Arc<Sessions>,
    shutdown: CancellationToken,
) {
    let mut changed = directory.tunnels.changed();
    loop {
        for id in sessions.tunnel_ids() {
            // Closed only when the store confirms it (and not while it cannot be asked).
            if directory.tunnel(id).is_none() && matches!(state.tunnel(id).await, Ok(None)) {
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
