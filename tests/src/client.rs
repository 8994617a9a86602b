//! Clients that dial the edge's address but present a chosen hostname (SNI and Host), like
//! `curl --resolve`. Each request uses a fresh connection so tests can choose HTTP/1.1 or HTTP/2.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use tether_proto::handshake::{ACCESS_PATH, ACCESS_SUBPROTOCOL};
use tether_transport::dial::{Dialer, Dialled};
use tether_transport::error::TransportError;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

pub type Body =
    http_body_util::combinators::UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

pub fn full(data: impl Into<Bytes>) -> Body {
    Full::new(data.into())
        .map_err(|n| match n {})
        .boxed_unsync()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Http1,
    Http2,
}

/// TLS to the edge with its dev CA pinned, negotiating `proto` by ALPN.
pub fn tls_config(ca_pem: &Path, proto: Proto) -> Arc<rustls::ClientConfig> {
    tether_proto_install();
    let pem = std::fs::read(ca_pem).expect("read ca.pem");
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
        roots.add(cert.expect("pem")).expect("add root");
    }
    let mut config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = match proto {
        Proto::Http1 => vec![b"http/1.1".to_vec()],
        Proto::Http2 => vec![b"h2".to_vec()],
    };
    Arc::new(config)
}

fn tether_proto_install() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// An open client connection to the edge.
pub enum Conn {
    H1(hyper::client::conn::http1::SendRequest<Body>),
    H2(hyper::client::conn::http2::SendRequest<Body>),
}

impl Conn {
    /// The server closed it (e.g. a keep-alive connection after a draining edge's last
    /// response): a client opens a new one instead of sending on it.
    pub fn is_closed(&self) -> bool {
        match self {
            Conn::H1(s) => s.is_closed(),
            Conn::H2(s) => s.is_closed(),
        }
    }

    pub async fn send(&mut self, req: Request<Body>) -> hyper::Result<Response<Incoming>> {
        match self {
            Conn::H1(s) => s.send_request(req).await,
            Conn::H2(s) => s.send_request(req).await,
        }
    }
}

/// Connects to `addr`; with `tls`, as `sni` with the CA pinned. Returns the connection and the
/// ALPN protocol the server chose.
pub async fn connect(
    addr: SocketAddr,
    tls: Option<(&str, &Path)>,
    proto: Proto,
) -> (Conn, Option<Vec<u8>>) {
    let tcp = TcpStream::connect(addr).await.expect("connect to edge");
    tcp.set_nodelay(true).expect("nodelay");
    match tls {
        None => (handshake(TokioIo::new(tcp), proto).await, None),
        Some((sni, ca)) => {
            let stream = tls_over(tcp, sni, ca, proto).await;
            let alpn = stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
            (handshake(TokioIo::new(stream), proto).await, alpn)
        }
    }
}

/// A plain HTTP/1.1 connection to `addr`, or why there is none (for load that must count a
/// refused connection as a failure rather than stop).
pub async fn try_connect_http1(addr: SocketAddr) -> std::io::Result<Conn> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(conn.with_upgrades());
    Ok(Conn::H1(send))
}

/// A TLS connection to `addr` presenting `sni`, with the CA pinned and `proto` offered by ALPN,
/// for clients that speak over it themselves (WebSocket, a hand-driven HTTP/2 connection).
pub async fn tls_connect(
    addr: SocketAddr,
    sni: &str,
    ca: &Path,
    proto: Proto,
) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.expect("connect to edge");
    tcp.set_nodelay(true).expect("nodelay");
    tls_over(tcp, sni, ca, proto).await
}

async fn tls_over(tcp: TcpStream, sni: &str, ca: &Path, proto: Proto) -> TlsStream<TcpStream> {
    let name = ServerName::try_from(sni.to_string()).expect("server name");
    tokio_rustls::TlsConnector::from(tls_config(ca, proto))
        .connect(name, tcp)
        .await
        .expect("TLS handshake with edge")
}

async fn handshake<I>(io: I, proto: Proto) -> Conn
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    match proto {
        Proto::Http1 => {
            let (send, conn) = hyper::client::conn::http1::handshake(io)
                .await
                .expect("h1 handshake");
            tokio::spawn(conn.with_upgrades());
            Conn::H1(send)
        }
        Proto::Http2 => {
            let (send, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
                .handshake(io)
                .await
                .expect("h2 handshake");
            tokio::spawn(conn);
            Conn::H2(send)
        }
    }
}

/// One GET through the edge's HTTPS listener over HTTP/1.1; returns status, headers and body.
pub async fn get(
    addr: SocketAddr,
    host: &str,
    ca: &Path,
    path: &str,
) -> (http::StatusCode, http::HeaderMap, String) {
    get_via(addr, host, Some(ca), path).await
}

/// One GET through the edge's plain HTTP listener.
pub async fn get_plain(
    addr: SocketAddr,
    host: &str,
    path: &str,
) -> (http::StatusCode, http::HeaderMap, String) {
    get_via(addr, host, None, path).await
}

async fn get_via(
    addr: SocketAddr,
    host: &str,
    ca: Option<&Path>,
    path: &str,
) -> (http::StatusCode, http::HeaderMap, String) {
    let (mut conn, _) = connect(addr, ca.map(|ca| (host, ca)), Proto::Http1).await;
    let req = Request::get(path)
        .header("host", host)
        .body(full(Bytes::new()))
        .expect("request");
    let response = conn.send(req).await.expect("response");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// Sends `text` on a WebSocket and checks that the same message comes back (an echo origin
/// behind the tunnel), within [`crate::READY`].
pub async fn ws_echo<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>, text: &str)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    ws.send(Message::text(text))
        .await
        .expect("send on the WebSocket");
    let back = tokio::time::timeout(crate::READY, ws.next())
        .await
        .expect("an echo in time");
    assert_eq!(back.unwrap().unwrap(), Message::text(text));
}

/// Opens an access session on the edge's HTTPS port by hand, as `connector access tcp` does
/// (TLS naming `server_name`, the access WebSocket, HTTP/2 as the client), with no token, and sends
/// one CONNECT to `authority`, which may be one the access client would never send. Returns the
/// stream's status and the edge's one-line reason.
pub async fn access_connect(
    https: SocketAddr,
    ca: &Path,
    server_name: &str,
    authority: &str,
) -> (http::StatusCode, String) {
    let ws = access_websocket(https, ca, server_name)
        .await
        .expect("access session")
        .ws;
    let (sender, connection) = tether_transport::tuning::h2_client()
        .handshake::<_, Bytes>(tether_transport::wsstream::WsStream::new(ws))
        .await
        .expect("HTTP/2 over the access session");
    tokio::spawn(connection);
    let mut sender = sender.ready().await.expect("session ready");
    let connect = Request::builder()
        .method(http::Method::CONNECT)
        .uri(authority)
        .body(())
        .expect("CONNECT request");
    let (response, _send) = sender.send_request(connect, false).expect("send CONNECT");
    let response = tokio::time::timeout(crate::READY, response)
        .await
        .expect("an answer in time")
        .expect("response head");
    let status = response.status();
    let mut body = response.into_body();
    let mut reason = Vec::new();
    if status != http::StatusCode::OK {
        while let Some(Ok(chunk)) = body.data().await {
            reason.extend_from_slice(&chunk);
        }
    }
    (status, String::from_utf8_lossy(&reason).trim().to_string())
}

/// One plain-HTTP/1.1 request to `addr` from the local address `source` (127.0.0.2 and up
/// stand for other clients), with `host` and `headers`; returns status, headers and body.
pub async fn request_from(
    source: std::net::IpAddr,
    addr: SocketAddr,
    host: &str,
    headers: &[(&str, &str)],
) -> (http::StatusCode, http::HeaderMap, String) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(source, 0))
        .expect("bind source");
    let tcp = socket.connect(addr).await.expect("connect to edge");
    let Conn::H1(mut send) = handshake(TokioIo::new(tcp), Proto::Http1).await else {
        unreachable!("asked for HTTP/1.1")
    };
    let mut req = Request::get("/").header("host", host);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let response = send
        .send_request(req.body(full(Bytes::new())).expect("request"))
        .await
        .expect("response");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// The `/metrics` page served at `addr` (an edge's or a connector's).
pub async fn metrics_page(addr: SocketAddr) -> String {
    get_plain(addr, "metrics", "/metrics").await.2
}

/// One series' value (`name{labels}`) in a Prometheus page, 0 when absent.
pub fn metric_value(page: &str, series: &str) -> u64 {
    page.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}

/// The dialer `connector access tcp` uses, aimed at an edge's `https` address whose CA is `ca`.
pub fn access_dialer(https: SocketAddr, ca: &Path, server_name: &str) -> Dialer {
    let pem = std::fs::read_to_string(ca).expect("read the edge CA");
    Dialer::new(
        https.to_string(),
        format!("wss://{server_name}{ACCESS_PATH}"),
        server_name,
        tether_proto::trust::session_client_config(Some(&pem)).expect("TLS config"),
        "access session",
    )
    .expect("a dialer")
}

/// Opens an access session's WebSocket on `https` (no token) through the transport's dialer, as
/// `connector access tcp` does; `Err` carries the refusal.
pub async fn access_websocket(
    https: SocketAddr,
    ca: &Path,
    server_name: &str,
) -> Result<Dialled, TransportError> {
    let dialer = access_dialer(https, ca, server_name);
    dialer
        .websocket(&[ACCESS_SUBPROTOCOL], |_| Ok(http::HeaderMap::new()))
        .await
}
