//! Public WebSockets through the tunnel.
//!
//! HTTP/2 forbids Upgrade, Connection and 101 (RFC 9113 §8.2.2), so inside the tunnel a WebSocket
//! is an extended CONNECT stream (RFC 8441) with `:protocol websocket` and the handshake headers
//! the origin needs. The connector answers 200 when the origin answered 101; the edge then answers
//! the public client 101 (HTTP/1.1) or 200 (HTTP/2, RFC 8441) with the origin's headers, and pipes
//! bytes without parsing frames.

use std::sync::Arc;
use std::time::Duration;

use http::uri::{Authority, Scheme};
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::ext::Protocol;
use hyper_util::rt::TokioIo;
use tether_proto::headers::has_token;
use tether_transport::sockets::AbortSwitch;
use tether_transport::splice::{splice, Ended, Pipe, Watch};

use crate::body::{self, EdgeBody};
use crate::error::EdgeError;
use crate::metrics::EdgeMetrics;
use crate::protect::stalls::PipeWatch;
use crate::tunnels::sessions::StreamGuard;
use crate::tunnels::stream::{Answer, Outgoing};
use crate::tunnels::Reach;

use super::admit::Admitted;
use super::proxy::{tunnel_uri, ConnInfo, Proxy};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// HTTP/1.1 `Upgrade: websocket`.
    Http1,
    /// HTTP/2 extended CONNECT (RFC 8441).
    Http2,
}

pub fn kind<B>(req: &Request<B>) -> Option<Kind> {
    if req.method() == Method::CONNECT {
        let protocol = req.extensions().get::<Protocol>()?;
        return protocol
            .as_str()
            .eq_ignore_ascii_case("websocket")
            .then_some(Kind::Http2);
    }
    let h = req.headers();
    (req.method() == Method::GET
        && has_token(h, header::CONNECTION, "upgrade")
        && has_token(h, header::UPGRADE, "websocket"))
    .then_some(Kind::Http1)
}

pub async fn proxy(
    proxy: &Proxy,
    mut req: Request<Incoming>,
    kind: Kind,
    guard: StreamGuard,
    conn: &Arc<ConnInfo>,
    (request_id, authority, admitted): (&str, Authority, &Admitted),
) -> Result<Response<EdgeBody>, EdgeError> {
    let public_upgrade = hyper::upgrade::on(&mut req);
    let inner = tunnel_request(proxy, &req, kind, conn, (request_id, &authority, admitted))?;
    // A WebSocket handshake is a GET: sending it twice is safe.
    let (Answer { mut response, send }, guard) = proxy
        .opener
        .open(inner, Outgoing::Pipe, guard, true, Reach::Anywhere)
        .await?;
    let Some(mut send) = send else {
        return Err(EdgeError::TunnelFailed);
    };
    if response.status() != StatusCode::OK {
        // Nothing more to send on a refused WebSocket.
        let _ = send.send_data(bytes::Bytes::new(), true);
        // The origin refused the upgrade: pass its answer on as an ordinary response.
        let real = response
            .headers()
            .get(tether_proto::headers::ORIGIN_STATUS)
            .and_then(|v| StatusCode::from_bytes(v.as_bytes()).ok());
        // An HTTP/2 client would read a 2xx as "WebSocket open" (RFC 8441 §5), so only an
        // HTTP/1.1 client gets the origin's success status back.
        if let (Some(status), Kind::Http1) = (real, kind) {
            *response.status_mut() = status;
        }
        return Ok(proxy.public_response(response, guard, request_id, conn, kind == Kind::Http1));
    }
    let public = switched(&response, kind, request_id);
    let tunnel = guard.session.record.tunnel_id;
    let carried = Carried {
        request_id: request_id.to_string(),
        kind,
        metrics: proxy.metrics.clone(),
        idle: proxy.config.get().streams.stream_idle_timeout,
        watch: proxy.guards.stalls.watch_pipe(tunnel, conn.peer.ip()),
        switch: conn.abort.clone(),
        guard,
    };
    let pipe = Pipe {
        send,
        recv: response.into_body(),
    };
    proxy
        .lifecycle
        .tracker
        .spawn(carried.splice(public_upgrade, pipe));
    Ok(public)
}

/// An open WebSocket, spliced between the client's upgraded connection and the tunnel stream.
struct Carried {
    request_id: String,
    kind: Kind,
    metrics: Arc<EdgeMetrics>,
    idle: Option<Duration>,
    watch: PipeWatch,
    switch: AbortSwitch,
    /// The stream counted on its session while the WebSocket lives.
    guard: StreamGuard,
}

impl Carried {
    async fn splice(self, public_upgrade: hyper::upgrade::OnUpgrade, pipe: Pipe) {
        let Carried {
            request_id,
            kind,
            metrics,
            idle,
            watch,
            switch,
            guard,
        } = self;
        let public = match public_upgrade.await {
            Ok(public) => public,
            Err(e) => {
                tracing::debug!(request_id, error = %e, "websocket upgrade did not complete");
                return;
            }
        };
        let mut public = TokioIo::new(public);
        let spliced = tokio::select! {
            spliced = splice(&mut public, pipe, idle, Some(Watch::Socket(watch.clock()))) => Some(spliced),
            _ = watch.reset() => None,
        };
        // Over HTTP/1.1 the connection is the WebSocket's alone: a reset one is aborted. Over
        // HTTP/2 it is one stream of a shared connection, reset by dropping it.
        let abort = || {
            if kind == Kind::Http1 {
                switch.abort_on_close();
            }
        };
        let Some(spliced) = spliced else {
            abort();
            return tracing::debug!(
                request_id,
                "websocket reset: the client took nothing for too long"
            );
        };
        match spliced.ended {
            // A reset from the origin's side: after the bytes that came before it.
            Ended::PeerAborted(_) if kind == Kind::Http1 => switch.abort_after_sent(),
            Ended::Idle => abort(),
            _ => {}
        }
        metrics.bytes_in.inc_by(spliced.up);
        metrics.bytes_out.inc_by(spliced.down);
        tracing::debug!(request_id, up = spliced.up, down = spliced.down, ended = ?spliced.ended, "websocket closed");
        drop(guard);
    }
}

/// The CONNECT stream that asks the connector for the WebSocket: the client's headers,
/// scrubbed and with forwarding headers, and a key of the edge's own for an RFC 8441 client
/// (which sends none; the HTTP/1.1 origin needs one, and the edge keeps its Accept to itself).
fn tunnel_request(
    proxy: &Proxy,
    req: &Request<Incoming>,
    kind: Kind,
    conn: &ConnInfo,
    (request_id, authority, admitted): (&str, &Authority, &Admitted),
) -> Result<Request<()>, EdgeError> {
    let scheme = if conn.tls.is_some() {
        Scheme::HTTPS
    } else {
        Scheme::HTTP
    };
    let mut headers = req.headers().clone();
    proxy.prepare_headers(&mut headers, conn, authority.as_str(), request_id, admitted);
    headers.remove(header::HOST);
    if kind == Kind::Http2 {
        let key = tokio_tungstenite::tungstenite::handshake::client::generate_key();
        if let Ok(v) = HeaderValue::from_str(&key) {
            headers.insert(header::SEC_WEBSOCKET_KEY, v);
        }
        headers
            .entry(header::SEC_WEBSOCKET_VERSION)
            .or_insert(HeaderValue::from_static("13"));
    }
    let mut inner = Request::new(());
    *inner.method_mut() = Method::CONNECT;
    *inner.uri_mut() = tunnel_uri(authority, scheme, req.uri())?;
    *inner.version_mut() = http::Version::HTTP_2;
    *inner.headers_mut() = headers;
    inner
        .extensions_mut()
        .insert(h2::ext::Protocol::from_static("websocket"));
    Ok(inner)
}

/// The client's answer once the origin accepted: the origin's headers without ours or hop-by-hop
/// ones, as a 101 over HTTP/1.1 or a 200 over HTTP/2 (RFC 8441, without an Accept).
fn switched<B>(response: &Response<B>, kind: Kind, request_id: &str) -> Response<EdgeBody> {
    let mut public = Response::new(body::empty());
    if kind == Kind::Http1 {
        *public.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    }
    let out = public.headers_mut();
    for (name, value) in response.headers() {
        if !name.as_str().starts_with(tether_proto::headers::PREFIX) {
            out.append(name, value.clone());
        }
    }
    tether_proto::headers::strip_hop_by_hop(out);
    match kind {
        Kind::Http1 => {
            out.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            out.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        }
        Kind::Http2 => {
            out.remove(header::SEC_WEBSOCKET_ACCEPT);
        }
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        out.insert(tether_proto::headers::REQUEST_ID, v);
    }
    public
}
