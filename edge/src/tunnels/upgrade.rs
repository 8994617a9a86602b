//! WebSocket upgrades the edge accepts (tunnel sessions, links, access sessions): the [`Upgrade`]
//! seam a listener hands such a request to, and the transport's refusal and 101
//! (`tether_transport::accept`) as the edge's responses.

use std::net::SocketAddr;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use tether_proto::handshake::{Refusal, EXPORTER_LEN};
use tether_transport::accept::{Negotiated, Pending, Refused};

use crate::body::{self, EdgeBody};

/// What an upgrade knows of the connection it arrived on.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub peer: SocketAddr,
    /// The TLS session's exported keying material (what a session or link proof is bound to);
    /// `None` on a plain HTTP connection.
    pub exporter: Option<[u8; EXPORTER_LEN]>,
}

/// A service on a reserved path: a WebSocket upgrade (it checks the request, answers 101 or a
/// refusal, and runs what follows the upgrade on a task of its own), or enrollment's POST.
#[async_trait::async_trait]
pub trait Upgrade: Send + Sync + 'static {
    async fn upgrade(&self, req: Request<Incoming>, caller: Caller) -> Response<EdgeBody>;
}

/// A refused upgrade as the edge answers it (`tether_transport::accept::Refused`): the status,
/// whether to retry, a one-line reason, and `Connection: close`.
pub fn refusal(refused: Refused) -> Response<EdgeBody> {
    refused.response().map(body::full)
}

/// A refused upgrade: the status, whether to retry, and a one-line reason.
pub fn refuse(status: StatusCode, refusal_kind: Refusal, reason: &str) -> Response<EdgeBody> {
    refusal(Refused::new(status, refusal_kind, reason))
}

/// The refusal for an address that has failed too many handshakes: 429, with when to retry.
pub fn too_many_failures(wait: std::time::Duration) -> Response<EdgeBody> {
    refusal(Refused::too_many_failures(wait))
}

/// Takes a negotiated upgrade: the 101 to answer with, and the WebSocket to come.
pub fn switching_protocols(
    negotiated: Negotiated,
    req: Request<Incoming>,
) -> (Response<EdgeBody>, Pending) {
    let (response, pending) = negotiated.accept(req);
    (response.map(|()| body::empty()), pending)
}
