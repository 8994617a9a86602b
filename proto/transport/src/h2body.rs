//! HTTP bodies over raw h2 streams, for both ends of a session.
//!
//! Sessions use the `h2` crate directly rather than hyper's HTTP/2 client and server: hyper's
//! upgraded CONNECT streams turn a peer's reset into a clean end and cannot send one, and a TCP
//! stream must carry an abort as `RST_STREAM(CONNECT_ERROR)` (RFC 9113 §8.5). So the two things
//! hyper did for us live here: [`RecvBody`] reads a stream as an `http_body::Body` (returning flow
//! control credit as the reader takes data), and [`send_body`] writes a body into a stream, only
//! as fast as the peer's window allows.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use h2::{Reason, RecvStream, SendStream};
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};

use crate::recv_window::RecvWindow;
use crate::stall::StallClock;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The receiving half of an h2 stream as an HTTP body. Credit for each chunk goes back to the
/// peer when the chunk is handed to the reader, so a reader that stops reading stops the sender
/// after one stream window, which grows only while the reader keeps up ([`RecvWindow`]).
pub struct RecvBody {
    recv: RecvStream,
    window: RecvWindow,
    /// Set once the data is done and the trailers were taken.
    done: bool,
}

impl RecvBody {
    pub fn new(recv: RecvStream) -> Self {
        let done = recv.is_end_stream();
        RecvBody {
            recv,
            window: RecvWindow::default(),
            done,
        }
    }
}

impl Body for RecvBody {
    type Data = Bytes;
    type Error = h2::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, h2::Error>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        let polled = this.recv.poll_data(cx);
        if polled.is_pending() {
            this.window.starved(&mut this.recv);
        }
        match ready!(polled) {
            Some(Ok(data)) => {
                this.window.taken(&mut this.recv, data.len());
                Poll::Ready(Some(Ok(Frame::data(data))))
            }
            Some(Err(e)) => {
                self.done = true;
                Poll::Ready(Some(Err(e)))
            }
            None => {
                let trailers = ready!(self.recv.poll_trailers(cx));
                self.done = true;
                match trailers {
                    Ok(Some(t)) => Poll::Ready(Some(Ok(Frame::trailers(t)))),
                    Ok(None) => Poll::Ready(None),
                    Err(e) => Poll::Ready(Some(Err(e))),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.recv.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// Why [`send_body`] stopped early.
#[derive(Debug, thiserror::Error)]
pub enum SendBodyError {
    /// The body failed (the stream was reset with `INTERNAL_ERROR`, or `CANCEL` if the body's
    /// own reader was cancelled).
    #[error("body failed: {0}")]
    Body(BoxError),
    /// The peer reset the stream or the session failed.
    #[error("stream closed by the peer: {0}")]
    Stream(h2::Error),
}

/// Writes `data` into the stream as the peer's window allows, in frames no larger than the
/// capacity h2 assigns. Ready when all of it is handed to h2 (h2 then buffers at most its send
/// buffer per stream). `stall`, when given, runs while data waits for the peer's window and
/// restarts when some of it goes.
pub fn poll_send(
    send: &mut SendStream<Bytes>,
    data: &mut Bytes,
    end_of_stream: bool,
    stall: Option<&StallClock>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), h2::Error>> {
    loop {
        if data.is_empty() {
            if end_of_stream {
                send.send_data(Bytes::new(), true)?;
            }
            return Poll::Ready(Ok(()));
        }
        // Reserve only when there is data: idle reservations pin session credit (hyper #4003).
        send.reserve_capacity(data.len());
        while send.capacity() == 0 {
            match send.poll_capacity(cx) {
                Poll::Pending => {
                    stall.inspect(|s| s.waiting());
                    return Poll::Pending;
                }
                Poll::Ready(Some(Ok(_))) => {}
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                Poll::Ready(None) => {
                    return Poll::Ready(Err(h2::Error::from(Reason::STREAM_CLOSED)))
                }
            }
        }
        let n = send.capacity().min(data.len());
        let chunk = data.split_to(n);
        let last = end_of_stream && data.is_empty();
        send.send_data(chunk, last)?;
        stall.inspect(|s| s.moving());
        if last {
            return Poll::Ready(Ok(()));
        }
    }
}

/// Streams `body` into `send`, then ends the stream (with trailers, if the body has them). A body
/// error resets the stream so the peer sees a failure, never a truncated success. `stall`, when
/// given, runs while the body's data waits for the peer's window.
pub async fn send_body<B>(
    mut body: B,
    mut send: SendStream<Bytes>,
    stall: Option<&StallClock>,
) -> Result<(), SendBodyError>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    loop {
        let frame = tokio::select! {
            biased;
            reset = poll_fn(|cx| send.poll_reset(cx)) => {
                return Err(SendBodyError::Stream(match reset {
                    Ok(reason) => h2::Error::from(reason),
                    Err(e) => e,
                }));
            }
            frame = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)) => frame,
        };
        match frame {
            None => {
                return send
                    .send_data(Bytes::new(), true)
                    .map_err(SendBodyError::Stream)
            }
            Some(Err(e)) => {
                send.send_reset_after_data(Reason::INTERNAL_ERROR);
                return Err(SendBodyError::Body(e.into()));
            }
            Some(Ok(frame)) => match frame.into_data() {
                Ok(mut data) => {
                    let last = body.is_end_stream();
                    poll_fn(|cx| poll_send(&mut send, &mut data, last, stall, cx))
                        .await
                        .map_err(SendBodyError::Stream)?;
                    if last {
                        return Ok(());
                    }
                }
                Err(frame) => {
                    let trailers = frame.into_trailers().unwrap_or_else(|_| HeaderMap::new());
                    return send.send_trailers(trailers).map_err(SendBodyError::Stream);
                }
            },
        }
    }
}
