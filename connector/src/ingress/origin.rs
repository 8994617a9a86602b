//! Origins: a pooled HTTP client per ingress rule, over TCP or a unix socket, with or without TLS.
//!
//! hyper-util's pooling client does the pooling; [`OriginConnector`] opens its connections so that
//! `connectTimeout`, `tlsTimeout`, `tcpKeepAlive`, `caPool`, `noTLSVerify` and `originServerName`
//! apply, for unix sockets too (which no off-the-shelf connector covers); the TLS settings are
//! built in `origin_tls`.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::Uri;
use http_body_util::combinators::UnsyncBoxBody;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::pki_types::ServerName;
use tether_transport::sockets::dial_origin;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::origin_tls::tls_config;
use super::{OriginRequest, ServiceError};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// Request bodies toward origins: the stream's body, or nothing.
pub type OriginBody = UnsyncBoxBody<Bytes, BoxError>;

/// A connect or TLS step that ran out of time; the proxy maps it to 504 rather than 502.
#[derive(Debug, thiserror::Error)]
#[error("origin {0} timed out")]
pub struct OriginTimeout(&'static str);

#[derive(Debug, Clone)]
enum Target {
    /// Host and port come from each request's URI.
    Tcp,
    /// `matchSNItoHost`: always this host and port; the URI's host is the TLS server name.
    Pinned(String, u16),
    Unix(PathBuf),
}

#[derive(Clone)]
pub struct OriginConnector {
    target: Target,
    tls: Option<TlsConnector>,
    settings: OriginRequest,
}

pub struct Origin {
    /// Scheme and authority requests are sent to (`http://unix` for unix sockets).
    pub base: Uri,
    pub client: Client<OriginConnector, OriginBody>,
    pub settings: OriginRequest,
    /// `matchSNItoHost` on an https origin over TCP (as cloudflared, not for unix sockets): the
    /// request URI's host is the TLS server name, and the connection goes to the service.
    pub sni_from_host: bool,
}

impl std::fmt::Debug for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Origin").field("base", &self.base).finish()
    }
}

impl Origin {
    pub fn http(uri: &Uri, settings: OriginRequest) -> Result<Origin, ServiceError> {
        let tls = uri.scheme_str() == Some("https");
        if uri.host().is_none() {
            return Err(ServiceError::NoHost(uri.to_string()));
        }
        let base = Uri::builder()
            .scheme(uri.scheme_str().unwrap_or("http"))
            .authority(uri.authority().map(|a| a.as_str()).unwrap_or_default())
            .path_and_query("/")
            .build()
            .map_err(|e| ServiceError::NotAUrl {
                text: uri.to_string(),
                why: e.to_string(),
            })?;
        let target = match (&settings.match_sni_to_host, base.host()) {
            (true, Some(host)) if tls => Target::Pinned(
                host.trim_matches(['[', ']']).to_string(),
                base.port_u16().unwrap_or(443),
            ),
            _ => Target::Tcp,
        };
        Self::new(base, target, tls, settings)
    }

    pub fn unix(path: PathBuf, tls: bool, settings: OriginRequest) -> Result<Origin, ServiceError> {
        let base = Uri::from_static(if tls {
            "https://localhost/"
        } else {
            "http://localhost/"
        });
        Self::new(base, Target::Unix(path), tls, settings)
    }

    fn new(
        base: Uri,
        target: Target,
        tls: bool,
        settings: OriginRequest,
    ) -> Result<Origin, ServiceError> {
        let tls = if tls {
            Some(TlsConnector::from(tls_config(&settings)?))
        } else {
            None
        };
        let sni_from_host = matches!(target, Target::Pinned(..));
        let connector = OriginConnector {
            target,
            tls,
            settings: settings.clone(),
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(settings.keep_alive_timeout)
            .pool_max_idle_per_host(settings.keep_alive_connections)
            .http2_only(settings.http2_origin)
            .build(connector);
        Ok(Origin {
            base,
            client,
            settings,
            sni_from_host,
        })
    }
}

/// A TCP connection to an origin, with `tcpKeepAlive`, no Nagle delay and an Ethernet MSS
/// ([`tether_transport::sockets::ORIGIN_MSS`]).
async fn dial_tcp(host: &str, port: u16, keep_alive: Duration) -> std::io::Result<OriginStream> {
    let tcp = dial_origin((host, port)).await?;
    tcp.set_nodelay(true)?;
    let keepalive = socket2::TcpKeepalive::new().with_time(keep_alive);
    socket2::SockRef::from(&tcp).set_tcp_keepalive(&keepalive)?;
    Ok(OriginStream::Tcp(tcp))
}

/// A connection to an origin.
pub enum OriginStream {
    Tcp(TcpStream),
    Unix(UnixStream),
    TlsTcp(Box<TlsStream<TcpStream>>),
    TlsUnix(Box<TlsStream<UnixStream>>),
}

/// hyper's view of an [`OriginStream`]; knows whether TLS negotiated h2.
pub struct OriginIo {
    inner: TokioIo<OriginStream>,
    h2: bool,
}

impl tower_service::Service<Uri> for OriginConnector {
    type Response = OriginIo;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<OriginIo, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.connect(uri).await })
    }
}

impl OriginConnector {
    async fn connect(self, uri: Uri) -> Result<OriginIo, BoxError> {
        let s = &self.settings;
        let host = uri
            .host()
            .unwrap_or("localhost")
            .trim_matches(['[', ']'])
            .to_string();
        let connect = async {
            match &self.target {
                Target::Tcp => {
                    let https = uri.scheme_str() == Some("https");
                    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
                    dial_tcp(&host, port, s.tcp_keep_alive).await
                }
                Target::Pinned(host, port) => dial_tcp(host, *port, s.tcp_keep_alive).await,
                Target::Unix(path) => Ok(OriginStream::Unix(UnixStream::connect(path).await?)),
            }
        };
        let stream = tokio::time::timeout(s.connect_timeout, connect)
            .await
            .map_err(|_| OriginTimeout("connect"))??;
        let Some(tls) = &self.tls else {
            return Ok(OriginIo {
                inner: TokioIo::new(stream),
                h2: false,
            });
        };
        // With `matchSNItoHost` the URI's host is the request's Host (see `origin_parts`).
        let name = match self.target {
            Target::Pinned(..) => host,
            _ => s.origin_server_name.clone().unwrap_or(host),
        };
        let server_name = ServerName::try_from(name)?;
        let handshake = async {
            match stream {
                OriginStream::Tcp(t) => tls
                    .connect(server_name, t)
                    .await
                    .map(|t| OriginStream::TlsTcp(Box::new(t))),
                OriginStream::Unix(u) => tls
                    .connect(server_name, u)
                    .await
                    .map(|u| OriginStream::TlsUnix(Box::new(u))),
                other => Ok(other),
            }
        };
        let stream = tokio::time::timeout(s.tls_timeout, handshake)
            .await
            .map_err(|_| OriginTimeout("TLS handshake"))??;
        let h2 = match &stream {
            OriginStream::TlsTcp(t) => t.get_ref().1.alpn_protocol() == Some(b"h2"),
            OriginStream::TlsUnix(t) => t.get_ref().1.alpn_protocol() == Some(b"h2"),
            _ => false,
        };
        Ok(OriginIo {
            inner: TokioIo::new(stream),
            h2,
        })
    }
}

impl Connection for OriginIo {
    fn connected(&self) -> Connected {
        let c = Connected::new();
        if self.h2 {
            c.negotiated_h2()
        } else {
            c
        }
    }
}

impl hyper::rt::Read for OriginIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for OriginIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

macro_rules! each_stream {
    ($self:expr, $s:ident => $body:expr) => {
        match $self.get_mut() {
            OriginStream::Tcp($s) => $body,
            OriginStream::Unix($s) => $body,
            OriginStream::TlsTcp($s) => $body,
            OriginStream::TlsUnix($s) => $body,
        }
    };
}

impl AsyncRead for OriginStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        each_stream!(self, s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for OriginStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        each_stream!(self, s => Pin::new(s).poll_write(cx, buf))
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        each_stream!(self, s => Pin::new(s).poll_flush(cx))
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        each_stream!(self, s => Pin::new(s).poll_shutdown(cx))
    }
}
