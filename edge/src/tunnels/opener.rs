//! The [`StreamOpener`]: what the public side, access sessions and links call to get a stream to
//! a tunnel. It picks this edge's least busy session of the tunnel, else asks [`Elsewhere`] (the
//! links to other edges) for one, and opens the stream with the retry rules of `stream.rs`.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use crate::config::LiveConfig;
use crate::error::EdgeError;
use crate::metrics::EdgeMetrics;

use super::sessions::{Session, Sessions, StreamGuard};

/// The longest a request waits for a session of its tunnel that is registering here, when no
/// edge has one: registration is one round trip, so this is slack for a loaded machine.
const REGISTERING_WAIT: Duration = Duration::from_secs(2);

/// Where a stream may go when it is sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// This edge's sessions, or over a link to an edge that holds one (a public stream).
    Anywhere,
    /// This edge's sessions only: the stream came over a link and is never sent on further.
    Local,
}

/// Stream slots on sessions held by other edges (`links/`).
#[async_trait::async_trait]
pub trait Elsewhere: Send + Sync + 'static {
    /// A stream slot for `tunnel` at another live edge holding a session of it, other than
    /// `avoid` (an edge a stream just failed through). `fresh`: the stream just failed
    /// elsewhere, so what is known of the other edges is read afresh.
    async fn pick(
        &self,
        tunnel: Uuid,
        avoid: Option<&str>,
        fresh: bool,
    ) -> Result<StreamGuard, EdgeError>;
}

pub struct StreamOpener {
    pub(super) sessions: Arc<Sessions>,
    elsewhere: Arc<dyn Elsewhere>,
    pub(super) config: LiveConfig,
    pub(super) metrics: Arc<EdgeMetrics>,
}

impl StreamOpener {
    pub fn new(
        sessions: Arc<Sessions>,
        elsewhere: Arc<dyn Elsewhere>,
        config: LiveConfig,
        metrics: Arc<EdgeMetrics>,
    ) -> StreamOpener {
        StreamOpener {
            sessions,
            elsewhere,
            config,
            metrics,
        }
    }

    fn max_streams(&self) -> usize {
        self.config.get().max_concurrent_streams as usize
    }

    /// A stream slot for `tunnel`: on this edge's least busy session of it, or (with
    /// [`Reach::Anywhere`]), when this edge holds none, at an edge that does. `avoid` is a
    /// session (or link) the stream just failed on.
    pub async fn pick(
        &self,
        tunnel: Uuid,
        avoid: Option<&Arc<Session>>,
        reach: Reach,
    ) -> Result<StreamGuard, EdgeError> {
        let local_avoid = avoid.filter(|s| !s.over_link);
        let picked = self
            .sessions
            .pick_avoiding(tunnel, self.max_streams(), local_avoid);
        if reach == Reach::Local || !matches!(picked, Err(EdgeError::TunnelOffline)) {
            return picked;
        }
        let peer = avoid
            .filter(|s| s.over_link)
            .map(|s| s.record.edge_id.as_str());
        match self.elsewhere.pick(tunnel, peer, avoid.is_some()).await {
            // Look here once more: a connector moving here from a draining edge may have closed
            // its session there and be registering (or have just registered) one here while
            // the other edges were tried.
            Err(EdgeError::TunnelOffline) => {
                if self.sessions.registering_of(tunnel) {
                    self.registered(tunnel).await;
                }
                self.sessions
                    .pick_avoiding(tunnel, self.max_streams(), local_avoid)
            }
            picked => picked,
        }
    }

    /// Waits, for at most [`REGISTERING_WAIT`], until no session of `tunnel` is registering here.
    async fn registered(&self, tunnel: Uuid) {
        let deadline = tokio::time::Instant::now() + REGISTERING_WAIT;
        loop {
            let changed = self.sessions.changed.notified();
            if !self.sessions.registering_of(tunnel) {
                return;
            }
            tokio::select! {
                _ = changed => {}
                _ = tokio::time::sleep_until(deadline) => return,
            }
        }
    }
}
