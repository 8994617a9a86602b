//! The 15-minute ring of every edge's counters, kept by an edge that serves the admin API: each
//! edge publishes only its last minute (`stats.rs`), and this follows those rows from the store,
//! appending the samples and error pages it has not seen. What `GET /api/v1/metrics` answers.
//! An edge whose row is gone (it stopped, or its lease ran out) is forgotten.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::state::admin::{EdgeStats, ErrorSample, StatsSample};
use crate::state::table::Table;

/// 15 minutes of 5-second samples.
pub const RING: usize = 180;
/// Error pages kept per edge.
const ERRORS: usize = 50;

#[derive(Default)]
struct Ring {
    interval: u64,
    samples: VecDeque<StatsSample>,
    errors: VecDeque<ErrorSample>,
}

impl Ring {
    fn merge(&mut self, stats: &EdgeStats) {
        self.interval = stats.interval;
        let last = self.samples.back().map_or(0, |s| s.at);
        for sample in stats.samples.iter().filter(|s| s.at > last) {
            if self.samples.len() == RING {
                self.samples.pop_front();
            }
            self.samples.push_back(*sample);
        }
        for error in &stats.errors {
            if !self.errors.contains(error) {
                if self.errors.len() == ERRORS {
                    self.errors.pop_front();
                }
                self.errors.push_back(error.clone());
            }
        }
    }
}

/// Every live edge's ring, by edge id.
#[derive(Clone, Default)]
pub struct History {
    rings: Arc<Mutex<BTreeMap<String, Ring>>>,
}

impl History {
    /// Follows the published rows in `table` until `shutdown`.
    pub async fn follow(self, table: Table<EdgeStats>, shutdown: CancellationToken) {
        let mut changed = table.changed();
        loop {
            self.merge(&table.all());
            tokio::select! {
                r = changed.changed() => if r.is_err() { return },
                _ = shutdown.cancelled() => return,
            }
        }
    }

    fn merge(&self, rows: &[EdgeStats]) {
        let Ok(mut rings) = self.rings.lock() else {
            return;
        };
        rings.retain(|edge, _| rows.iter().any(|r| r.edge_id == *edge));
        for row in rows {
            rings.entry(row.edge_id.clone()).or_default().merge(row);
        }
    }

    /// Every edge's ring, oldest sample first.
    pub fn all(&self) -> Vec<EdgeStats> {
        let Ok(rings) = self.rings.lock() else {
            return Vec::new();
        };
        rings
            .iter()
            .map(|(edge, ring)| EdgeStats {
                edge_id: edge.clone(),
                interval: ring.interval,
                samples: ring.samples.iter().copied().collect(),
                errors: ring.errors.iter().cloned().collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: u64, requests: u64) -> StatsSample {
        StatsSample {
            at,
            requests,
            ..StatsSample::default()
        }
    }

    #[test]
    fn overlapping_minutes_make_one_ring_and_gone_edges_are_forgotten() {
        let history = History::default();
        let row = |samples: Vec<StatsSample>| EdgeStats {
            edge_id: "a".into(),
            interval: 5,
            samples,
            errors: Vec::new(),
        };
        history.merge(&[row(vec![sample(5, 1), sample(10, 2)])]);
        history.merge(&[row(vec![sample(10, 2), sample(15, 4)])]);
        let all = history.all();
        let ats: Vec<u64> = all[0].samples.iter().map(|s| s.at).collect();
        assert_eq!(ats, [5, 10, 15]);
        for i in 0..400 {
            history.merge(&[row(vec![sample(20 + i * 5, i)])]);
        }
        assert_eq!(history.all()[0].samples.len(), RING);
        history.merge(&[]);
        assert!(history.all().is_empty());
    }
}
