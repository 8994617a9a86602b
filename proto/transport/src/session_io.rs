//! The connection under a session's HTTP/2 (a tunnel session, a link, an access session): it
//! notes every read for [`Liveness`](crate::liveness::Liveness), notes when its writes wait
//! ([`Backpressure`]: a stream's wait for credit is then not its reader's doing), and it reads
//! ahead while a write waits.
//!
//! Why read ahead: the `h2` crate reads no frame while it holds a PONG (or a SETTINGS ACK) that
//! its connection cannot take yet. When both ends' writes wait, each on the other's full receive
//! window, and each holds the PONG of the other's PING (both ends PING four times per
//! `liveness-timeout`), neither reads again: the session is deadlocked until liveness drops it
//! with every stream on it. Full windows both ways are what a machine short of TCP memory gives
//! (Linux throttles each socket to a fair share); 1,024 attacking addresses holding 12,288
//! unread downloads deadlocked a session every few seconds, each side with 64 KiB unread for 5 s.
//! Reading what has arrived while the write waits opens the peer's window, so its PONG goes
//! out, it reads again, and our write goes too (yamux fixed the same deadlock the same way).
//!
//! What is read ahead is what the peer's flow control already lets it send, and it is capped
//! at [`READ_AHEAD`]; at the cap the session waits on TCP as before.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BufMut, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::liveness::Heard;
use crate::stall::Backpressure;

/// The most read ahead of HTTP/2 while a write waits: four of the largest frames a session
/// accepts ([`crate::tuning::MAX_FRAME`]), more than the peer holds queued before its PONG.
pub const READ_AHEAD: usize = 4 * crate::tuning::MAX_FRAME as usize;

/// How much one read ahead asks for.
const CHUNK: usize = 64 << 10;

pub struct SessionIo<S> {
    io: S,
    heard: Heard,
    pressure: Backpressure,
    /// Read while a write waited, not yet handed to HTTP/2.
    ahead: BytesMut,
    /// The connection ended (or failed) during a read ahead: told to the next read.
    ended: Option<io::Result<()>>,
}

impl<S> SessionIo<S> {
    pub fn new(io: S, heard: Heard) -> SessionIo<S> {
        SessionIo {
            io,
            heard,
            pressure: Backpressure::default(),
            ahead: BytesMut::new(),
            ended: None,
        }
    }

    /// When this connection's writes last waited, for the streams on its session.
    pub fn backpressure(&self) -> Backpressure {
        self.pressure.clone()
    }
}

impl<S: AsyncRead + Unpin> SessionIo<S> {
    /// A write waits: read what has arrived, up to [`READ_AHEAD`]. This also asks to be woken
    /// when more arrives, so a waiting write is retried then (and reads ahead again).
    fn read_ahead(&mut self, cx: &mut Context<'_>) {
        while self.ended.is_none() && self.ahead.len() < READ_AHEAD {
            let room = CHUNK.min(READ_AHEAD - self.ahead.len());
            self.ahead.reserve(room);
            // At most `room`: the spare capacity `reserve` leaves can be far larger.
            let mut buf = (&mut self.ahead).limit(room);
            match tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut buf) {
                Poll::Ready(Ok(0)) => self.ended = Some(Ok(())),
                Poll::Ready(Ok(_)) => self.heard.now(),
                Poll::Ready(Err(e)) => self.ended = Some(Err(e)),
                Poll::Pending => return,
            }
        }
    }

    /// A write's answer `poll`; when it is to wait, reads ahead first. A write that fails after
    /// a read ahead met the peer's end is taken as written instead: the peer closed (a WebSocket
    /// Close forbids sending after it) and what it sent before, read ahead, must still reach
    /// HTTP/2 (its last DATA, its GOAWAY) rather than be dropped with the error.
    fn waiting<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<T>>,
        written: T,
    ) -> Poll<io::Result<T>> {
        match poll {
            Poll::Pending => {
                self.pressure.waiting();
                self.read_ahead(cx);
                Poll::Pending
            }
            Poll::Ready(Ok(_)) => {
                self.pressure.flowing();
                poll
            }
            Poll::Ready(Err(_)) if matches!(self.ended, Some(Ok(()))) => Poll::Ready(Ok(written)),
            ready => ready,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for SessionIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.ahead.is_empty() {
            let n = this.ahead.len().min(buf.remaining());
            buf.put_slice(&this.ahead[..n]);
            this.ahead.advance(n);
            if this.ahead.is_empty() && this.ahead.capacity() > CHUNK {
                // Emptied after a long wait: give the megabytes back.
                this.ahead = BytesMut::new();
            }
            return Poll::Ready(Ok(()));
        }
        if let Some(ended) = this.ended.take() {
            return Poll::Ready(ended);
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.heard.now();
        }
        read
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for SessionIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_write(cx, data);
        this.waiting(cx, poll, data.len())
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_write_vectored(cx, data);
        let written = data.iter().map(|d| d.len()).sum();
        this.waiting(cx, poll, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_flush(cx);
        this.waiting(cx, poll, ())
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
#[path = "session_io_tests.rs"]
mod tests;
