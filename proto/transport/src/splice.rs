//! Byte streams through a tunnel: a TCP connection (or any socket-like I/O) spliced onto an h2
//! CONNECT stream (two CONNECT streams relayed into each other: [`crate::relay`]).
//!
//! The mapping of RFC 9113 §8.5, both ways and each direction on its own:
//! - EOF (FIN) on the socket ends the h2 stream's sending half (`END_STREAM`); `END_STREAM` from
//!   the peer shuts the socket's write half. The other direction carries on (half-close).
//! - A socket error (RST) resets the h2 stream with `CONNECT_ERROR`; a reset from the peer, or a
//!   session that died, makes the caller abort the socket (see [`Ended::PeerAborted`]).
//! - A reset never overtakes the bytes sent before it, as on a direct TCP connection, where bytes
//!   that reached the other end stay readable after a RST: the `RST_STREAM` follows the data
//!   already handed to h2 (`send_reset_after_data`, proto/vendor/h2/TETHER.md), and a peer's
//!   reset is acted on once the data that came before it has been written to the socket (for at
//!   most [`DRAIN_LIMIT`]: a reader that takes nothing does not hold the stream).
//!
//! Memory per idle stream is what h2 and the socket need: no read buffer is held while the socket
//! has nothing to read (one is taken for each read and given back when the read would block), so
//! 10,000 quiet streams cost no buffers. Backpressure is the h2 windows: nothing more is read from
//! the socket until h2 has capacity for what was read, and credit for received data goes back to
//! the peer only once the socket has taken it.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use h2::{Reason, RecvStream, SendStream};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};

use crate::h2body::poll_send;
use crate::recv_window::RecvWindow;
pub use crate::relay::relay;
use crate::stall::StallClock;

/// Largest single read from a socket; one read becomes one or a few h2 DATA frames.
const READ_CHUNK: usize = 64 << 10;
/// How long the bytes that came before a peer's reset may take to be written to the socket (or
/// to the other stream, in a relay) before the reset is acted on regardless.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(5);
/// The most read out of a failed socket after its error (its receive buffer holds less).
const READ_OUT_LIMIT: usize = 16 << 20;
/// The longest the reads out of a failed socket may wait for it to show as readable.
const READ_OUT_WAIT: Duration = Duration::from_secs(1);
/// Reads shorter than this are copied out so the big read buffer is freed at once (SSH
/// keystrokes would otherwise each pin a whole chunk until sent).
const COPY_BELOW: usize = 4 << 10;

/// Both halves of one h2 stream used as a byte pipe.
pub struct Pipe {
    pub send: SendStream<Bytes>,
    pub recv: RecvStream,
}

/// How a spliced stream ended, and the bytes it carried.
#[derive(Debug)]
pub struct Spliced {
    /// Bytes from the socket into the tunnel.
    pub up: u64,
    /// Bytes from the tunnel into the socket.
    pub down: u64,
    pub ended: Ended,
}

#[derive(Debug)]
pub enum Ended {
    /// Both directions ended with FIN / `END_STREAM`.
    Closed,
    /// The socket failed; the h2 stream has been reset with `CONNECT_ERROR`.
    LocalAborted(io::Error),
    /// The peer reset the stream or the session failed; the caller must abort the socket (for
    /// TCP: `SO_LINGER` 0, then drop, which sends RST).
    PeerAborted(h2::Error),
    /// Nothing moved either way for the idle timeout; the h2 stream has been reset with
    /// `CANCEL` and the caller should abort the socket.
    Idle,
}

enum Fail {
    Local(io::Error),
    Peer(h2::Error),
}

impl From<Fail> for Ended {
    fn from(fail: Fail) -> Ended {
        match fail {
            Fail::Local(e) => Ended::LocalAborted(e),
            Fail::Peer(e) => Ended::PeerAborted(e),
        }
    }
}

/// Whose reading a splice's stall clock watches.
#[derive(Clone, Copy)]
pub enum Watch<'a> {
    /// Bytes from the tunnel waiting on the socket's reader: at the edge, a public client that
    /// stopped reading.
    Socket(&'a StallClock),
    /// Bytes from the socket waiting on the tunnel's window: at the connector, an origin's
    /// answer that the edge's client is not taking.
    Tunnel(&'a StallClock),
}

/// Carries bytes between `io` and `pipe` until both directions have ended or one side fails.
/// `watch`, when given, is marked while bytes wait on the reader it names.
pub async fn splice<T>(
    io: &mut T,
    pipe: Pipe,
    idle: Option<Duration>,
    watch: Option<Watch<'_>>,
) -> Spliced
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let mut splice = Splice {
        io,
        pipe,
        up: Up::default(),
        down: Down::default(),
        idle: idle.map(|d| (d, Box::pin(tokio::time::sleep(d)))),
        stall: match watch {
            Some(Watch::Socket(clock)) => Some(clock),
            _ => None,
        },
        up_stall: match watch {
            Some(Watch::Tunnel(clock)) => Some(clock),
            _ => None,
        },
    };
    let ended = match (&mut splice).await {
        Ended::PeerAborted(e) => splice.drain_then(e).await,
        ended => ended,
    };
    match &ended {
        Ended::LocalAborted(_) => {
            // What was read before the socket failed goes first, then what the peer sent before
            // its reset and is still to be read (a write can fail first), then the reset.
            let pending = std::mem::take(&mut splice.up.pending);
            if !pending.is_empty() {
                let _ = splice.pipe.send.send_data(pending, false);
            }
            splice.read_out().await;
            splice
                .pipe
                .send
                .send_reset_after_data(Reason::CONNECT_ERROR)
        }
        Ended::Idle => splice.pipe.send.send_reset(Reason::CANCEL),
        Ended::Closed | Ended::PeerAborted(_) => {}
    }
    Spliced {
        up: splice.up.bytes,
        down: splice.down.bytes,
        ended,
    }
}

#[derive(Default)]
struct Up {
    /// Read from the socket, not yet handed to h2.
    pending: Bytes,
    done: bool,
    bytes: u64,
}

#[derive(Default)]
struct Down {
    /// Received from the peer, not yet written to the socket.
    pending: Bytes,
    window: RecvWindow,
    /// Written since the last flush (TLS sockets hold small writes until flushed).
    unflushed: bool,
    done: bool,
    bytes: u64,
}

struct Splice<'a, T> {
    io: &'a mut T,
    pipe: Pipe,
    up: Up,
    down: Down,
    idle: Option<(Duration, Pin<Box<Sleep>>)>,
    /// Marked while bytes wait on the socket's reader.
    stall: Option<&'a StallClock>,
    /// Marked while bytes wait on the tunnel's window.
    up_stall: Option<&'a StallClock>,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Splice<'_, T> {
    /// Socket → h2.
    fn poll_up(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Fail>> {
        loop {
            if !self.up.pending.is_empty() {
                ready!(poll_send(
                    &mut self.pipe.send,
                    &mut self.up.pending,
                    false,
                    self.up_stall,
                    cx
                ))
                .map_err(Fail::Peer)?;
            }
            let mut buf = BytesMut::with_capacity(READ_CHUNK);
            let n = ready!(tokio_util::io::poll_read_buf(
                Pin::new(&mut *self.io),
                cx,
                &mut buf
            ))
            .map_err(Fail::Local)?;
            if n == 0 {
                self.pipe
                    .send
                    .send_data(Bytes::new(), true)
                    .map_err(Fail::Peer)?;
                return Poll::Ready(Ok(()));
            }
            self.up.bytes += n as u64;
            self.up.pending = if n < COPY_BELOW {
                Bytes::copy_from_slice(&buf)
            } else {
                buf.freeze()
            };
        }
    }

    /// h2 → socket.
    fn poll_down(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Fail>> {
        loop {
            while !self.down.pending.is_empty() {
                let written = Pin::new(&mut *self.io).poll_write(cx, &self.down.pending);
                let n = ready!(self.stalled_on(written)).map_err(Fail::Local)?;
                if n == 0 {
                    return Poll::Ready(Err(Fail::Local(io::ErrorKind::WriteZero.into())));
                }
                self.down.pending.advance(n);
                self.down.unflushed = true;
                // Credit goes back only for bytes the socket took: end-to-end backpressure.
                self.down.window.taken(&mut self.pipe.recv, n);
            }
            match self.pipe.recv.poll_data(cx) {
                Poll::Pending => {
                    self.down.window.starved(&mut self.pipe.recv);
                    if self.down.unflushed {
                        let flushed = Pin::new(&mut *self.io).poll_flush(cx);
                        ready!(self.stalled_on(flushed)).map_err(Fail::Local)?;
                        self.down.unflushed = false;
                    }
                    if let Some(stall) = self.stall {
                        stall.moving();
                    }
                    return Poll::Pending;
                }
                Poll::Ready(Some(Ok(data))) => {
                    self.down.bytes += data.len() as u64;
                    self.down.pending = data;
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(Fail::Peer(e))),
                Poll::Ready(None) => {
                    ready!(Pin::new(&mut *self.io).poll_shutdown(cx)).map_err(Fail::Local)?;
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }

    /// After the socket failed: hands h2 what the socket still has to read (at most
    /// [`READ_OUT_LIMIT`]), without waiting for the peer's window. A reset socket keeps the
    /// bytes that reached it before the RST readable, and is readable until they and its error
    /// are read; but when a write saw the failure first, the reactor may not have seen the
    /// socket's readiness yet (under load, for tens of milliseconds), and a read would say
    /// "nothing yet": so each read may wait, all of them together at most [`READ_OUT_WAIT`].
    async fn read_out(&mut self) {
        let mut left = READ_OUT_LIMIT;
        let deadline = tokio::time::Instant::now() + READ_OUT_WAIT;
        while left > 0 && !self.up.done {
            let mut buf = BytesMut::with_capacity(READ_CHUNK.min(left));
            let read = std::future::poll_fn(|cx| {
                tokio_util::io::poll_read_buf(Pin::new(&mut *self.io), cx, &mut buf)
            });
            let n = match tokio::time::timeout_at(deadline, read).await {
                Ok(Ok(n)) if n > 0 => n,
                _ => break,
            };
            left = left.saturating_sub(n);
            self.up.bytes += n as u64;
            if self.pipe.send.send_data(buf.freeze(), false).is_err() {
                break;
            }
        }
    }

    /// After the peer's reset (or the session's end) showed on the sending half: writes to the
    /// socket what the peer sent before it, for at most [`DRAIN_LIMIT`], then tries once to flush
    /// (a TLS socket holds small writes). The caller then aborts the socket.
    async fn drain_then(&mut self, reset: h2::Error) -> Ended {
        let drained = std::future::poll_fn(|cx| {
            if self.down.done {
                return Poll::Ready(());
            }
            // Ends at the peer's reset (Err) once what came before it is written, or at a
            // clean end of its half.
            self.poll_down(cx).map(|_| ())
        });
        let _ = tokio::time::timeout(DRAIN_LIMIT, drained).await;
        std::future::poll_fn(|cx| {
            let _ = Pin::new(&mut *self.io).poll_flush(cx);
            Poll::Ready(())
        })
        .await;
        Ended::PeerAborted(reset)
    }

    /// Marks the stall clock by whether the socket took what was offered.
    fn stalled_on<R>(&self, polled: Poll<R>) -> Poll<R> {
        if let Some(stall) = self.stall {
            match polled {
                Poll::Pending => stall.waiting(),
                Poll::Ready(_) => stall.moving(),
            }
        }
        polled
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> Future for &mut Splice<'_, T> {
    type Output = Ended;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Ended> {
        let this = &mut **self;
        let before = (this.up.bytes, this.down.bytes);
        if !this.up.done {
            match this.poll_up(cx) {
                Poll::Ready(Ok(())) => this.up.done = true,
                Poll::Ready(Err(fail)) => return Poll::Ready(fail.into()),
                Poll::Pending => {}
            }
        }
        if !this.down.done {
            match this.poll_down(cx) {
                Poll::Ready(Ok(())) => this.down.done = true,
                Poll::Ready(Err(fail)) => return Poll::Ready(fail.into()),
                Poll::Pending => {}
            }
        }
        if this.up.done && this.down.done {
            return Poll::Ready(Ended::Closed);
        }
        // Once the peer has ended its half nothing polls its side but a send, and the socket may
        // stay quiet: watch for a reset (or a dead session) explicitly.
        if this.down.done {
            if let Poll::Ready(reset) = this.pipe.send.poll_reset(cx) {
                return Poll::Ready(Ended::PeerAborted(reset_error(reset)));
            }
        }
        if let Some((timeout, sleep)) = &mut this.idle {
            if (this.up.bytes, this.down.bytes) != before {
                sleep.as_mut().reset(Instant::now() + *timeout);
            }
            if sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ended::Idle);
            }
        }
        Poll::Pending
    }
}

/// What `SendStream::poll_reset` reported, as the error the stream ended with: the peer's
/// reset reason, or the session's failure.
pub(crate) fn reset_error(reset: Result<Reason, h2::Error>) -> h2::Error {
    reset.map_or_else(|e| e, h2::Error::from)
}

#[cfg(test)]
#[path = "splice_tests.rs"]
mod tests;
