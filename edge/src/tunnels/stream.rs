//! Opening one stream on a tunnel session: the request head, the body streamed behind it by its
//! own task, and the response head, bounded by `response-header-timeout` (which never limits the
//! body that follows). Origin failures the connector reports become typed errors here.

use bytes::Bytes;
use h2::{RecvStream, SendStream};
use std::net::SocketAddr;

use http::{Method, Request, Response};
use http_body::Body as _;
use tether_proto::headers::{
    OriginFailure, CLIENT_ADDR, LINK_ERROR, LINK_TUNNEL, ORIGIN_ERROR, REQUEST_ID, SERVER_ADDR,
};
use tether_transport::h2body::send_body;
use tether_transport::splice::Pipe;

use crate::body::{self, EdgeBody};
use crate::error::EdgeError;

use super::opener::{Reach, StreamOpener};
use super::sessions::StreamGuard;

/// What follows the request head.
pub enum Outgoing {
    /// A request body, streamed to the end.
    Body(EdgeBody),
    /// A small request body read whole beforehand: it can be sent again.
    Buffered(Bytes),
    /// A byte pipe (WebSocket, TCP): the sending half is handed back with the response.
    Pipe,
}

/// The response head and, for [`Outgoing::Pipe`], the stream's sending half.
pub struct Answer {
    pub response: Response<RecvStream>,
    pub send: Option<SendStream<Bytes>>,
}

/// The head of a TCP stream: a plain CONNECT (RFC 9113 §8.5) to `HOSTNAME:PORT`, whose
/// hostname picks the connector's ingress rule, with the public client's and the edge's
/// addresses for PROXY protocol.
pub fn connect_head(
    hostname: &str,
    port: u16,
    request_id: &str,
    client: SocketAddr,
    server: SocketAddr,
) -> Result<Request<()>, EdgeError> {
    Request::builder()
        .method(Method::CONNECT)
        .uri(format!("{hostname}:{port}"))
        .header(REQUEST_ID, request_id)
        .header(CLIENT_ADDR, client.to_string())
        .header(SERVER_ADDR, server.to_string())
        .body(())
        .map_err(|_| EdgeError::BadRequest("The hostname is not valid."))
}

/// A random request id: 16 hex digits, unique enough to find one request in the logs.
pub fn new_request_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Request bodies up to this size, with a declared length, are read whole before they are sent.
const BUFFERED_BODY: u64 = 64 << 10;

/// Whether the request declares a body of at most `BUFFERED_BODY` bytes: such a body is read
/// whole first ([`Outgoing::Buffered`]), as nginx buffers request bodies, so that a stream a
/// draining connector refuses can go to another session body and all.
pub fn small_body(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|n| n > 0 && n <= BUFFERED_BODY)
}

/// Sessions tried for one stream at most: enough to get past every draining session of two
/// replicas with the default `ha-connections`.
const MAX_TRIES: usize = 8;

impl StreamOpener {
    /// Opens a stream for `head` on `guard`'s session and waits for the response head. When the
    /// session could not take the stream — the connector is draining (GOAWAY, REFUSED_STREAM) or the
    /// session was already dead — the stream is opened on another live session; when the session
    /// died after the stream was sent and before the answer, that happens once, and only if
    /// `replayable` says the request may be sent twice. Either way the public client never sees
    /// that failure. A request body already handed to a session rules a second attempt out (one
    /// refused before it was sent goes on whole). The guard returned is the one for the session
    /// that answered. When a stream no session took finds no other session to go to, the error is
    /// [`EdgeError::TunnelOffline`] (or busy): only then, so a link peer can tell the sending edge
    /// that the stream was never processed (`links/accept.rs`).
    pub async fn open(
        &self,
        head: Request<()>,
        outgoing: Outgoing,
        guard: StreamGuard,
        replayable: bool,
        reach: Reach,
    ) -> Result<(Answer, StreamGuard), EdgeError> {
        let (mut guard, mut outgoing, mut lost_once, mut tries) = (guard, outgoing, false, 0);
        loop {
            tries += 1;
            let again = outgoing.again();
            let failure = match self.attempt(head.clone(), outgoing, &guard).await {
                Ok(answer) => return Ok((answer, guard)),
                Err(failure) => failure,
            };
            let retry = match failure.fate {
                Fate::Unprocessed => tries < MAX_TRIES,
                Fate::Lost => replayable && !std::mem::replace(&mut lost_once, true),
                Fate::Final => false,
            };
            let (Some(next), true) = (failure.unsent.or(again), retry) else {
                return Err(failure.error);
            };
            let session = &guard.session;
            let tunnel = session.record.tunnel_id;
            let picked = self.pick(tunnel, Some(session), reach).await;
            // "No session can take it" only while it is certain that no origin has seen the
            // stream: a link peer turns that into "refused unprocessed", and the sending edge may
            // then send it anywhere.
            let other = picked.map_err(|none| match failure.fate {
                Fate::Unprocessed if !lost_once => none,
                _ => failure.error,
            })?;
            tracing::info!(
                failed = %session.record.session_id, retry = %other.session.record.session_id,
                fate = ?failure.fate, "stream sent again on another session"
            );
            guard = guard.hand_over(other);
            outgoing = next;
        }
    }
}

/// What became of a stream that got no response head.
#[derive(Debug, Clone, Copy)]
enum Fate {
    /// The connector never saw it: refused by GOAWAY or REFUSED_STREAM, or the session was gone
    /// before it was sent. Safe to send again whatever the method.
    Unprocessed,
    /// The session died after it was sent: the origin may have seen it.
    Lost,
    /// An answer of sorts (reset by the connector, timeout): not to be sent again.
    Final,
}

struct Failure {
    error: EdgeError,
    fate: Fate,
    /// The outgoing part, when the failure came before any of it was taken.
    unsent: Option<Outgoing>,
}

impl Failure {
    fn with_unsent(mut self, outgoing: Outgoing) -> Failure {
        self.unsent = Some(outgoing);
        self
    }
}

impl Outgoing {
    /// The same outgoing part for a second attempt, when sending it twice loses nothing.
    fn again(&self) -> Option<Outgoing> {
        match self {
            Outgoing::Body(body) if body.is_end_stream() => Some(Outgoing::Body(body::empty())),
            Outgoing::Body(_) => None,
            Outgoing::Buffered(bytes) => Some(Outgoing::Buffered(bytes.clone())),
            Outgoing::Pipe => Some(Outgoing::Pipe),
        }
    }
}

/// Streams a request body behind its head, on a task of its own.
fn stream_body(body: EdgeBody, send: SendStream<Bytes>) -> Option<SendStream<Bytes>> {
    tokio::spawn(async move {
        if let Err(e) = send_body(body, send, None).await {
            tracing::debug!(error = %e, "request body did not reach the tunnel");
        }
    });
    None
}

impl StreamOpener {
    /// One try on one session.
    async fn attempt(
        &self,
        mut head: Request<()>,
        outgoing: Outgoing,
        guard: &StreamGuard,
    ) -> Result<Answer, Failure> {
        let session = &guard.session;
        if session.over_link {
            let tunnel = http::HeaderValue::from_str(&session.record.tunnel_id.to_string());
            if let Ok(tunnel) = tunnel {
                head.headers_mut().insert(LINK_TUNNEL, tunnel);
            }
        }
        let classify = |e: h2::Error, sent: bool| classify(session, e, sent);
        let deadline = tokio::time::Instant::now() + self.config.get().response_header_timeout;
        let timed_out = || Failure {
            error: EdgeError::OriginTimeout,
            fate: Fate::Final,
            unsent: None,
        };
        // Until `send_request` has taken the head, nothing has left: a failure hands the outgoing
        // part back untouched, so even a request with a body can go to another session.
        let ready = tokio::time::timeout_at(deadline, guard.sender().ready()).await;
        let mut sender = match ready {
            Ok(Ok(sender)) => sender,
            Ok(Err(e)) => return Err(classify(e, false).with_unsent(outgoing)),
            Err(_) => return Err(timed_out()),
        };
        let end_of_stream = match &outgoing {
            Outgoing::Body(body) => body.is_end_stream(),
            Outgoing::Buffered(bytes) => bytes.is_empty(),
            Outgoing::Pipe => false,
        };
        let (response, send) = match sender.send_request(head, end_of_stream) {
            Ok(sent) => sent,
            Err(e) => return Err(classify(e, false).with_unsent(outgoing)),
        };
        let send = match outgoing {
            Outgoing::Body(body) if !end_of_stream => stream_body(body, send),
            Outgoing::Buffered(bytes) if !end_of_stream => stream_body(body::full(bytes), send),
            Outgoing::Body(_) | Outgoing::Buffered(_) => None,
            Outgoing::Pipe => Some(send),
        };
        let response = match tokio::time::timeout_at(deadline, response).await {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => return Err(classify(e, true)),
            Err(_) => return Err(timed_out()),
        };
        let origin_failure = response
            .headers()
            .get(ORIGIN_ERROR)
            .and_then(|v| OriginFailure::parse(v.to_str().ok()?));
        // Over a link, the other edge names what it could not do (busy, session failed).
        let link_failure = session
            .over_link
            .then(|| response.headers().get(LINK_ERROR))
            .flatten()
            .and_then(|v| EdgeError::from_cause(v.to_str().ok()?));
        let error = match (origin_failure, link_failure) {
            (Some(OriginFailure::Unreachable), _) => EdgeError::OriginUnreachable,
            (Some(OriginFailure::Timeout), _) => EdgeError::OriginTimeout,
            (None, Some(error)) => error,
            (None, None) => return Ok(Answer { response, send }),
        };
        // The other edge's session died under the stream (it shut down, say): lost there as it
        // would be here, so a replayable request may go elsewhere once.
        let fate = match error {
            EdgeError::TunnelFailed => Fate::Lost,
            _ => Fate::Final,
        };
        Err(Failure {
            error,
            fate,
            unsent: None,
        })
    }
}

/// What a stream's h2 error means for the request: whose failure, and whether it may go to
/// another session (a refused or never-sent stream may; a lost one only if replayable).
fn classify(session: &super::sessions::Session, e: h2::Error, sent: bool) -> Failure {
    if e.is_reset() && !e.is_remote() && !e.is_library() {
        // This edge reset the stream itself: the request's body failed at the client
        // (gone, too large, too slow, malformed), which the caller names. Not the
        // session's failure. (A reset h2 made because the connector broke the protocol is.)
        tracing::debug!(session = %session.record.session_id, error = %e, "stream reset by this edge: the request body failed");
        return Failure {
            error: EdgeError::ClientClosed,
            fate: Fate::Final,
            unsent: None,
        };
    }
    let fate = if e.is_go_away() && e.is_remote() || e.reason() == Some(h2::Reason::REFUSED_STREAM)
    {
        session.mark_draining();
        Fate::Unprocessed
    } else if e.is_io() || e.is_go_away() {
        // The session is dead: close it now rather than when its task notices.
        session.closed.cancel();
        if sent {
            Fate::Lost
        } else {
            Fate::Unprocessed
        }
    } else {
        Fate::Final
    };
    tracing::warn!(session = %session.record.session_id, error = %e, ?fate, "stream failed on the tunnel session");
    Failure {
        error: EdgeError::TunnelFailed,
        fate,
        unsent: None,
    }
}

/// Why a TCP stream did not open.
#[derive(Debug)]
pub enum PipeError {
    /// The edge could not carry it (offline, busy, session failed, origin failure reported).
    Edge(EdgeError),
    /// The connector answered this status instead of 200 (e.g. the rule is not a TCP service).
    Refused(http::StatusCode),
}

impl From<EdgeError> for PipeError {
    fn from(e: EdgeError) -> Self {
        PipeError::Edge(e)
    }
}

impl StreamOpener {
    /// Opens a TCP stream (`head` from [`connect_head`]) on a live session of `tunnel`; the guard
    /// counts it on the session until dropped.
    pub async fn open_pipe(
        &self,
        tunnel: uuid::Uuid,
        head: Request<()>,
    ) -> Result<(Pipe, StreamGuard), PipeError> {
        let guard = self
            .pick(tunnel, None, Reach::Anywhere)
            .await?
            .kind(self.metrics.stream("tcp"));
        // Opening a TCP connection to the origin twice sends it nothing twice.
        let (Answer { response, send }, guard) = self
            .open(head, Outgoing::Pipe, guard, true, Reach::Anywhere)
            .await?;
        match send {
            Some(send) if response.status() == http::StatusCode::OK => Ok((
                Pipe {
                    send,
                    recv: response.into_body(),
                },
                guard,
            )),
            _ => Err(PipeError::Refused(response.status())),
        }
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
