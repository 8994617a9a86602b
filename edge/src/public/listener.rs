//! Accept loops for the edge's TCP listeners. The loop only accepts; the TLS handshake and the
//! HTTP connection run in the spawned task, the handshake under a timeout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tether_proto::handshake::{EXPORTER_LABEL, EXPORTER_LEN, TUNNEL_PATH};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::task::TaskTracker;

use crate::body::{self, EdgeBody};
use crate::hostname::normalize_host;
use crate::proxy::{self, ConnInfo, TlsInfo};
use crate::server::Edge;

const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long open connections may finish after shutdown begins.
const GRACE: Duration = Duration::from_secs(10);

/// Which service a listener runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Public HTTP or HTTPS: routed requests (and the reserved tunnel path on HTTPS).
    Public,
    /// The tunnel listener: only session upgrades.
    Tunnel,
}

/// The HTTP/1.1 + HTTP/2 server settings for public connections.
pub fn public_builder(edge_cfg: &crate::config::EdgeConfig) -> auto::Builder<TokioExecutor> {
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
        .max_concurrent_streams(1000)
        .max_header_list_size(64 * 1024)
        .initial_stream_window_size(tether_proto::tuning::STREAM_WINDOW)
        .initial_connection_window_size(tether_proto::tuning::CONNECTION_WINDOW)
        .max_frame_size(tether_proto::tuning::MAX_FRAME)
        .keep_alive_interval(Some(Duration::from_secs(30)));
    builder
}

pub async fn serve(listener: TcpListener, tls: Option<TlsAcceptor>, role: Role, edge: Arc<Edge>) {
    let connections = TaskTracker::new();
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
            _ = edge.shutdown.cancelled() => break,
            // A draining edge takes no new public connections; the tunnel listener stays open
            // for the links of other edges until the end.
            _ = edge.draining.cancelled(), if role == Role::Public => break,
        };
        let _ = tcp.set_nodelay(true);
        let (edge, tls) = (edge.clone(), tls.clone());
        connections.spawn(async move {
            let Some((io, info)) = handshake(tcp, tls, peer).await else {
                return;
            };
            let idle = info.activity.clone();
            let info = Arc::new(info);
            let svc_edge = edge.clone();
            let service = service_fn(move |req: Request<Incoming>| {
                let (edge, info) = (svc_edge.clone(), info.clone());
                async move {
                    Ok::<_, std::convert::Infallible>(match role {
                        Role::Public => proxy::handle(req, info, edge).await,
                        Role::Tunnel => tunnel_endpoint(req, &info, edge).await,
                    })
                }
            });
            let builder = match role {
                Role::Public => edge.public_http.clone(),
                Role::Tunnel => {
                    let mut b = auto::Builder::new(TokioExecutor::new()).http1_only();
                    b.http1()
                        .timer(TokioTimer::new())
                        .header_read_timeout(TLS_HANDSHAKE_TIMEOUT);
                    b
                }
            };
            let conn = builder.serve_connection_with_upgrades(io, service);
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
                        break;
                    }
                    _ = edge.shutdown.cancelled(), if !closing => {
                        closing = true;
                        conn.as_mut().graceful_shutdown();
                    }
                    // Draining: keep-alive clients are told to go (after the request in
                    // flight), so their next connection finds a live edge.
                    _ = edge.draining.cancelled(), if !closing && role == Role::Public => {
                        closing = true;
                        conn.as_mut().graceful_shutdown();
                    }
                    _ = idle.idle_for(edge.config().idle_timeout), if !closing => {
                        closing = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        });
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

/// Either a plain TCP stream or a TLS one, as hyper I/O.
pub enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

async fn handshake(
    tcp: TcpStream,
    tls: Option<TlsAcceptor>,
    peer: SocketAddr,
) -> Option<(TokioIo<Io>, ConnInfo)> {
    let Some(acceptor) = tls else {
        return Some((
            TokioIo::new(Io::Plain(tcp)),
            ConnInfo {
                peer,
                tls: None,
                activity: Default::default(),
            },
        ));
    };
    let stream = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
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
    let exporter = server
        .export_keying_material([0u8; EXPORTER_LEN], EXPORTER_LABEL, None)
        .ok()?;
    let info = ConnInfo {
        peer,
        tls: Some(TlsInfo { sni, exporter }),
        activity: Default::default(),
    };
    Some((TokioIo::new(Io::Tls(Box::new(stream))), info))
}

async fn tunnel_endpoint(
    req: Request<Incoming>,
    info: &ConnInfo,
    edge: Arc<Edge>,
) -> Response<EdgeBody> {
    match (&info.tls, req.uri().path()) {
        (Some(tls), TUNNEL_PATH) if crate::link_accept::wants_link(&req) => {
            crate::link_accept::upgrade(req, tls.exporter, edge).await
        }
        (Some(tls), TUNNEL_PATH) => crate::session_accept::upgrade(req, tls.exporter, edge).await,
        _ => {
            let mut r = Response::new(body::empty());
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    }
}

mod io_impl {
    //! Forwards the tokio I/O traits to whichever stream is inside.
    use super::Io;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    impl AsyncRead for Io {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            match self.get_mut() {
                Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
                Io::Tls(s) => Pin::new(s).poll_read(cx, buf),
            }
        }
    }

    impl AsyncWrite for Io {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            match self.get_mut() {
                Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
                Io::Tls(s) => Pin::new(s).poll_write(cx, buf),
            }
        }
        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[std::io::IoSlice<'_>],
        ) -> Poll<std::io::Result<usize>> {
            match self.get_mut() {
                Io::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
                Io::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            }
        }
        fn is_write_vectored(&self) -> bool {
            match self {
                Io::Plain(s) => s.is_write_vectored(),
                Io::Tls(s) => s.is_write_vectored(),
            }
        }
        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            match self.get_mut() {
                Io::Plain(s) => Pin::new(s).poll_flush(cx),
                Io::Tls(s) => Pin::new(s).poll_flush(cx),
            }
        }
        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            match self.get_mut() {
                Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
                Io::Tls(s) => Pin::new(s).poll_shutdown(cx),
            }
        }
    }
}
