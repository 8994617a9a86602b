//! Receive windows that start small and grow while their reader keeps up.
//!
//! Whatever a stream has received and its reader has not taken holds the stream's share of the
//! session's window (HTTP/2 credit is released per stream and per session together). If every
//! stream had the window a fast download needs (4 MiB), a few dozen streams whose clients stop
//! reading would hold the whole session window and stall every other stream of the tunnel. So a
//! stream starts at [`STREAM_WINDOW_START`](crate::tuning::STREAM_WINDOW_START) (the SETTINGS
//! value both ends advertise; 16 KiB while the machine is short of TCP memory:
//! [`crate::pressed_window`]) and its
//! receiver gives it a larger window, doubling up to [`STREAM_WINDOW`], only when the reader took
//! a whole window within [`GROW_WITHIN`] and then had to wait for more: the window, not the
//! reader, was holding the stream back. A reader that never reads never grows its window; one
//! that reads slower than the tunnel delivers keeps data waiting and never waits itself.
//!
//! Growth is borrowed from one budget per process ([`GROWTH`]), returned when the stream ends,
//! so what all stalled streams can pin is bounded by `streams × STREAM_WINDOW_START + budget`,
//! whoever opens them. When it is spent, windows stay where they are: slower, never stalled.
//!
//! Growing a window past the received data needs `FlowControl::grow_window`, which stock h2
//! lacks (proto/vendor/h2/TETHER.md).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use h2::RecvStream;

use crate::pressed_window::SHORTAGE;
use crate::tuning::STREAM_WINDOW;

/// A window counts as used up quickly when the reader took all of it within this long: at the
/// largest window that is 32 Mbit/s, so streams slower than that never grow past what they use.
pub const GROW_WITHIN: Duration = Duration::from_secs(1);

/// Window growth every stream of this process may borrow at once, in bytes.
pub struct GrowthBudget {
    limit: AtomicU64,
    used: AtomicU64,
}

/// The budget of this process: 512 MiB unless the edge's config says otherwise.
pub static GROWTH: GrowthBudget = GrowthBudget::new(DEFAULT_GROWTH_BUDGET);

/// 128 streams at the largest window.
pub const DEFAULT_GROWTH_BUDGET: u64 = 512 << 20;

impl GrowthBudget {
    pub const fn new(limit: u64) -> Self {
        GrowthBudget {
            limit: AtomicU64::new(limit),
            used: AtomicU64::new(0),
        }
    }

    /// Sets the limit; growth already lent stays lent.
    pub fn set_limit(&self, limit: u64) {
        self.limit.store(limit, Ordering::Relaxed);
    }

    pub fn limit(&self) -> u64 {
        self.limit.load(Ordering::Relaxed)
    }

    /// Whether growth is lent out and a stream could not grow by one more step of the largest
    /// size now.
    pub fn spent(&self) -> bool {
        let used = self.in_use();
        used > 0 && used + u64::from(STREAM_WINDOW / 2) > self.limit()
    }

    /// Bytes of growth lent out now.
    pub fn in_use(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Lends `n` bytes of growth, if they fit.
    pub fn borrow(&self, n: u64) -> bool {
        let limit = self.limit.load(Ordering::Relaxed);
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                (used + n <= limit).then_some(used + n)
            })
            .is_ok()
    }

    fn give_back(&self, n: u64) {
        self.used.fetch_sub(n, Ordering::AcqRel);
    }
}

/// One stream's receive window: what its reader took, and what it borrowed to grow.
pub struct RecvWindow {
    budget: &'static GrowthBudget,
    /// The stream's window now.
    window: u32,
    /// Bytes the reader took since `since`.
    taken: u64,
    since: Instant,
    /// Growth borrowed from `budget`, given back on drop.
    borrowed: u64,
}

impl Default for RecvWindow {
    fn default() -> Self {
        RecvWindow::new(&GROWTH)
    }
}

impl RecvWindow {
    pub fn new(budget: &'static GrowthBudget) -> Self {
        RecvWindow {
            budget,
            // The window the stream started with: smaller while the machine is short of TCP
            // memory (`crate::pressed_window`), so a reader grows it from there at once.
            window: SHORTAGE.start(),
            taken: 0,
            since: Instant::now(),
            borrowed: 0,
        }
    }

    /// The stream's window now.
    pub fn window(&self) -> u32 {
        self.window
    }

    /// The reader took `n` bytes: their credit goes back to the sender.
    pub fn taken(&mut self, recv: &mut RecvStream, n: usize) {
        let _ = recv.flow_control().release_capacity(n);
        self.taken += n as u64;
    }

    /// The reader asked for more and nothing had arrived. If it took a whole window quickly, the
    /// window held the stream back: double it.
    pub fn starved(&mut self, recv: &mut RecvStream) {
        if self.taken < u64::from(self.window) {
            return;
        }
        let quick = self.since.elapsed() <= GROW_WITHIN;
        self.taken = 0;
        self.since = Instant::now();
        if !quick || self.window >= STREAM_WINDOW {
            return;
        }
        let grow = (self.window * 2).min(STREAM_WINDOW) - self.window;
        if !self.budget.borrow(u64::from(grow)) {
            return;
        }
        if recv.flow_control().grow_window(grow as usize).is_ok() {
            self.window += grow;
            self.borrowed += u64::from(grow);
        } else {
            self.budget.give_back(u64::from(grow));
        }
    }
}

impl Drop for RecvWindow {
    fn drop(&mut self) {
        if self.borrowed > 0 {
            self.budget.give_back(self.borrowed);
        }
    }
}

#[cfg(test)]
#[path = "recv_window_tests.rs"]
mod tests;
