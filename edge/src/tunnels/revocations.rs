//! Closes the sessions whose key the store no longer accepts, on every edge, within a second:
//! the tunnel was deleted (`edge tunnel delete`), revoked (`edge tunnel revoke`), or rotated and
//! the old key's overlap has run out (`edge tunnel rotate`). Each change of the tunnel table
//! ([`Directory`]) reconciles, and so do each new session and the moment the soonest overlap of
//! a session's key ends; so changes missed
//! while the watch was down (or compacted away) still take effect once the table is reloaded.
//!
//! A tunnel missing from the table is confirmed in the store first: one created a moment ago may
//! have a session before the watch brings it, and one the store cannot confirm now is asked
//! again each second.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::state::directory::Directory;
use crate::state::{now_secs, State};

use super::control::revoke;
use super::sessions::Sessions;

/// How soon a tunnel whose deletion could not be confirmed is looked up again.
const RECHECK: Duration = Duration::from_secs(1);

/// Follows the tunnel table until `shutdown`.
pub async fn close_revoked_sessions(
    directory: Directory,
    state: State,
    sessions: Arc<Sessions>,
    shutdown: CancellationToken,
) {
    let mut changed = directory.tunnels.changed();
    // A session opened since the last look (on a key in its overlap, say) is looked at too.
    let mut inserted = sessions.insertions();
    loop {
        inserted.borrow_and_update();
        let now = now_secs();
        // A tunnel the store could not be asked about is asked again in a moment.
        let mut unsure = false;
        let mut next_expiry: Option<u64> = None;
        let mut missing: HashMap<Uuid, bool> = HashMap::new();
        for session in sessions.all() {
            let id = session.record.tunnel_id;
            let reason = match directory.tunnel(id) {
                Some(t) if t.accepts(&session.record.key, now) => {
                    if let Some(end) = t.next_expiry(now) {
                        next_expiry = Some(next_expiry.map_or(end, |n| n.min(end)));
                    }
                    continue;
                }
                Some(t) if t.live_keys(now).next().is_none() => {
                    format!("tunnel {id}'s keys were revoked (edge tunnel revoke); enroll again with a new token from `edge tunnel token {}`", t.name)
                }
                Some(_) => format!(
                    "tunnel {id} no longer accepts this key: it was rotated out (edge tunnel rotate) and its overlap has ended; use the new credentials"
                ),
                None => {
                    let deleted = match missing.get(&id) {
                        Some(deleted) => *deleted,
                        None => {
                            let deleted = match state.tunnel(id).await {
                                Ok(found) => found.is_none(),
                                Err(_) => {
                                    unsure = true;
                                    false
                                }
                            };
                            missing.insert(id, deleted);
                            deleted
                        }
                    };
                    if !deleted {
                        continue;
                    }
                    format!("tunnel {id} was deleted (edge tunnel delete)")
                }
            };
            tokio::spawn(revoke(session, reason));
        }
        // The soonest overlap ends at the start of its second.
        let until_expiry = next_expiry.map(|t| {
            let end = std::time::UNIX_EPOCH + Duration::from_secs(t);
            end.duration_since(std::time::SystemTime::now())
                .unwrap_or_default()
        });
        tokio::select! {
            _ = changed.changed() => {}
            _ = inserted.changed() => {}
            _ = tokio::time::sleep(RECHECK), if unsure => {}
            _ = tokio::time::sleep(until_expiry.unwrap_or_default()), if until_expiry.is_some() => {}
            _ = shutdown.cancelled() => return,
        }
    }
}
