//! How a public request is counted and logged when it ends: answered, answered by the edge with
//! an error page, or abandoned. An HTTP/2 client that resets its stream before the answer makes
//! hyper drop the request's handler; such a request is counted and logged as `client_closed`
//! (499, as nginx logs a client that closed its request), rather than not at all.
//!
//! Rapid reset (CVE-2023-44487): h2 sends GOAWAY `ENHANCE_YOUR_CALM` once 20 streams were reset
//! before the edge took them, but a client that paces its resets lets the edge take each stream
//! (and open it through the tunnel) first. So the cancellations are counted per connection too:
//! past [`MAX_CANCELS`] within [`CANCEL_WINDOW`], the connection is reset.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::Response;

use crate::body::EdgeBody;
use crate::error::EdgeError;
use crate::metrics::{CauseLabels, EdgeMetrics};
use crate::policy::Identity;

use super::access_log::AccessLine;
use super::proxy::ConnInfo;

/// Most requests a client may cancel before their answer within [`CANCEL_WINDOW`] on one
/// connection; a browser leaving a page cancels what it had in flight, at most
/// `max-streams-per-connection` (128) at once, so this is only met by a flood.
pub const MAX_CANCELS: u32 = 200;
pub const CANCEL_WINDOW: Duration = Duration::from_secs(10);

/// A connection's cancelled requests in the current window.
#[derive(Default, Clone)]
pub struct Cancels(Arc<Mutex<Option<(Instant, u32)>>>);

impl Cancels {
    /// Counts one; whether the connection has just gone past [`MAX_CANCELS`] (once: the
    /// requests the reset itself ends are counted, but do not act again).
    fn one_more(&self, now: Instant) -> bool {
        let Ok(mut window) = self.0.lock() else {
            return false;
        };
        let (start, count) = window.get_or_insert((now, 0));
        if now.duration_since(*start) >= CANCEL_WINDOW {
            (*start, *count) = (now, 0);
        }
        *count += 1;
        *count == MAX_CANCELS + 1
    }
}

/// What routing learnt about a request, for its log line and the dashboard.
#[derive(Default)]
pub struct Routed {
    pub tunnel: Option<uuid::Uuid>,
    pub identity: Option<Identity>,
}

/// A request in flight: dropped before [`Outcome::answer`], it was abandoned.
pub struct Outcome<'a> {
    metrics: &'a EdgeMetrics,
    conn: &'a ConnInfo,
    line: Option<AccessLine>,
    pub routed: Routed,
}

impl<'a> Outcome<'a> {
    pub fn start(metrics: &'a EdgeMetrics, conn: &'a ConnInfo, line: AccessLine) -> Outcome<'a> {
        Outcome {
            metrics,
            conn,
            line: Some(line),
            routed: Routed::default(),
        }
    }

    /// The edge's own answer for `e`, counted under its cause.
    pub fn error_page(&mut self, e: &EdgeError) -> Response<EdgeBody> {
        self.metrics
            .errors
            .get_or_create(&CauseLabels { cause: e.cause() })
            .inc();
        let request_id = self.line.as_ref().map_or("-", |l| l.request_id.as_str());
        tracing::debug!(request_id, error = ?e, "edge answered with an error page");
        let response = e.response(request_id);
        if let Some(tunnel) = self.routed.tunnel {
            self.metrics
                .recent_error(tunnel, response.status(), e.cause());
        }
        if let Some(line) = &mut self.line {
            line.reason = e.reason().map(str::to_string);
        }
        response
    }

    /// Counts the answer; its access line is written when its body is done.
    pub fn answer(mut self, response: Response<EdgeBody>) -> Response<EdgeBody> {
        let Some(mut line) = self.line.take() else {
            return response;
        };
        self.metrics
            .answered(response.status(), line.started.elapsed());
        self.fill(&mut line);
        line.status = response.status();
        line.attach(response)
    }

    fn fill(&mut self, line: &mut AccessLine) {
        line.tunnel = self.routed.tunnel;
        line.identity = self.routed.identity.take().map(|i| i.name);
    }
}

impl Drop for Outcome<'_> {
    fn drop(&mut self) {
        let Some(mut line) = self.line.take() else {
            return;
        };
        let gone = EdgeError::ClientClosed;
        self.metrics
            .errors
            .get_or_create(&CauseLabels {
                cause: gone.cause(),
            })
            .inc();
        self.metrics.answered(gone.status(), line.started.elapsed());
        self.fill(&mut line);
        line.status = gone.status();
        line.reason = Some("the client cancelled the request".to_string());
        if self.conn.cancels.one_more(Instant::now()) {
            tracing::warn!(peer = %self.conn.peer, "connection reset: over {MAX_CANCELS} requests cancelled within {CANCEL_WINDOW:?} (rapid reset)");
            self.metrics.limited("rapid_reset");
            self.conn.abort.abort_on_close();
        }
        // Dropped here: the access line is written.
    }
}
