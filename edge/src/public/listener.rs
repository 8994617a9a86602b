//! Accept loops for the edge's TCP listeners. The loop only accepts; the TLS handshake and the
//! HTTP connection run in the spawned task, the handshake under a timeout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{header, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tether_proto::enroll::ENROLL_PATH;
use tether_proto::handshake::{EXPORTER_LABEL, EXPORTER_LEN, LINK_SUBPROTOCOL, TUNNEL_PATH};
use tether_proto::headers::has_token;
use tether_transport::sockets::AbortableTcp;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_rustls::server::TlsStream;
use tokio_rustls::LazyConfigAcceptor;
use tokio_util::either::Either;
use tokio_util::task::TaskTracker;

use crate::body::{self, EdgeBody};
use crate::config::{EdgeConfig, LiveConfig};
use crate::lifecycle::Lifecycle;
use crate::protect::counts::{Counted, Counts, Full};
use crate::protect::first_request::FirstRequest;
use crate::tls::acme_certs::{Handshake, UNRECOGNIZED_NAME_ALERT};
use crate::tls::client_auth::{self, ClientCert, ServerTls};
use crate::tunnels::upgrade::Upgrade;
use tether_proto::hostname::normalize_host;

use super::proxy::{ConnInfo, Proxy, TlsInfo};
use super::{forwarded, proxy_protocol};

const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Public HTTP/2: streams a client may reset before the edge has served them, at once (h2's
/// default), and streams the edge may reset for a client's protocol errors per connection.
const MAX_PENDING_RESETS: usize = 20;
const MAX_ERROR_RESETS: usize = 1024;
/// How long open connections may finish after shutdown begins.
const GRACE: Duration = Duration::from_secs(10);

/// Which service a listener runs.
#[derive(Clone)]
pub enum Service {
    /// Public HTTP or HTTPS: routed requests (and the reserved paths on HTTPS).
    Public(Arc<Proxy>),
    /// The tunnel listener: only upgrades, for tunnel sessions and for links from other edges.
    Tunnel {
        sessions: Arc<dyn Upgrade>,
        links: Arc<dyn Upgrade>,
        enroll: Arc<dyn Upgrade>,
    },
}

impl Service {
    fn is_public(&self) -> bool {
        matches!(self, Service::Public(_))
    }

    async fn call(&self, req: Request<Incoming>, info: Arc<ConnInfo>) -> Response<EdgeBody> {
        match self {
            // RFC 9113 §3.4: after ALPN `h2` a client that does not open with the HTTP/2
            // preface has failed the connection. hyper-util reads the version from the bytes
            // whatever ALPN said (its `http2_only` is ignored with upgrades), so the connection
            // is dropped here, with a reset and no answer.
            Service::Public(_)
                if info.tls.as_ref().is_some_and(|t| t.h2)
                    && req.version() != http::Version::HTTP_2 =>
            {
                info.abort.abort_on_close();
                std::future::pending().await
            }
            Service::Public(proxy) => proxy.handle(req, info).await,
            Service::Tunnel {
                sessions,
                links,
                enroll,
            } => match (info.tls.is_some(), req.uri().path()) {
                (true, TUNNEL_PATH) if wants_link(&req) => links.upgrade(req, info.caller()).await,
                (true, TUNNEL_PATH) => sessions.upgrade(req, info.caller()).await,
                (true, ENROLL_PATH) => enroll.upgrade(req, info.caller()).await,
                _ => {
                    let mut r = Response::new(body::empty());
                    *r.status_mut() = StatusCode::NOT_FOUND;
                    r
                }
            },
        }
    }

    /// The HTTP server settings for the connections of this listener.
    fn builder(&self, config: &EdgeConfig) -> auto::Builder<TokioExecutor> {
        match self {
            Service::Public(_) => public_builder(config),
            Service::Tunnel { .. } => {
                let mut b = auto::Builder::new(TokioExecutor::new()).http1_only();
                b.http1()
                    .timer(TokioTimer::new())
                    .header_read_timeout(TLS_HANDSHAKE_TIMEOUT);
                b
            }
        }
    }
}

/// Whether an upgrade on the tunnel listener asks for a link rather than a tunnel session.
fn wants_link(req: &Request<Incoming>) -> bool {
    has_token(
        req.headers(),
        header::SEC_WEBSOCKET_PROTOCOL,
        LINK_SUBPROTOCOL,
    )
}

/// The HTTP/1.1 + HTTP/2 server settings for public connections.
fn public_builder(edge_cfg: &EdgeConfig) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(edge_cfg.header_read_timeout)
        // hyper answers 431 past this many bytes of request head.
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .enable_connect_protocol()
        .max_concurrent_streams(edge_cfg.streams.max_streams_per_connection)
        .max_header_list_size(64 * 1024)
        // Rapid reset (CVE-2023-44487): a client that resets more streams than this before they
        // are served gets GOAWAY (ENHANCE_YOUR_CALM); so does one that keeps sending frames that
        // make the edge reset its streams. Streams reset after they were served are counted in
        // `outcome::Cancels`. The header list cap also bounds a CONTINUATION flood.
        .max_pending_accept_reset_streams(MAX_PENDING_RESETS)
        .max_local_error_reset_streams(MAX_ERROR_RESETS)
        // A public connection's uploads: hyper's windows, one stream window each and 32 in all
        // (a tunnel session's start small and grow: tuning.rs).
        .initial_stream_window_size(tether_transport::tuning::STREAM_WINDOW)
        .initial_connection_window_size(32 * tether_transport::tuning::STREAM_WINDOW)
        .max_frame_size(tether_transport::tuning::MAX_FRAME)
        .keep_alive_interval(Some(Duration::from_secs(30)));
    builder
}

/// What every connection of one listener shares.
#[derive(Clone)]
struct Listener {
    tls: Option<Arc<ServerTls>>,
    service: Service,
    builder: auto::Builder<TokioExecutor>,
    lifecycle: Lifecycle,
    config: LiveConfig,
    open: Arc<Counts>,
    public: bool,
}

/// Accepts connections until shutdown (a public listener stops when the drain begins) and
/// serves each with `service`; then waits, for a while, for the open ones to finish.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<ServerTls>>,
    service: Service,
    lifecycle: Lifecycle,
    config: LiveConfig,
    open: Arc<Counts>,
) {
    let connections = TaskTracker::new();
    let shared = Listener {
        tls,
        public: service.is_public(),
        builder: service.builder(&config.get()),
        service,
        lifecycle,
        config,
        open,
    };
    let (lifecycle, public) = (shared.lifecycle.clone(), shared.public);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(v) => v,
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = lifecycle.shutdown.cancelled() => break,
            // A draining edge takes no new public connections; the tunnel listener stays open
            // for the links of other edges until the end.
            _ = lifecycle.draining.cancelled(), if public => break,
        };
        let deadline = Instant::now() + shared.config.get().header_read_timeout;
        let Ok(counted) = shared.count(peer) else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        tether_transport::sockets::limit_unsent(&tcp);
        connections.spawn(shared.clone().connection(tcp, peer, counted, deadline));
    }
    drop(listener);
    connections.close();
    if tokio::time::timeout(GRACE, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the grace period; closing them");
    }
}

impl Listener {
    /// Counts a connection by its peer, or closes it at once (`Err`) when the peer holds
    /// `max-connections-per-ip` or the edge `max-connections`. A trusted balancer's connection is
    /// counted later, by the client its PROXY header names (`Ok(None)`).
    fn count(&self, peer: SocketAddr) -> Result<Option<Counted>, Full> {
        if self.public && forwarded::is_trusted(peer.ip(), &self.config.get().proxy_protocol) {
            return Ok(None);
        }
        self.open.acquire(peer.ip()).map(Some).inspect_err(|full| {
            tracing::debug!(%peer, ?full, "connection refused: too many open");
        })
    }

    /// A trusted balancer's connection: the client its PROXY header names, counted.
    async fn balanced(&self, tcp: &mut TcpStream, peer: &mut SocketAddr) -> Option<Counted> {
        let counted = match proxy_protocol::client_of(tcp, *peer).await {
            Ok(client) => {
                *peer = client;
                self.open
                    .acquire(client.ip())
                    .map_err(|full| format!("{full:?}"))
            }
            Err(e) => Err(e.to_string()),
        };
        counted
            .inspect_err(|why| tracing::debug!(%peer, why, "connection refused"))
            .ok()
    }

    /// One connection: a trusted balancer's PROXY header first (when `counted` is `None`); TLS;
    /// then HTTP until it ends, goes idle or the edge shuts down. Its first
    /// request head must arrive by `deadline` (header-read-timeout after the accept).
    async fn connection(
        self,
        mut tcp: TcpStream,
        mut peer: SocketAddr,
        counted: Option<Counted>,
        deadline: Instant,
    ) {
        let counted = match counted {
            Some(counted) => Some(counted),
            None => self.balanced(&mut tcp, &mut peer).await,
        };
        let Some(_counted) = counted else { return };
        let handshaken = tokio::time::timeout_at(deadline, handshake(tcp, self.tls, peer));
        let Ok(Some((io, info))) = handshaken.await else {
            return;
        };
        let (idle, aborted, info) = (info.activity.clone(), info.abort.clone(), Arc::new(info));
        let first = Arc::new(FirstRequest::default());
        let (seen, service) = (first.clone(), self.service);
        let service = service_fn(move |req: Request<Incoming>| {
            seen.seen();
            let (service, info) = (service.clone(), info.clone());
            async move { Ok::<_, std::convert::Infallible>(service.call(req, info).await) }
        });
        let conn = self.builder.serve_connection_with_upgrades(io, service);
        tokio::pin!(conn);
        // Shutdown and idleness both end the connection gracefully: in-flight streams finish,
        // HTTP/2 clients get GOAWAY, HTTP/1.1 connections close after the current response.
        let mut closing = false;
        loop {
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = aborted.aborted() => return, // a cut response: dropped, with a reset
                _ = self.lifecycle.shutdown.cancelled(), if !closing => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
                // Draining: keep-alive clients are told to go (after the request in flight),
                // so their next connection finds a live edge.
                _ = self.lifecycle.draining.cancelled(), if !closing && self.public => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
                // No whole request head within header-read-timeout of the accept: dropped,
                // whether the client stalled before TLS, after it, or before its first byte.
                _ = first.missed(deadline), if !closing => {
                    return tracing::debug!(%peer, "connection closed: no request head within header-read-timeout");
                }
                _ = idle.idle_for(self.config.get().idle_timeout), if !closing => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// A plain TCP stream or a TLS one.
type Io = Either<AbortableTcp, Box<TlsStream<AbortableTcp>>>;

async fn handshake(
    tcp: TcpStream,
    tls: Option<Arc<ServerTls>>,
    peer: SocketAddr,
) -> Option<(TokioIo<Io>, ConnInfo)> {
    let (tcp, abort) = AbortableTcp::new(tcp);
    let Some(tls) = tls else {
        return Some((
            TokioIo::new(Either::Left(tcp)),
            ConnInfo {
                peer,
                tls: None,
                activity: Default::default(),
                abort,
                cancels: Default::default(),
            },
        ));
    };
    // The settings are chosen once the ClientHello has named the host: some hosts want a
    // client certificate (`tls::client_auth`), ACME validations get their own (`tls::acme_certs`).
    let mut required_ca = None;
    let accepted = async {
        let mut start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp).await?;
        let sni = start.client_hello().server_name().map(normalize_host);
        match tls.classify(&start.client_hello(), sni.as_deref()) {
            Handshake::Serve => {}
            Handshake::AcmeValidation(config) => {
                if let Some(config) = config {
                    let mut validated = start.into_stream(config).await?;
                    let _ = validated.shutdown().await;
                    let hostname = sni.as_deref().unwrap_or("");
                    tracing::info!(%peer, %hostname, "answered a TLS-ALPN-01 validation");
                }
                return Err(std::io::Error::other("an ACME validation handshake"));
            }
            Handshake::UnrecognizedName => {
                let _ = start.io.write_all(&UNRECOGNIZED_NAME_ALERT).await;
                return Err(std::io::Error::other("no certificate for this name"));
            }
        }
        let (config, ca) = tls.choose(sni.as_deref());
        required_ca = ca;
        start.into_stream(config).await
    };
    let stream = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, accepted).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            return None;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return None;
        }
    };
    let server = stream.get_ref().1;
    let sni = server.server_name().map(normalize_host);
    // Proofs (sessions, links, access, enrollment) are bound to the TLS 1.3 exporter only: on a
    // TLS 1.2 connection (a browser's, on the public port) there is none, and they are refused.
    let exporter = match server.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => Some(
            server
                .export_keying_material([0u8; EXPORTER_LEN], EXPORTER_LABEL, None)
                .ok()?,
        ),
        _ => None,
    };
    // Verified by the handshake against `required_ca`.
    let client = required_ca
        .zip(server.peer_certificates().and_then(|c| c.first()))
        .map(|(ca, cert)| ClientCert {
            ca,
            subject: client_auth::subject(cert),
        });
    let info = ConnInfo {
        peer,
        tls: Some(TlsInfo {
            sni,
            exporter,
            client,
            h2: server.alpn_protocol() == Some(b"h2"),
        }),
        activity: Default::default(),
        abort,
        cancels: Default::default(),
    };
    Some((TokioIo::new(Either::Right(Box::new(stream))), info))
}
