//! Two CONNECT streams relayed into each other: an access client's stream at the edge and the
//! tunnel's stream, or a link's stream between two edges. Each direction ends on its own
//! (`END_STREAM`), and a reset on either side resets the other after the bytes that came before
//! it, as [`crate::splice`] does for a socket.

use std::task::{ready, Context, Poll};

use bytes::Bytes;
use h2::{Reason, RecvStream, SendStream};

use crate::h2body::poll_send;
use crate::recv_window::RecvWindow;
use crate::splice::{reset_error, Pipe, DRAIN_LIMIT};
use crate::stall::StallClock;

/// Relays two CONNECT streams into each other (an access client's stream at the edge and the
/// tunnel's stream), passing each chunk through without copying. Returns the bytes moved a → b
/// and b → a; a reset on either side resets the other with `CONNECT_ERROR`, after the bytes that
/// came before it (for at most [`DRAIN_LIMIT`]). `stall`, when given, is marked while bytes from
/// `b` wait on `a`'s reader.
pub async fn relay(
    mut a: Pipe,
    mut b: Pipe,
    stall: Option<&StallClock>,
) -> (u64, u64, Result<(), h2::Error>) {
    let mut ab = Leg::default();
    let mut ba = Leg::default();
    let result = std::future::poll_fn(|cx| {
        let mut pending = false;
        // A leg whose source has ended polls nothing of that side: watch it for a reset.
        if ab.done {
            if let Poll::Ready(reset) = a.send.poll_reset(cx) {
                return Poll::Ready(Err(reset_error(reset)));
            }
        }
        if ba.done {
            if let Poll::Ready(reset) = b.send.poll_reset(cx) {
                return Poll::Ready(Err(reset_error(reset)));
            }
        }
        if !ab.done {
            match ab.poll(&mut a.recv, &mut b.send, None, cx) {
                Poll::Ready(Ok(())) => ab.done = true,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => pending = true,
            }
        }
        if !ba.done {
            match ba.poll(&mut b.recv, &mut a.send, stall, cx) {
                Poll::Ready(Ok(())) => ba.done = true,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => pending = true,
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(Ok(()))
        }
    })
    .await;
    if result.is_err() {
        // Each leg goes on to its own end: the one from the reset side stops at the reset, after
        // forwarding what came before it; the one into it ends as soon as its destination shows
        // the reset (it may have nothing to send that would fail).
        let drained = std::future::poll_fn(|cx| {
            for (leg, from, to) in [
                (&mut ab, &mut a.recv, &mut b.send),
                (&mut ba, &mut b.recv, &mut a.send),
            ] {
                if !leg.done
                    && (to.poll_reset(cx).is_ready() || leg.poll(from, to, None, cx).is_ready())
                {
                    leg.done = true;
                }
            }
            if ab.done && ba.done {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        });
        let _ = tokio::time::timeout(DRAIN_LIMIT, drained).await;
        for (leg, to) in [(&mut ab, &mut b.send), (&mut ba, &mut a.send)] {
            let pending = std::mem::take(&mut leg.pending);
            if !pending.is_empty() {
                let _ = to.send_data(pending, false);
            }
            to.send_reset_after_data(Reason::CONNECT_ERROR);
        }
    }
    (ab.bytes, ba.bytes, result)
}

#[derive(Default)]
struct Leg {
    pending: Bytes,
    window: RecvWindow,
    done: bool,
    bytes: u64,
}

impl Leg {
    fn poll(
        &mut self,
        from: &mut RecvStream,
        to: &mut SendStream<Bytes>,
        stall: Option<&StallClock>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), h2::Error>> {
        loop {
            if !self.pending.is_empty() {
                let before = self.pending.len();
                let sent = poll_send(to, &mut self.pending, false, stall, cx);
                // Credit back to the sender for what the other stream took, as it takes it.
                self.window.taken(from, before - self.pending.len());
                ready!(sent)?;
            }
            let polled = from.poll_data(cx);
            if polled.is_pending() {
                self.window.starved(from);
            }
            match ready!(polled) {
                Some(Ok(data)) => {
                    self.bytes += data.len() as u64;
                    self.pending = data;
                }
                Some(Err(e)) => return Poll::Ready(Err(e)),
                None => {
                    to.send_data(Bytes::new(), true)?;
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }
}
