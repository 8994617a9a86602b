//! WebSocket upgrades the edge accepts (tunnel sessions, links, access sessions): the [`Upgrade`]
//! seam a listener hands such a request to, the refusal and the 101 it answers with, and the
//! server side of the WebSocket once accepted.

use std::net::SocketAddr;

use http::{header, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tether_proto::handshake::{Refusal, EXPORTER_LEN, HDR_REFUSAL};
use tether_transport::wsserver::ServerFrames;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

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

/// A refused upgrade: the status, whether to retry, and a one-line reason. The connection is
/// closed after it: a refused caller gets no second try on the same connection.
pub fn refuse(status: StatusCode, refusal: Refusal, reason: &str) -> Response<EdgeBody> {
    let mut response = Response::new(body::full(format!("{reason}\n")));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        HDR_REFUSAL,
        header::HeaderValue::from_static(refusal.as_str()),
    );
    headers.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

/// The refusal for an address that has failed too many handshakes: 429, with when to retry.
pub fn too_many_failures(wait: std::time::Duration) -> Response<EdgeBody> {
    let secs = wait.as_secs().max(1);
    let mut response = refuse(
        StatusCode::TOO_MANY_REQUESTS,
        Refusal::Transient,
        &format!("too many failed attempts from this address; retry in {secs}s"),
    );
    if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// The 101 that accepts a WebSocket upgrade with `subprotocol` (RFC 6455 §4.2.2).
pub fn switching_protocols(
    key: &header::HeaderValue,
    subprotocol: &'static str,
) -> Response<EdgeBody> {
    let mut response = Response::new(body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("upgrade"),
    );
    headers.insert(
        header::UPGRADE,
        header::HeaderValue::from_static("websocket"),
    );
    headers.insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        header::HeaderValue::from_static(subprotocol),
    );
    if let Ok(accept) = derive_accept_key(key.as_bytes()).parse() {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

/// The server side of a WebSocket the edge has just accepted, as the byte stream HTTP/2 runs
/// over (`tether_transport::wsserver`).
pub fn server_websocket(
    upgraded: hyper::upgrade::Upgraded,
) -> ServerFrames<TokioIo<hyper::upgrade::Upgraded>> {
    ServerFrames::new(TokioIo::new(upgraded))
}
