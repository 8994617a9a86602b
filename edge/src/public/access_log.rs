//! One access-log line per public request (`target: access`), written when the response body is
//! done, as nginx does, so it carries the bytes sent and the whole duration. A client that went
//! away before the end shows as `complete=false`: an ordinary event, not an error.

use std::net::SocketAddr;
use std::time::Instant;

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body::{Body as _, Frame};

use crate::body::{self, BoxError, EdgeBody};

pub struct AccessLine {
    pub request_id: String,
    pub peer: SocketAddr,
    pub method: Method,
    pub path: String,
    pub status: StatusCode,
    pub tunnel: Option<uuid::Uuid>,
    pub started: Instant,
    /// Who a route's policy let through.
    pub identity: Option<String>,
    /// Why a policy or a limit refused the request.
    pub reason: Option<String>,
    bytes: u64,
    complete: bool,
}

impl AccessLine {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        request_id: String,
        peer: SocketAddr,
        method: Method,
        path: String,
        status: StatusCode,
        tunnel: Option<uuid::Uuid>,
        started: Instant,
    ) -> AccessLine {
        AccessLine {
            request_id,
            peer,
            method,
            path,
            status,
            tunnel,
            started,
            identity: None,
            reason: None,
            bytes: 0,
            complete: false,
        }
    }

    /// The response, whose body writes this line when it is dropped.
    pub fn attach(mut self, response: Response<EdgeBody>) -> Response<EdgeBody> {
        let (parts, body) = response.into_parts();
        if body.is_end_stream() {
            self.complete = true;
            return Response::from_parts(parts, body);
        }
        Response::from_parts(parts, body::boxed(Logged { body, line: self }))
    }
}

/// A response body that counts what it sends into its access line.
struct Logged {
    body: EdgeBody,
    line: AccessLine,
}

impl http_body::Body for Logged {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.line.bytes += data.len() as u64;
                }
                // hyper stops polling once the body says it has ended (Content-Length reached).
                if self.body.is_end_stream() {
                    self.line.complete = true;
                }
            }
            Poll::Ready(None) => self.line.complete = true,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

impl Drop for AccessLine {
    fn drop(&mut self) {
        let tunnel = self.tunnel.map(|t| t.to_string()).unwrap_or_default();
        let identity = self.identity.as_deref().unwrap_or("");
        let reason = self.reason.as_deref().unwrap_or("");
        tracing::info!(
            target: "access", request_id = %self.request_id, peer = %self.peer, method = %self.method,
            path = %self.path, status = self.status.as_u16(), tunnel = %tunnel, bytes = self.bytes,
            complete = self.complete, duration_ms = self.started.elapsed().as_millis() as u64,
            identity, reason,
        );
    }
}
