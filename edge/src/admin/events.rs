//! `GET /api/v1/events`: server-sent events (text/event-stream) when something the dashboard
//! shows changes, from the tables this edge follows from the store's watch: `sessions`,
//! `edges`, `tunnels`, `routes` and `stats` (an edge published its counters). Each event's
//! data is the table's revision; the page then fetches what it shows. A comment every 15 s
//! keeps proxies from closing the stream; a token revoked (or a login ended) meanwhile ends it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use tokio::sync::watch;

use super::{AdminApi, Call};
use crate::body::{BoxError, EdgeBody};
use crate::state::store::Revision;

const KEEPALIVE: Duration = Duration::from_secs(15);

/// The watches an event stream follows, by event name.
struct Sources {
    watches: Vec<(&'static str, watch::Receiver<Revision>)>,
}

impl Sources {
    fn of(api: &AdminApi) -> Sources {
        let d = &api.directory;
        Sources {
            watches: vec![
                ("sessions", d.sessions.changed()),
                ("edges", d.edges.changed()),
                ("tunnels", d.tunnels.changed()),
                ("routes", api.routes.changed()),
                ("stats", api.stats.changed()),
            ],
        }
    }

    /// The next change: its event name and revision.
    async fn next(&mut self) -> Option<(&'static str, Revision)> {
        let changes = self.watches.iter_mut().map(|(name, rx)| {
            Box::pin(async move {
                rx.changed().await.ok()?;
                let revision = *rx.borrow_and_update();
                Some((*name, revision))
            })
        });
        futures_util::future::select_all(changes).await.0
    }
}

pub(super) fn stream(api: Arc<AdminApi>, call: Call) -> Response<EdgeBody> {
    let caller = call.caller;
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    let shutdown = api.lifecycle.shutdown.clone();
    tokio::spawn(async move {
        let mut sources = Sources::of(&api);
        let start = tokio::time::Instant::now() + KEEPALIVE;
        let mut keepalive = tokio::time::interval_at(start, KEEPALIVE);
        if tx
            .send(Bytes::from_static(
                b"retry: 2000\nevent: hello\ndata: {}\n\n",
            ))
            .await
            .is_err()
        {
            return;
        }
        loop {
            let frame = tokio::select! {
                change = sources.next() => match change {
                    Some((name, revision)) => format!("event: {name}\ndata: {{\"revision\":{revision}}}\n\n"),
                    None => return,
                },
                _ = keepalive.tick() => ": keepalive\n\n".to_string(),
                _ = tx.closed() => return,
                _ = shutdown.cancelled() => return,
            };
            // A token revoked (or expired) while the stream is open ends it.
            let valid = match &caller {
                Some(caller) => api.tokens.still_valid(caller).await,
                None => false,
            };
            if !valid {
                return;
            }
            if tx.send(Bytes::from(frame)).await.is_err() {
                return;
            }
        }
    });
    let frames = futures_util::stream::unfold(rx, |mut rx| async move {
        let bytes = rx.recv().await?;
        Some((Ok::<_, BoxError>(Frame::data(bytes)), rx))
    });
    let body = StreamBody::new(frames).boxed_unsync();
    super::reply::answer(StatusCode::OK, body, "text/event-stream")
}
