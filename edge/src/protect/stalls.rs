//! Streams whose public clients stopped reading, of every kind: response bodies, WebSockets,
//! public TCP ports and access streams. What a stream has received and its client has not taken
//! holds its receive window (128 KiB unless its reader showed it could use more:
//! `tether_transport::recv_window`), so stalled streams cannot fill a tunnel session; what they can
//! do is hold memory and stream slots. Each stream is watched: the code that moves its bytes
//! marks a [`StallClock`] while they wait on the client. A sweep four times a second resets
//! - every stream whose client took nothing for `send-timeout`;
//! - past `max-stalled-streams-per-client` streams of one tunnel that one client address (an
//!   IPv6 /64) has left unread for [`STALLED_AFTER`], the longest-stalled;
//! - past `max-stalled-memory`, every stream left unread for [`PRESSED_AFTER`] by the address
//!   that holds the most, then the next, until what they can pin fits again; and so while the
//!   budget grown windows borrow from is spent, since a spent budget keeps every other stream
//!   of the edge at its starting window. A client that stops reading may first have grown its
//!   windows: the buffers on its way took data as fast as a fast reader would (before public
//!   sockets bounded what the kernel holds unsent, 256 unread downloads from 16 addresses
//!   spent the budget in the noisy-neighbour benchmark);
//! - while the machine's TCP memory is over `net.ipv4.tcp_mem`'s low mark, the same, as many as
//!   the excess is of the total (`tether_transport::tcp_memory`): past its pressure mark Linux
//!   throttles every socket of the machine, and each stalled public connection holds up to
//!   `CLIENT_UNSENT` of it (12,288 of them held 1.6 GB).
//!
//! A reset response body is dropped: the tunnel stream is reset and its data and window go back
//! to the session; the public stream fails when the server next polls it. A reset byte stream's
//! task is cancelled: its tunnel stream is reset and its connection aborted.
//!
//! Written by hand: the body is owned by hyper, which stops polling exactly when the client stops
//! reading, so no wrapper that waits on its own poll (as `tower_http::timeout::TimeoutBody` does)
//! can notice.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tether_proto::source::largest_first;
use tether_transport::pressed_window;
use tether_transport::recv_window::{GrowthBudget, GROWTH};
use tether_transport::sockets::AbortSwitch;
use tether_transport::stall::{StallClock, Watchlist};
use tether_transport::tcp_memory::{self, Shedding, TcpMemory};
use tether_transport::tuning::STREAM_WINDOW_START;
use tokio_util::sync::CancellationToken;

use crate::body::{BoxError, EdgeBody};
use crate::config::{LiveConfig, StreamLimits};
use crate::metrics::EdgeMetrics;

use super::source;

/// How long a stream must have waited on its client to count as stalled for the per-client
/// cap: longer than a slow link takes to send one large frame.
pub const STALLED_AFTER: Duration = Duration::from_secs(10);

/// How long a stream must have waited to count as stalled when the edge is over
/// `max-stalled-memory`.
pub const PRESSED_AFTER: Duration = Duration::from_secs(1);

/// Whose stream it is: the tunnel and the client's address (its /64 for IPv6).
type Key = (uuid::Uuid, IpAddr);

struct Watch {
    key: Key,
    clock: StallClock,
    held: Held,
    /// The connection to abort with the stream: an HTTP/1.1 one, which a cut response ends.
    abort: Option<AbortSwitch>,
}

/// How a watched stream is reset.
enum Held {
    /// A response body, dropped; `None` once reset.
    Body(Mutex<Option<EdgeBody>>),
    /// A byte stream, whose task ends when this is cancelled.
    Pipe(CancellationToken),
}

impl Watch {
    /// Aborts the stream's connection, when it is the stream's alone (HTTP/1.1).
    fn reset_connection(&self) {
        self.abort.iter().for_each(AbortSwitch::abort_on_close);
    }

    /// Resets the stream; whether it was still live.
    fn reset(&self) -> bool {
        self.clock.moving();
        self.reset_connection();
        match &self.held {
            Held::Body(body) => body.lock().ok().and_then(|mut b| b.take()).is_some(),
            Held::Pipe(cancel) => {
                let live = !cancel.is_cancelled();
                cancel.cancel();
                live
            }
        }
    }
}

/// The live streams, for the sweep.
pub struct Stalls {
    watched: Watchlist<Watch>,
    /// What grown windows borrow from: the process's, but for tests.
    growth: &'static GrowthBudget,
    /// What was reset lately for the machine's TCP memory.
    shedding: Shedding,
}

impl Default for Stalls {
    fn default() -> Self {
        Stalls::with_budget(&GROWTH)
    }
}

impl Stalls {
    pub fn with_budget(growth: &'static GrowthBudget) -> Stalls {
        Stalls {
            watched: Watchlist::default(),
            growth,
            shedding: Shedding::default(),
        }
    }

    fn register(
        &self,
        tunnel: uuid::Uuid,
        client: IpAddr,
        held: Held,
        abort: Option<AbortSwitch>,
    ) -> Arc<Watch> {
        let watch = Arc::new(Watch {
            key: (tunnel, source(client)),
            clock: StallClock::default(),
            held,
            abort,
        });
        self.watched.add(&watch);
        watch
    }

    /// `body`, watched from now on as a response of `tunnel` to `client`; a reset turns
    /// `abort` (the HTTP/1.1 connection it is cut on).
    pub fn watch(
        &self,
        body: EdgeBody,
        (tunnel, client): (uuid::Uuid, IpAddr),
        abort: Option<AbortSwitch>,
    ) -> Watched {
        let held = Held::Body(Mutex::new(Some(body)));
        Watched(self.register(tunnel, client, held, abort))
    }

    /// A byte stream of `tunnel` to `client`, watched while the result lives.
    pub fn watch_pipe(&self, tunnel: uuid::Uuid, client: IpAddr) -> PipeWatch {
        PipeWatch(self.register(tunnel, client, Held::Pipe(CancellationToken::new()), None))
    }

    /// Resets what stalled past the limits, the machine's TCP memory included; runs four times a
    /// second.
    pub fn sweep(&self, limits: &StreamLimits, metrics: &EdgeMetrics) {
        let memory = tcp_memory::read();
        pressed_window::publish(memory);
        self.sweep_with(limits, metrics, memory);
    }

    /// [`Stalls::sweep`] with the machine's TCP memory as given (`None`: not known).
    pub fn sweep_with(
        &self,
        limits: &StreamLimits,
        metrics: &EdgeMetrics,
        memory: Option<TcpMemory>,
    ) {
        let live = self.watched.live();
        // Past the kernel's pressure mark, sooner (`TcpMemory::shed_after`).
        let pressed_after = memory.map_or(PRESSED_AFTER, |m| m.shed_after().min(PRESSED_AFTER));
        let mut waiting = Vec::new();
        for watch in live {
            let Some(waited) = watch.clock.waited() else {
                continue;
            };
            if waited >= limits.send_timeout {
                if watch.reset() {
                    metrics.limited("send_timeout");
                }
            } else if waited >= pressed_after {
                waiting.push((waited, watch));
            }
        }
        self.growth.set_limit(limits.max_stalled_memory / 2);
        cap_per_client(&mut waiting, limits.max_stalled_per_client, metrics);
        // Past the memory limit, half of it for starting windows; or the kernel's share.
        let allowed = (limits.max_stalled_memory / 2 / u64::from(STREAM_WINDOW_START)) as usize;
        let over_limit = waiting.len().saturating_sub(allowed);
        let stalled = waiting.len();
        let over_kernel = memory.map_or(0, |m| self.shedding.due(m, stalled));
        if over_kernel <= over_limit {
            relieve_memory(waiting, over_limit, self.growth, "stalled_memory", metrics);
        } else if let Some(memory) = memory {
            let reset = relieve_memory(waiting, over_kernel, self.growth, "tcp_memory", metrics);
            self.shedding.shed(memory, stalled, reset);
        }
    }
}

/// Past `max` streams of one tunnel that one address left unread for [`STALLED_AFTER`], resets
/// the longest-stalled, and drops them from `waiting`.
fn cap_per_client(waiting: &mut Vec<(Duration, Arc<Watch>)>, max: u32, metrics: &EdgeMetrics) {
    let mut stalled: HashMap<Key, Vec<&Arc<Watch>>> = HashMap::new();
    for (waited, watch) in waiting.iter() {
        if *waited >= STALLED_AFTER {
            stalled.entry(watch.key).or_default().push(watch);
        }
    }
    // Pointers of the streams reset here: a set, as thousands may be (a Vec's `contains` made
    // this quadratic).
    let mut reset = std::collections::HashSet::new();
    for (key, mut watches) in stalled {
        let over = watches.len().saturating_sub(max as usize);
        if over == 0 {
            continue;
        }
        watches.sort_by_key(|w| w.clock.since());
        tracing::info!(tunnel = %key.0, client = %key.1, over, "resetting streams the client left unread");
        for watch in &watches[..over] {
            if watch.reset() {
                metrics.limited("stalled_streams");
            }
            reset.insert(Arc::as_ptr(watch));
        }
    }
    waiting.retain(|(_, w)| !reset.contains(&Arc::as_ptr(w)));
}

/// Resets every stalled stream of the address holding the most, then the next, until `over`
/// are reset; and so while `growth` is spent. (A reset body gives its growth back at once; a
/// byte stream when its task ends, so a sweep may reset more than it had to.) Returns how many
/// were reset.
fn relieve_memory(
    waiting: Vec<(Duration, Arc<Watch>)>,
    mut over: usize,
    growth: &GrowthBudget,
    reason: &'static str,
    metrics: &EdgeMetrics,
) -> usize {
    let mut reset = 0;
    if over == 0 && !growth.spent() {
        return reset;
    }
    let held = (waiting.into_iter()).map(|(waited, watch)| (watch.key.1, watch, waited));
    for (address, watches) in largest_first(held) {
        if over == 0 && !growth.spent() {
            break;
        }
        tracing::warn!(client = %address, streams = watches.len(), reason, "over max-stalled-memory, its half for grown windows spent, or the machine's TCP memory over net.ipv4.tcp_mem's low mark (tcp_memory): resetting the streams the address holding the most left unread");
        for watch in &watches {
            if watch.reset() {
                metrics.limited(reason);
                reset += 1;
            }
        }
        over = over.saturating_sub(watches.len());
    }
    reset
}

/// Sweeps `stalls` every `SWEEP_EVERY` (250 ms) with the live limits, until `stop`.
pub async fn keep_sweeping(
    stalls: Arc<Stalls>,
    config: LiveConfig,
    metrics: Arc<EdgeMetrics>,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(tcp_memory::SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => return,
        }
        stalls.sweep(&config.get().streams, &metrics);
    }
}

/// A byte stream under watch: its bytes' mover marks [`PipeWatch::clock`], and its task ends
/// when [`PipeWatch::reset`] resolves.
pub struct PipeWatch(Arc<Watch>);

impl PipeWatch {
    pub fn clock(&self) -> &StallClock {
        &self.0.clock
    }

    /// Resolves when the sweep resets the stream.
    pub async fn reset(&self) {
        match &self.0.held {
            Held::Pipe(cancel) => cancel.cancelled().await,
            Held::Body(_) => std::future::pending().await,
        }
    }
}

/// A response body the sweep can reset.
pub struct Watched(Arc<Watch>);

impl Watched {
    fn body(&self) -> Option<std::sync::MutexGuard<'_, Option<EdgeBody>>> {
        match &self.0.held {
            Held::Body(body) => body.lock().ok(),
            Held::Pipe(_) => None,
        }
    }
}

impl Body for Watched {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let Some(mut body) = self.body() else {
            return Poll::Ready(Some(Err("response body lock poisoned".into())));
        };
        let Some(inner) = body.as_mut() else {
            return Poll::Ready(Some(Err(
                "the client took nothing for too long; the response was reset".into(),
            )));
        };
        let polled = Pin::new(&mut *inner).poll_frame(cx);
        match &polled {
            // The server has the frame; until it asks again, it is waiting on the client.
            Poll::Ready(Some(Ok(_))) if !inner.is_end_stream() => self.0.clock.waiting_from_now(),
            // Failed (the connector reset it): its connection, if it is the response's alone,
            // goes too.
            Poll::Ready(Some(Err(_))) => self.0.reset_connection(),
            _ => self.0.clock.moving(),
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body()
            .is_none_or(|body| body.as_ref().is_none_or(|b| b.is_end_stream()))
    }

    fn size_hint(&self) -> SizeHint {
        self.body()
            .and_then(|body| body.as_ref().map(|b| b.size_hint()))
            .unwrap_or_default()
    }
}

#[cfg(test)]
#[path = "stalls_tests.rs"]
mod tests;
