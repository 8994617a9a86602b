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
//! what waits in its queue stays there; one whose reader takes data gets credit back as before,
//! and grows its window as before. Back under the low mark, the starting window is restored.
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

/// Whether the machine's TCP memory was over its low mark when last read.
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
        let short = memory.is_some_and(|m| m.pages > m.low);
        let changed = (self.0).send_if_modified(|was| std::mem::replace(was, short) != short);
        if changed {
            let window_kib = window(short) >> 10;
            tracing::info!(
                short,
                window_kib,
                "the machine's TCP memory crossed net.ipv4.tcp_mem's low mark: new starting window for every stream the sessions receive"
            );
        }
    }

    /// Whether short, as last published, and each change.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.0.subscribe()
    }

    /// The starting window a stream opened now gets.
    pub fn start(&self) -> u32 {
        window(*self.0.borrow())
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

/// Drives the connection of a session whose answers this end receives, to its end, setting its
/// streams' starting window as `short` says (a change waits while an earlier SETTINGS is
/// unacknowledged: it is tried again every [`SWEEP_EVERY`]).
pub async fn drive<T, B>(
    mut connection: h2::client::Connection<T, B>,
    mut short: watch::Receiver<bool>,
) -> Result<(), h2::Error>
where
    T: AsyncRead + AsyncWrite + Unpin,
    B: Buf,
{
    let mut applied = false;
    let mut retry = tokio::time::interval(SWEEP_EVERY);
    loop {
        let wanted = *short.borrow_and_update();
        if wanted != applied && connection.set_initial_window_size(window(wanted)).is_ok() {
            applied = wanted;
        }
        tokio::select! {
            done = &mut connection => return done,
            changed = short.changed() => {
                if changed.is_err() {
                    return connection.await;
                }
            }
            _ = retry.tick(), if wanted != applied => {}
        }
    }
}

#[cfg(test)]
#[path = "pressed_window_tests.rs"]
mod tests;
