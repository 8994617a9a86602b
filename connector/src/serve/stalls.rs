//! Streams whose origin's answer waits on the edge, and relief for the machine's TCP memory.
//!
//! When a public client stops reading, the edge stops granting its stream credit and the
//! connector stops reading the origin; the edge bounds what that costs the edge. At this end
//! the origin goes on writing until its socket blocks, so each such stream keeps the origin's
//! send buffer (up to 4 MiB by Linux's defaults) plus the connector's receive buffer in the
//! kernel, out of any process's reach. 768 of them took the machine's TCP memory past
//! `net.ipv4.tcp_mem`'s pressure mark, and Linux then throttled every socket, the tunnel
//! sessions included. So four times a second, while the machine's TCP memory is over the low
//! mark (where Linux would stop throttling), the stalled streams (waiting for the edge's credit
//! for [`STALLED_AFTER`]) of the client address holding the most are reset, then the next
//! address's, until as many are reset as the excess is of what TCP holds: a reset stream's
//! origin connection closes with unread data, which resets it and frees both buffers.
//!
//! Nothing else is touched: a stream that moves, or has nothing waiting, is not stalled.
//!
//! Later than the edge: the edge sees the client's socket, and resets a stream stalled there
//! after a second (a quarter of one past the pressure mark), which ends it here too. A wait for
//! credit here cannot tell a client that stopped reading from a session slowed by a machine
//! short of memory or CPU: with 1,024 attacking addresses on one machine, a victim's download,
//! slowed to a grant every second or two, was reset here at one second, and at five. So a wait
//! counts only for the time the session's own connection could take writes ([`Backpressure`],
//! [`Excused`]): while the session cannot send, no credit can come back, whoever reads.
//! A client that stops reading still stalls its stream on a session that sends (attackers
//! pinning a session's window leave its connection idle). This end is the backstop, for a site
//! short of memory while the edge is not (or an edge of before the sweep).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tether_proto::source::{largest_first, source};
use tether_transport::pressed_window;
use tether_transport::stall::{Backpressure, Excused, StallClock, Watchlist};
use tether_transport::tcp_memory::{self, Shedding, TcpMemory, SWEEP_EVERY};
use tokio_util::sync::CancellationToken;

use crate::metrics::ConnectorMetrics;

/// How long a stream must have waited for the edge's credit to be shed, while the machine's
/// TCP memory is over its low mark: five times the edge's wait.
pub const STALLED_AFTER: Duration = Duration::from_secs(5);

struct Watch {
    /// The public client's source (`tether-client-addr`); `None` from an edge that does not say.
    client: Option<IpAddr>,
    clock: StallClock,
    /// The session's connection: a wait while it could not send is not the client's doing.
    session: Backpressure,
    excused: Excused,
    cancel: CancellationToken,
}

/// The streams being served, for the sweep.
#[derive(Default)]
pub struct SiteStalls {
    watched: Watchlist<Watch>,
    shedding: Shedding,
}

/// A stream under watch: its sending marks [`StreamWatch::clock`], and it ends when
/// [`StreamWatch::reset`] resolves.
pub struct StreamWatch(Arc<Watch>);

impl StreamWatch {
    pub fn clock(&self) -> &StallClock {
        &self.0.clock
    }

    /// Resolves when the sweep resets the stream.
    pub async fn reset(&self) {
        self.0.cancel.cancelled().await
    }
}

impl SiteStalls {
    /// A stream for `client` on the session whose connection is `session`, watched while the
    /// result lives.
    pub fn watch(&self, client: Option<IpAddr>, session: Backpressure) -> StreamWatch {
        let watch = Arc::new(Watch {
            client: client.map(source),
            clock: StallClock::default(),
            session,
            excused: Excused::default(),
            cancel: CancellationToken::new(),
        });
        self.watched.add(&watch);
        StreamWatch(watch)
    }

    /// While `memory` is over its low mark, resets the stalled streams of the addresses holding
    /// the most; returns how many were reset. Every sweep looks at every wait, under the mark
    /// too, so that what a session could not send is excused from when the wait began.
    pub fn relieve(&self, memory: TcpMemory) -> usize {
        let stalled: Vec<(Arc<Watch>, Duration)> = (self.watched.live().into_iter())
            .filter(|w| !w.cancel.is_cancelled())
            .filter_map(|w| {
                let waited = w.excused.blame(&w.clock, &w.session)?;
                Some((w, waited))
            })
            .filter(|(_, waited)| *waited >= STALLED_AFTER)
            .collect();
        if memory.due(1) == 0 {
            return 0;
        }
        let stalled_count = stalled.len();
        let mut due = self.shedding.due(memory, stalled_count);
        let mut reset = 0;
        let held = (stalled.into_iter()).map(|(watch, waited)| (watch.client, watch, waited));
        for (address, watches) in largest_first(held) {
            if due == 0 {
                break;
            }
            let client = address.map_or("unknown".to_string(), |a| a.to_string());
            tracing::warn!(
                client,
                streams = watches.len(),
                tcp_pages = memory.pages,
                low_mark = memory.low,
                "the machine's TCP memory is over net.ipv4.tcp_mem's low mark: resetting the streams whose client, holding the most, stopped reading"
            );
            for watch in &watches {
                watch.cancel.cancel();
            }
            reset += watches.len();
            due = due.saturating_sub(watches.len());
        }
        self.shedding.shed(memory, stalled_count, reset);
        reset
    }
}

/// Relieves the machine's TCP memory every [`SWEEP_EVERY`] (where Linux says what it is), until
/// `stop`.
pub async fn keep_sweeping(
    stalls: Arc<SiteStalls>,
    metrics: Arc<ConnectorMetrics>,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => return,
        }
        let memory = tcp_memory::read();
        pressed_window::publish(memory);
        let Some(memory) = memory else {
            return;
        };
        let reset = stalls.relieve(memory);
        metrics.stalled_reset.inc_by(reset as u64);
    }
}

#[cfg(test)]
#[path = "stalls_tests.rs"]
mod tests;
