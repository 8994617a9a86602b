//! Smaller starting windows while the machine is short of TCP memory.
//!
//! Every stream starts with [`STREAM_WINDOW_START`] of credit, and a sender may put that much on
//! the session before the receiver has taken any of it. 12,288 unread downloads opened from
//! 1,024 addresses put 1.5 GiB of such data in the connector's queues; the sessions, throttled
//! by Linux once the machine's TCP memory was past its pressure mark, carried it at a few tens
//! of MB/s, and HTTP/2 sends each stream's frames in turn: a reader's 4 MiB download beside them
//! got its first byte after 19–30 s, behind data that no one would ever read.
//!
//! So while the machine's TCP memory is over `net.ipv4.tcp_mem`'s low mark (where the sweeps
//! start shedding), the receiving end of a session (the edge, for the answers on its tunnel
//! sessions and links) asks for [`PRESSED_WINDOW_START`] as every stream's starting window
//! (SETTINGS_INITIAL_WINDOW_SIZE, RFC 9113 §6.9.2). The sender applies the change to the streams
//! already open too: one whose data its reader has not taken is held to what it has sent, and
//! what waits in its queue stays there; one whose reader takes data gets credit back as before
//! (h2 needed a patch for a reader that had caught up: proto/vendor/h2/TETHER.md), and grows
//! its window as before. The starting window is restored once the machine is back under 7/8 of
//! the low mark (what the sweeps shed toward): each restore gives every open stream its
//! difference back at once, so it is not done at every crossing of the mark.
//!
//! Plain HTTP/2 on the wire: a connector of any version applies it.

use std::sync::LazyLock;

use bytes::Buf;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

use crate::tcp_memory::{TcpMemory, SWEEP_EVERY};
use crate::tuning::STREAM_WINDOW_START;

/// Every stream's starting window while the machine is short of TCP memory: one TLS record.
pub const PRESSED_WINDOW_START: u32 = 16 << 10;

/// Whether the machine is short of TCP memory: from when it is over the low mark until it is
/// back under 7/8 of it.
pub struct Shortage(watch::Sender<bool>);

/// This process's: published by its sweep, read by its sessions.
pub static SHORTAGE: LazyLock<Shortage> = LazyLock::new(Shortage::default);

impl Default for Shortage {
    fn default() -> Self {
        Shortage(watch::channel(false).0)
    }
}

impl Shortage {
    /// What the machine's TCP memory is now; `None` (not Linux) counts as not short.
    pub fn publish(&self, memory: Option<TcpMemory>) {
        let changed = self.0.send_if_modified(|was| {
            let short = memory.is_some_and(|m| match *was {
                true => m.pages > m.low - m.low / 8,
                false => m.pages > m.low,
            });
            std::mem::replace(was, short) != short
        });
        let short = *self.0.borrow();
        if changed {
            let window_kib = window(short) >> 10;
            tracing::info!(
                short,
                window_kib,
                "the machine's TCP memory crossed net.ipv4.tcp_mem's low mark (or back under 7/8 of it): new starting window for every stream the sessions receive"
            );
        }
    }

    /// Whether short, as last published, and each change.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.0.subscribe()
    }

    /// The starting window a stream opened now gets.
    pub fn start(&self) -> u32 {
        window(self.is_short())
    }

    /// Whether short, as last published.
    pub fn is_short(&self) -> bool {
        *self.0.borrow()
    }
}

/// Tells this process's sessions what the machine's TCP memory is now (the sweeps read it four
/// times a second).
pub fn publish(memory: Option<TcpMemory>) {
    SHORTAGE.publish(memory)
}

/// Whether the machine is short of TCP memory, as last published, for a session's driver.
pub fn shortage() -> watch::Receiver<bool> {
    SHORTAGE.subscribe()
}

/// The starting window while `short` or not.
pub fn window(short: bool) -> u32 {
    if short {
        PRESSED_WINDOW_START
    } else {
        STREAM_WINDOW_START
    }
}

/// An h2 connection whose starting window can be set (client or server end of a session).
pub trait InitialWindow {
    /// Sends SETTINGS_INITIAL_WINDOW_SIZE; fails while an earlier SETTINGS is unacknowledged.
    fn set_initial_window(&mut self, size: u32) -> Result<(), h2::Error>;
}

impl<T: AsyncRead + AsyncWrite + Unpin, B: Buf> InitialWindow for h2::client::Connection<T, B> {
    fn set_initial_window(&mut self, size: u32) -> Result<(), h2::Error> {
        self.set_initial_window_size(size)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin, B: Buf> InitialWindow for h2::server::Connection<T, B> {
    fn set_initial_window(&mut self, size: u32) -> Result<(), h2::Error> {
        self.set_initial_window_size(size)
    }
}

/// One session's starting window, kept as [`Shortage`] says: [`Follow::apply`] after each
/// [`Follow::next`].
pub struct Follow {
    short: watch::Receiver<bool>,
    applied: bool,
    /// A change that could not be sent yet is tried again on this tick.
    retry: tokio::time::Interval,
}

impl Follow {
    pub fn new(short: watch::Receiver<bool>) -> Follow {
        let mut retry = tokio::time::interval(SWEEP_EVERY);
        retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Follow {
            short,
            applied: false,
            retry,
        }
    }

    /// Sends the starting window wanted now, if it is not the one in force.
    pub fn apply(&mut self, connection: &mut impl InitialWindow) {
        let wanted = *self.short.borrow_and_update();
        if wanted != self.applied && connection.set_initial_window(window(wanted)).is_ok() {
            self.applied = wanted;
        }
    }

    /// Resolves when [`Follow::apply`] has something to do: a change, or a change to retry. Never,
    /// once the shortage is gone (it lives as long as the process).
    pub async fn next(&mut self) {
        if *self.short.borrow() != self.applied {
            self.retry.tick().await;
            return;
        }
        if self.short.changed().await.is_err() {
            std::future::pending::<()>().await
        }
    }
}

/// Drives the connection of a session whose answers this end receives, to its end, with the
/// starting window `short` says.
pub async fn drive<T, B>(
    mut connection: h2::client::Connection<T, B>,
    short: watch::Receiver<bool>,
) -> Result<(), h2::Error>
where
    T: AsyncRead + AsyncWrite + Unpin,
    B: Buf,
{
    let mut follow = Follow::new(short);
    loop {
        follow.apply(&mut connection);
        tokio::select! {
            done = &mut connection => return done,
            _ = follow.next() => {}
        }
    }
}

#[cfg(test)]
#[path = "pressed_window_tests.rs"]
mod tests;
