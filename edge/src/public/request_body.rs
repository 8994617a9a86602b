//! A public request's body on its way to the tunnel: counted in the metrics, cut at the route's
//! `max-request-body`, and failed when it sends nothing for `body-read-timeout` (a slow POST).
//! A small body with a declared length is read whole before the request takes a stream of the
//! tunnel, so a slow one holds no stream slot while it trickles in.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use http_body::Body as _;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use tower_http::timeout::{TimeoutBody, TimeoutError};

use crate::body::{self, EdgeBody};
use crate::error::EdgeError;
use crate::metrics::EdgeMetrics;
use crate::tunnels::stream::{small_body, Outgoing};

/// The body, and what made it fail (a failed body shows on the tunnel only as a reset stream).
pub struct RequestBody {
    body: EdgeBody,
    small: bool,
    /// The small body, once read whole.
    read: Option<bytes::Bytes>,
    tripped: Arc<Tripped>,
}

#[derive(Default)]
struct Tripped {
    too_large: AtomicBool,
    timed_out: AtomicBool,
    /// The client's own framing failed: a malformed chunk.
    malformed: AtomicBool,
    /// The client went away mid-body: its connection ended or was reset, or it cancelled.
    closed: AtomicBool,
}

impl RequestBody {
    pub fn new(
        incoming: Incoming,
        headers: &HeaderMap,
        max_body: Option<u64>,
        read_timeout: Duration,
        metrics: Arc<EdgeMetrics>,
    ) -> RequestBody {
        let tripped = Arc::new(Tripped::default());
        // TimeoutBody does not pass `is_end_stream` on, and a request without a body must say
        // so: its stream then ends with its head, and it can be sent again if refused.
        let empty = incoming.is_end_stream();
        let framing = tripped.clone();
        let counted = incoming
            .map_frame(move |frame| {
                if let Some(data) = frame.data_ref() {
                    metrics.bytes_in.inc_by(data.len() as u64);
                }
                frame
            })
            .map_err(move |e| {
                let flag = match malformed(&e) {
                    true => &framing.malformed,
                    false => &framing.closed,
                };
                flag.store(true, Ordering::Relaxed);
                e
            });
        let timed = match empty {
            true => body::boxed(counted),
            false => {
                let tripped = tripped.clone();
                body::boxed(TimeoutBody::new(read_timeout, counted).map_err(move |e| {
                    if e.is::<TimeoutError>() {
                        tripped.timed_out.store(true, Ordering::Relaxed);
                    }
                    e
                }))
            }
        };
        let body = match max_body {
            Some(max) => {
                let tripped = tripped.clone();
                body::boxed(Limited::new(timed, max as usize).map_err(move |e| {
                    if e.is::<LengthLimitError>() {
                        tripped.too_large.store(true, Ordering::Relaxed);
                    }
                    e
                }))
            }
            None => body::boxed(timed),
        };
        RequestBody {
            body,
            small: small_body(headers),
            read: None,
            tripped,
        }
    }

    /// Reads a small body whole (the caller does this before it takes a stream slot).
    pub async fn read_small(&mut self) -> Result<(), EdgeError> {
        if !self.small {
            return Ok(());
        }
        let body = std::mem::replace(&mut self.body, body::empty());
        match body.collect().await {
            Ok(collected) => {
                self.read = Some(collected.to_bytes());
                Ok(())
            }
            Err(_) => Err(self.failure().unwrap_or(EdgeError::ClientClosed)),
        }
    }

    /// What follows the head: a small body (read by now) can be sent again.
    pub fn outgoing(self) -> (Outgoing, Failed) {
        let failed = Failed(self.tripped);
        match self.read {
            Some(bytes) => (Outgoing::Buffered(bytes), failed),
            None => (Outgoing::Body(self.body), failed),
        }
    }

    fn failure(&self) -> Option<EdgeError> {
        Failed(self.tripped.clone()).error()
    }
}

/// Whether the body failed by a limit, after it went.
pub struct Failed(Arc<Tripped>);

impl Failed {
    /// What failed the body, if the client did (a limit, or its own framing): it, not the
    /// tunnel, is to blame. The stream carrying a failed body is reset, so the tunnel's error
    /// comes after; without this it would count as `tunnel_failed` and answer 502.
    pub fn error(&self) -> Option<EdgeError> {
        if self.0.too_large.load(Ordering::Relaxed) {
            Some(EdgeError::BodyTooLarge)
        } else if self.0.timed_out.load(Ordering::Relaxed) {
            Some(EdgeError::BodyTimeout)
        } else if self.0.malformed.load(Ordering::Relaxed) {
            Some(EdgeError::BadRequest(MALFORMED))
        } else if self.0.closed.load(Ordering::Relaxed) {
            Some(EdgeError::ClientClosed)
        } else {
            None
        }
    }
}

const MALFORMED: &str = "The request body was malformed.";

/// Whether what the client sent was malformed, on positive evidence only: hyper's HTTP/1.1
/// body decoder fails with `InvalidInput`/`InvalidData` (a bad chunk size or chunk line), h2
/// with its own PROTOCOL_ERROR (a body longer or shorter than its content-length). Anything
/// else (the connection ended or was reset, an HTTP/2 client cancelled the stream) is a client
/// that went away.
fn malformed(e: &hyper::Error) -> bool {
    let Some(source) = std::error::Error::source(e) else {
        return false;
    };
    if let Some(io) = source.downcast_ref::<std::io::Error>() {
        return matches!(
            io.kind(),
            std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData
        );
    }
    source
        .downcast_ref::<h2::Error>()
        .is_some_and(|h2| h2.reason() == Some(h2::Reason::PROTOCOL_ERROR) && !h2.is_remote())
}

/// An HTTP/1.1 request's `Transfer-Encoding`: only `chunked`, once, is understood (RFC 9112
/// §6.1, §7). hyper frames the body by the last coding, so `identity, chunked` or
/// `gzip, chunked` would otherwise pass as plain chunked, and the origin would read a body
/// the client did not mean (HTTP/2 has no `Transfer-Encoding`: hyper refuses it there).
pub fn check_transfer_coding(headers: &HeaderMap) -> Result<(), EdgeError> {
    let mut codings = headers
        .get_all(http::header::TRANSFER_ENCODING)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .map(|c| c.trim_ascii())
        .filter(|c| !c.is_empty());
    match (codings.next(), codings.next()) {
        (None, _) => Ok(()),
        (Some(c), None) if c.eq_ignore_ascii_case(b"chunked") => Ok(()),
        _ => Err(EdgeError::BadRequest(
            "Transfer-Encoding may only be chunked, once.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(http::header::TRANSFER_ENCODING, v.parse().unwrap());
        }
        headers
    }

    #[test]
    fn only_chunked_once_is_a_transfer_coding_we_understand() {
        for ok in [&[][..], &["chunked"], &["Chunked"], &[" chunked "]] {
            assert!(check_transfer_coding(&with(ok)).is_ok(), "{ok:?}");
        }
        for bad in [
            &["identity, chunked"][..],
            &["gzip, chunked"],
            &["chunked, chunked"],
            &["identity", "chunked"],
            &["chunked", "chunked"],
            &["identity"],
            &["chunked;q=1"],
        ] {
            assert!(check_transfer_coding(&with(bad)).is_err(), "{bad:?}");
        }
    }
}
