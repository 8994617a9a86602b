//! The server end of a tunnel WebSocket (RFC 6455) as a byte stream, for HTTP/2 to run over, read
//! and written frame by frame without tungstenite.
//!
//! Written by hand because what tungstenite does around each frame is most of what a session's
//! WebSocket layer costs: it zero-fills its read buffer before every read (the reads that find
//! nothing included), and copies each payload into a buffer of its own on the way in and again on
//! the way out. Here a data frame's payload is read straight into the reader's buffer (HTTP/2's)
//! when nothing else is buffered, anything read is read into spare capacity without filling it
//! first (`tokio_util::io::poll_read_buf`), and a frame is written from the buffer the writes were
//! gathered in, its header put in room kept in front of them. No crate offers this over tokio's
//! `AsyncRead`/`AsyncWrite`; the frame format is small and fixed.
//!
//! The server side only: the edge accepts sessions, links and access sessions through hyper's
//! upgrade, whose connection replays anything hyper read past the request. Frames from the client
//! must be masked and are unmasked here; frames to it are not. Message boundaries carry no meaning
//! on a byte stream, so binary and continuation frames are read alike and the fragmentation rules
//! are not enforced; a text frame is an error (closed with 1003, other protocol errors with 1002,
//! a frame past the limit with 1009); the latest ping is answered with one pong when what is
//! already queued has been written (a peer that sends pings and never reads queues nothing more);
//! a close frame (or the end of the connection between frames) ends the stream, is echoed after
//! what was gathered, and nothing is sent after it.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::wsframe::{
    header, invalid, parse_header, unmask, MAX_FRAME, OP_BINARY, OP_CLOSE, OP_CONTINUATION,
    OP_PING, OP_PONG, OP_TEXT, ROOM,
};
use crate::wsstream::MAX_MESSAGE;

/// The most read from the connection at once into its own buffer: headers, control frames and
/// small payloads (a payload bigger than what is buffered is read into the reader's buffer).
const READ_CHUNK: usize = 16 << 10;

pub struct ServerFrames<S> {
    io: S,
    /// Bytes read from `io` and not yet used: headers, control payloads, parts of data payloads.
    inbuf: BytesMut,
    /// What is left of the current data frame's payload, its mask, and how far into the mask.
    left: u64,
    mask: [u8; 4],
    mask_at: usize,
    /// A close frame was read, or the connection ended between frames.
    read_closed: bool,
    /// Payload written since the last frame was sealed, after [`ROOM`] bytes for its header.
    write_buf: BytesMut,
    /// Whole frames waiting for `io`, in order.
    out: BytesMut,
    /// The latest ping's payload, answered once `out` is empty.
    pong: Option<Vec<u8>>,
    close_sent: bool,
    /// The status our close frame carries: 1000, or why we gave up on the peer.
    close_code: u16,
    max_message: usize,
}

impl<S> ServerFrames<S> {
    pub fn new(io: S) -> Self {
        Self::with_max_message(io, MAX_MESSAGE)
    }

    pub fn with_max_message(io: S, max_message: usize) -> Self {
        assert!(max_message > 0, "a message must hold at least a byte");
        let mut write_buf = BytesMut::new();
        write_buf.extend_from_slice(&[0; ROOM]);
        ServerFrames {
            io,
            inbuf: BytesMut::new(),
            left: 0,
            mask: [0; 4],
            mask_at: 0,
            read_closed: false,
            write_buf,
            out: BytesMut::new(),
            pong: None,
            close_sent: false,
            close_code: 1000,
            max_message,
        }
    }

    /// Turns the gathered writes into one binary frame at the end of `out`.
    fn seal(&mut self) {
        let len = self.write_buf.len() - ROOM;
        if len == 0 {
            return;
        }
        let (h, size) = header(OP_BINARY, len);
        self.write_buf[ROOM - size..ROOM].copy_from_slice(&h[..size]);
        let mut frame = self.write_buf.split();
        frame.advance(ROOM - size);
        if self.out.is_empty() {
            self.out = frame;
        } else {
            self.out.extend_from_slice(&frame);
        }
        self.write_buf.extend_from_slice(&[0; ROOM]);
    }

    fn control(&mut self, opcode: u8, payload: &[u8]) {
        let (h, size) = header(opcode, payload.len());
        self.out.extend_from_slice(&h[..size]);
        self.out.extend_from_slice(payload);
    }

    /// Handles a whole control frame whose payload is `payload`.
    fn on_control(&mut self, opcode: u8, payload: &[u8]) {
        match opcode {
            OP_PING if !self.close_sent => self.pong = Some(payload.to_vec()),
            OP_CLOSE => {
                self.read_closed = true;
                // Echo the status code (RFC 6455 §5.5.1), after what was gathered.
                let code = payload.get(..2).unwrap_or(&[]).to_vec();
                self.send_close(&code);
            }
            _ => {} // OP_PONG, or a ping after our close
        }
    }

    /// Queues the close frame, after any gathered writes; nothing is sent after it.
    fn send_close(&mut self, payload: &[u8]) {
        if !self.close_sent {
            self.seal();
            self.control(OP_CLOSE, payload);
            self.close_sent = true;
        }
    }

    /// A protocol error: the stream fails, and our close frame says why.
    fn refuse(&mut self, code: u16, why: &'static str) -> io::Error {
        self.close_code = code;
        invalid(why)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> ServerFrames<S> {
    /// Writes `out` to the connection until it is empty, then the pong owed, if any.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            while !self.out.is_empty() {
                let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.out))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                self.out.advance(n);
            }
            match self.pong.take() {
                Some(payload) if !self.close_sent => self.control(OP_PONG, &payload),
                _ => return Poll::Ready(Ok(())),
            }
        }
    }

    /// Reads more of the connection into `inbuf`; `false` at its end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        self.inbuf.reserve(READ_CHUNK);
        match tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.inbuf) {
            Poll::Ready(Ok(n)) => Poll::Ready(Ok(n > 0)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                // An idle session holds no read buffer.
                if self.inbuf.is_empty() {
                    self.inbuf = BytesMut::new();
                }
                Poll::Pending
            }
        }
    }

    /// Reads the next frame's header, and handles control frames; `false` at the end.
    fn poll_next_data(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        loop {
            let parsed = parse_header(&self.inbuf).inspect_err(|_| self.close_code = 1002)?;
            let Some(h) = parsed else {
                if !ready!(self.poll_fill(cx))? {
                    if self.inbuf.is_empty() {
                        return Poll::Ready(Ok(false));
                    }
                    return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
                }
                continue;
            };
            let Some(mask) = h.mask else {
                return Poll::Ready(Err(
                    self.refuse(1002, "unmasked WebSocket frame from a client")
                ));
            };
            match h.opcode {
                OP_BINARY | OP_CONTINUATION => {
                    if h.len > MAX_FRAME {
                        return Poll::Ready(Err(self.refuse(1009, "WebSocket frame too large")));
                    }
                    self.inbuf.advance(h.size);
                    (self.left, self.mask, self.mask_at) = (h.len, mask, 0);
                    if h.len > 0 {
                        return Poll::Ready(Ok(true));
                    }
                }
                OP_CLOSE | OP_PING | OP_PONG => {
                    if h.len > 125 || !h.fin {
                        return Poll::Ready(Err(
                            self.refuse(1002, "malformed WebSocket control frame")
                        ));
                    }
                    let end = h.size + h.len as usize;
                    while self.inbuf.len() < end {
                        if !ready!(self.poll_fill(cx))? {
                            return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
                        }
                    }
                    let mut payload = self.inbuf[h.size..end].to_vec();
                    unmask(&mut payload, mask, 0);
                    self.inbuf.advance(end);
                    self.on_control(h.opcode, &payload);
                    // Best effort: the pong or close goes now if the connection takes it, else
                    // with the next write or flush.
                    let _ = self.poll_drain(cx);
                    if self.read_closed {
                        return Poll::Ready(Ok(false));
                    }
                }
                OP_TEXT => {
                    return Poll::Ready(Err(self.refuse(1003, "text message on a tunnel session")))
                }
                _ => return Poll::Ready(Err(self.refuse(1002, "unknown WebSocket opcode"))),
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for ServerFrames<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        if this.left == 0 && (this.read_closed || !ready!(this.poll_next_data(cx))?) {
            this.read_closed = true;
            return Poll::Ready(Ok(()));
        }
        let start = buf.filled().len();
        let want = this.left.min(buf.remaining() as u64) as usize;
        if !this.inbuf.is_empty() {
            let n = want.min(this.inbuf.len());
            buf.put_slice(&this.inbuf[..n]);
            this.inbuf.advance(n);
        } else {
            // Nothing buffered: the payload goes straight into the reader's buffer. What the read
            // brings past this frame's end is the next frame's and is kept.
            ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
            let got = buf.filled().len() - start;
            if got == 0 {
                return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
            }
            if got > want {
                this.inbuf.extend_from_slice(&buf.filled()[start + want..]);
                buf.set_filled(start + want);
            }
        }
        let n = buf.filled().len() - start;
        unmask(&mut buf.filled_mut()[start..], this.mask, this.mask_at);
        this.mask_at = (this.mask_at + n) % 4;
        this.left -= n as u64;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for ServerFrames<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.close_sent {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if this.write_buf.len() - ROOM >= this.max_message {
            this.seal();
        }
        if !this.out.is_empty() && this.write_buf.len() == ROOM {
            ready!(this.poll_drain(cx))?;
        }
        let n = buf
            .len()
            .min(this.max_message - (this.write_buf.len() - ROOM));
        this.write_buf.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.seal();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let code = this.close_code.to_be_bytes();
        this.send_close(&code);
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
#[path = "wsserver_tests.rs"]
mod tests;
