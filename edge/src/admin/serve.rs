//! The admin listener's accept loop: HTTP/1.1 and HTTP/2, over TLS when `admin.tls` is set. The
//! loop only accepts; the handshake runs in the connection's task, under a timeout. One address
//! may hold [`PER_ADDRESS`] connections of the [`MAX_CONNECTIONS`], and each must send a whole
//! request head within edge.yml's `header-read-timeout` (30 s) of its accept, so idle
//! connections from one place cannot keep the API from anyone else.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use super::AdminApi;
use crate::protect::counts::Counts;
use crate::protect::first_request::FirstRequest;

const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const KEEPALIVE: Duration = Duration::from_secs(20);
/// How long open connections (event streams included) may finish after shutdown begins.
const GRACE: Duration = Duration::from_secs(2);
/// Connections the admin listener holds at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 512;
/// Connections one address (an IPv6 /64) may hold at once; more are closed at once.
const PER_ADDRESS: u32 = 16;

/// Serves the admin API and dashboard on `listener` until the edge shuts down.
pub async fn serve(listener: TcpListener, tls: Option<TlsAcceptor>, api: Arc<AdminApi>) {
    let shutdown = api.lifecycle.shutdown.clone();
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let per_address = Counts::new(PER_ADDRESS, MAX_CONNECTIONS as u32);
    loop {
        // The permit is taken before accepting, so a flood waits in the backlog.
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = shutdown.cancelled() => return,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "admin listener: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.cancelled() => return,
        };
        let header_read_timeout = api.config.get().header_read_timeout;
        let deadline = Instant::now() + header_read_timeout;
        let Ok(counted) = per_address.acquire(peer.ip()) else {
            tracing::debug!(%peer, "admin listener: connection refused, too many from its address");
            continue;
        };
        let (api, tls) = (api.clone(), tls.clone());
        tokio::spawn(async move {
            connection(stream, peer.ip(), tls, api, deadline).await;
            drop((permit, counted));
        });
    }
}

async fn connection(
    stream: TcpStream,
    peer: IpAddr,
    tls: Option<TlsAcceptor>,
    api: Arc<AdminApi>,
    deadline: Instant,
) {
    let _ = stream.set_nodelay(true);
    match tls {
        None => http(TokioIo::new(stream), peer, api, deadline).await,
        Some(tls) => match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
            Ok(Ok(stream)) => http(TokioIo::new(stream), peer, api, deadline).await,
            Ok(Err(e)) => tracing::debug!(error = %e, "admin listener: TLS handshake failed"),
            Err(_) => tracing::debug!("admin listener: TLS handshake timed out"),
        },
    }
}

/// HTTP on one connection; its first request head must arrive by `deadline`.
async fn http<IO>(io: TokioIo<IO>, peer: IpAddr, api: Arc<AdminApi>, deadline: Instant)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let shutdown = api.lifecycle.shutdown.clone();
    let header_read_timeout = api.config.get().header_read_timeout;
    let first = Arc::new(FirstRequest::default());
    let seen = first.clone();
    let service = service_fn(move |request| {
        seen.seen();
        let api = api.clone();
        async move { Ok::<_, std::convert::Infallible>(api.handle(request, peer).await) }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    // A client that holds an HTTP/2 connection must answer its PINGs.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(KEEPALIVE))
        .keep_alive_timeout(KEEPALIVE)
        .max_concurrent_streams(64);
    let conn = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = first.missed(deadline) => return,
        _ = shutdown.cancelled() => conn.as_mut().graceful_shutdown(),
    }
    let _ = tokio::time::timeout(GRACE, conn).await;
}
