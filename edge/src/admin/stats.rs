//! Each edge's recent counters, for the dashboard's plots: every [`SAMPLE_EVERY`] the edge
//! samples its request and 5xx totals, sessions and open streams, and publishes its last minute
//! of samples with the error pages of that minute under its presence lease
//! (`admin/stats/{edge-id}`, a kilobyte or two a write); every [`RTT_EVERY`] it publishes
//! the PING round trip of each of its sessions (`admin/rtt/{edge-id}`). An edge serving the
//! admin API keeps the 15-minute ring of every edge from these (`history.rs`), so a dashboard on
//! any edge plots them all, and a dead edge's rows go with its lease.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::metrics::EdgeMetrics;
use crate::state::admin::{EdgeRtts, EdgeStats, ErrorSample, StatsSample};
use crate::state::{now_secs, State};
use crate::tunnels::presence::Presence;
use crate::tunnels::sessions::Sessions;

pub const SAMPLE_EVERY: Duration = Duration::from_secs(5);
/// Samples in each write: a minute, so a reader that missed a write (or started a moment ago)
/// still has them.
const PUBLISHED: usize = 12;
/// Error pages in each write: those of the last minute, at most this many.
const PUBLISHED_ERRORS: usize = 10;
/// Round trips are published every this many samples (30 s), and when the sessions change.
const RTT_EVERY: u32 = 6;

pub struct StatsPublisher {
    pub state: State,
    pub presence: Arc<Presence>,
    pub sessions: Arc<Sessions>,
    pub metrics: Arc<EdgeMetrics>,
}

impl StatsPublisher {
    /// Samples and publishes until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut recent = VecDeque::with_capacity(PUBLISHED);
        let mut published: Vec<uuid::Uuid> = Vec::new();
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for n in 0u32.. {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.cancelled() => return,
            }
            if recent.len() == PUBLISHED {
                recent.pop_front();
            }
            recent.push_back(self.sample());
            let stats = EdgeStats {
                edge_id: self.presence.edge_id().to_string(),
                interval: SAMPLE_EVERY.as_secs(),
                samples: recent.iter().copied().collect(),
                errors: self.recent_errors(),
            };
            let lease = self.presence.lease();
            if let Err(e) = self.state.publish_stats(&stats, lease).await {
                tracing::debug!(error = %e, "cannot publish this edge's counters");
            }
            // Also at once when sessions came or went (or measured their first round trip).
            let rtts = self.rtts();
            let sessions: Vec<uuid::Uuid> = rtts.rtt_ms.keys().copied().collect();
            if n % RTT_EVERY == 0 || sessions != published {
                match self.state.publish_rtts(&rtts, lease).await {
                    Ok(()) => published = sessions,
                    Err(e) => tracing::debug!(error = %e, "cannot publish this edge's round trips"),
                }
            }
        }
    }

    fn rtts(&self) -> EdgeRtts {
        let rtt_ms = self
            .sessions
            .all()
            .iter()
            .filter(|s| !s.over_link)
            .filter_map(|s| {
                let micros = s.rtt_micros.load(Ordering::Relaxed);
                // To 0.1 ms: what is shown, and a shorter row.
                let ms = (micros as f64 / 100.0).round() / 10.0;
                (micros > 0).then_some((s.record.session_id, ms))
            })
            .collect();
        EdgeRtts {
            edge_id: self.presence.edge_id().to_string(),
            rtt_ms,
        }
    }

    /// The error pages of the last minute, the newest [`PUBLISHED_ERRORS`].
    fn recent_errors(&self) -> Vec<ErrorSample> {
        let since = now_secs().saturating_sub(60);
        let ring = match self.metrics.recent_errors.lock() {
            Ok(ring) => ring.clone(),
            Err(_) => return Vec::new(),
        };
        let recent: Vec<ErrorSample> = ring
            .iter()
            .filter(|e| e.at >= since)
            .map(|e| ErrorSample {
                at: e.at,
                tunnel_id: e.tunnel,
                status: e.status,
                cause: e.cause.to_string(),
            })
            .collect();
        let skip = recent.len().saturating_sub(PUBLISHED_ERRORS);
        recent.into_iter().skip(skip).collect()
    }

    fn sample(&self) -> StatsSample {
        let (requests, errors) = self.metrics.answered_totals();
        StatsSample {
            at: now_secs(),
            requests,
            errors,
            sessions: self.metrics.sessions.get(),
            streams: self.metrics.open_streams(),
        }
    }
}
