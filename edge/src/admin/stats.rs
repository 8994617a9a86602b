//! Each edge's recent counters for the dashboard's plots: every [`SAMPLE_EVERY`] the edge
//! samples its request and 5xx totals, sessions and open streams into a ring of the last 15
//! minutes, with the PING round trip of each of its sessions, and publishes the whole under its
//! presence lease (`admin/stats/{edge-id}`), so a dashboard on any edge plots every edge and a
//! dead edge's counters go with it. A few hundred bytes every few seconds, on every edge.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::metrics::EdgeMetrics;
use crate::state::admin::{EdgeStats, ErrorSample, StatsSample};
use crate::state::{now_secs, State};
use crate::tunnels::presence::Presence;
use crate::tunnels::sessions::Sessions;

pub const SAMPLE_EVERY: Duration = Duration::from_secs(5);
/// 15 minutes of samples.
pub const RING: usize = 180;

pub struct StatsPublisher {
    pub state: State,
    pub presence: Arc<Presence>,
    pub sessions: Arc<Sessions>,
    pub metrics: Arc<EdgeMetrics>,
}

impl StatsPublisher {
    /// Samples and publishes until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut ring = VecDeque::with_capacity(RING);
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.cancelled() => return,
            }
            if ring.len() == RING {
                ring.pop_front();
            }
            ring.push_back(self.sample());
            let stats = EdgeStats {
                edge_id: self.presence.edge_id().to_string(),
                interval: SAMPLE_EVERY.as_secs(),
                samples: ring.iter().copied().collect(),
                rtt_ms: self
                    .sessions
                    .all()
                    .iter()
                    .filter(|s| !s.over_link)
                    .filter_map(|s| {
                        let micros = s.rtt_micros.load(Ordering::Relaxed);
                        (micros > 0).then(|| (s.record.session_id, micros as f64 / 1000.0))
                    })
                    .collect(),
                errors: self.recent_errors(),
            };
            if let Err(e) = self
                .state
                .publish_stats(&stats, self.presence.lease())
                .await
            {
                tracing::debug!(error = %e, "cannot publish this edge's counters");
            }
        }
    }

    fn recent_errors(&self) -> Vec<ErrorSample> {
        let ring = match self.metrics.recent_errors.lock() {
            Ok(ring) => ring.clone(),
            Err(_) => return Vec::new(),
        };
        ring.iter()
            .map(|e| ErrorSample {
                at: e.at,
                tunnel_id: e.tunnel,
                status: e.status,
                cause: e.cause.to_string(),
            })
            .collect()
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
