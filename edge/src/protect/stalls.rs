//! Responses a public client stopped reading. Whatever a response has not passed on holds its
//! share of the tunnel session's window (up to a stream window, 4 MiB, of the session's 128), so a
//! few clients that stop reading could stall every stream of a tunnel. Each response body is
//! [`Watched`]: it notes when the server last took a frame and has not asked for the next. A
//! sweep each second resets
//! - every response whose client took nothing for `send-timeout`, and
//! - past `max-stalled-streams-per-client` responses of one tunnel that one client address has
//!   left unread for [`STALLED_AFTER`], the longest-stalled,
//!
//! by dropping the body: the tunnel stream is reset, and its data and window go back to the
//! session. The public stream then fails when the server next polls it.
//!
//! Written by hand: the body is owned by hyper, which stops polling exactly when the client stops
//! reading, so no wrapper that waits on its own poll (as `tower_http::timeout::TimeoutBody` does)
//! can notice.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::body::{BoxError, EdgeBody};
use crate::config::LiveConfig;
use crate::metrics::EdgeMetrics;

use super::source;

/// How long a response must have waited on its client to count as stalled for the per-client
/// cap: longer than a slow link takes to send one large frame.
pub const STALLED_AFTER: Duration = Duration::from_secs(10);

/// Whose response a body is: the tunnel and the client's address.
type Key = (uuid::Uuid, IpAddr);

static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Milliseconds since [`EPOCH`], never 0 (0 is "not waiting").
fn now_ms() -> u64 {
    (EPOCH.elapsed().as_millis() as u64).max(1)
}

struct Watch {
    key: Key,
    /// When the server took the last frame, while it has not asked for the next; 0 otherwise.
    waiting_since: AtomicU64,
    /// `None` once reset.
    body: Mutex<Option<EdgeBody>>,
}

/// The live responses, for the sweep.
#[derive(Default)]
pub struct Stalls {
    watched: Mutex<Vec<Weak<Watch>>>,
}

impl Stalls {
    /// `body`, watched from now on as a response of `tunnel` to `client`.
    pub fn watch(&self, body: EdgeBody, tunnel: uuid::Uuid, client: IpAddr) -> Watched {
        let watch = Arc::new(Watch {
            key: (tunnel, source(client)),
            waiting_since: AtomicU64::new(0),
            body: Mutex::new(Some(body)),
        });
        if let Ok(mut watched) = self.watched.lock() {
            watched.push(Arc::downgrade(&watch));
        }
        Watched(watch)
    }

    /// Resets what stalled past the limits; runs each second.
    pub fn sweep(&self, send_timeout: Duration, max_per_client: u32, metrics: &EdgeMetrics) {
        let live: Vec<Arc<Watch>> = match self.watched.lock() {
            Ok(mut watched) => {
                watched.retain(|w| w.strong_count() > 0);
                watched.iter().filter_map(Weak::upgrade).collect()
            }
            Err(_) => return,
        };
        let now = now_ms();
        let mut stalled: HashMap<Key, Vec<(u64, Arc<Watch>)>> = HashMap::new();
        for watch in live {
            let since = watch.waiting_since.load(Ordering::Acquire);
            if since == 0 {
                continue;
            }
            let waited = Duration::from_millis(now.saturating_sub(since));
            if waited >= send_timeout {
                if reset(&watch) {
                    metrics.limited("send_timeout");
                }
            } else if waited >= STALLED_AFTER {
                stalled.entry(watch.key).or_default().push((since, watch));
            }
        }
        for (key, mut watches) in stalled {
            let over = watches.len().saturating_sub(max_per_client as usize);
            if over == 0 {
                continue;
            }
            watches.sort_by_key(|(since, _)| *since);
            tracing::info!(tunnel = %key.0, client = %key.1, over, "resetting responses the client left unread");
            for (_, watch) in &watches[..over] {
                if reset(watch) {
                    metrics.limited("stalled_streams");
                }
            }
        }
    }
}

/// Sweeps `stalls` each second with the live `send-timeout` and cap, until `stop`.
pub async fn sweep_each_second(
    stalls: Arc<Stalls>,
    config: LiveConfig,
    metrics: Arc<EdgeMetrics>,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => return,
        }
        let limits = config.get().streams;
        stalls.sweep(limits.send_timeout, limits.max_stalled_per_client, &metrics);
    }
}

/// Drops the body (outside the lock); whether it was still there.
fn reset(watch: &Watch) -> bool {
    watch.waiting_since.store(0, Ordering::Release);
    let body = watch.body.lock().ok().and_then(|mut b| b.take());
    body.is_some()
}

/// A response body the sweep can reset.
pub struct Watched(Arc<Watch>);

impl Body for Watched {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let watch = &self.0;
        let Ok(mut body) = watch.body.lock() else {
            return Poll::Ready(Some(Err("response body lock poisoned".into())));
        };
        let Some(inner) = body.as_mut() else {
            return Poll::Ready(Some(Err(
                "the client took nothing for too long; the response was reset".into(),
            )));
        };
        let polled = Pin::new(&mut *inner).poll_frame(cx);
        let waiting = match &polled {
            // The server has the frame; until it asks again, it is waiting on the client.
            Poll::Ready(Some(Ok(_))) if !inner.is_end_stream() => now_ms(),
            _ => 0,
        };
        watch.waiting_since.store(waiting, Ordering::Release);
        polled
    }

    fn is_end_stream(&self) -> bool {
        match self.0.body.lock() {
            Ok(body) => body.as_ref().is_none_or(|b| b.is_end_stream()),
            Err(_) => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self.0.body.lock() {
            Ok(body) => body.as_ref().map(|b| b.size_hint()).unwrap_or_default(),
            Err(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn a_body_left_unread_is_reset_and_one_being_read_is_not() {
        let stalls = Stalls::default();
        let metrics = EdgeMetrics::default();
        let client: IpAddr = "127.0.0.2".parse().unwrap();
        let chunks = || {
            let frames = (0..3).map(|_| Ok::<_, BoxError>(Frame::data(Bytes::from("x"))));
            http_body_util::StreamBody::new(futures_util::stream::iter(frames)).boxed_unsync()
        };
        let mut read = stalls.watch(chunks(), uuid::Uuid::nil(), client);
        let mut unread = stalls.watch(chunks(), uuid::Uuid::nil(), client);
        assert!(unread.frame().await.unwrap().is_ok());
        assert!(read.frame().await.unwrap().is_ok());
        std::thread::sleep(Duration::from_millis(30));
        // `read` is asked again (its server still reads); `unread` is not.
        assert!(read.frame().await.unwrap().is_ok());
        stalls.sweep(Duration::from_millis(20), 8, &metrics);
        assert!(read.frame().await.unwrap().is_ok());
        assert!(
            read.frame().await.is_none(),
            "the read body runs to its end"
        );
        assert!(
            unread.frame().await.unwrap().is_err(),
            "the unread body was reset"
        );
    }
}
