//! Origin servers for the tests: in-process hyper servers on 127.0.0.1:0 (or a unix socket), and a
//! WebSocket echo server.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, UnixListener};

use crate::client::{full, Body};

/// Serves `handler` on 127.0.0.1:0 (HTTP/1.1 and h2c) until the test ends; returns the address.
pub async fn serve<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind origin");
    let addr = listener.local_addr().expect("addr");
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            spawn_conn(TokioIo::new(tcp), handler.clone());
        }
    });
    addr
}

/// The same on a unix socket at `path`.
pub async fn serve_unix<F, Fut>(path: &Path, handler: F)
where
    F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    let listener = UnixListener::bind(path).expect("bind unix origin");
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            spawn_conn(TokioIo::new(stream), handler.clone());
        }
    });
}

fn tls_acceptor(cert_pem: &str, key_pem: &str) -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let certs = rustls::pki_types::CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("cert");
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("key");
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("tls config");
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// TLS on a unix socket at `path` (a `unix+tls:` origin).
pub async fn serve_tls_unix<F, Fut>(path: &Path, cert_pem: &str, key_pem: &str, handler: F)
where
    F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    let acceptor = tls_acceptor(cert_pem, key_pem);
    let listener = UnixListener::bind(path).expect("bind unix tls origin");
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, handler) = (acceptor.clone(), handler.clone());
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    spawn_conn(TokioIo::new(tls), handler);
                }
            });
        }
    });
}

/// The same over TLS with `cert`/`key` (PEM strings).
pub async fn serve_tls<F, Fut>(cert_pem: &str, key_pem: &str, handler: F) -> SocketAddr
where
    F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    let acceptor = tls_acceptor(cert_pem, key_pem);
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind tls origin");
    let addr = listener.local_addr().expect("addr");
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, handler) = (acceptor.clone(), handler.clone());
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    spawn_conn(TokioIo::new(tls), handler);
                }
            });
        }
    });
    addr
}

fn spawn_conn<I, F, Fut>(io: I, handler: Arc<F>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    tokio::spawn(async move {
        let service = service_fn(move |req| {
            let handler = handler.clone();
            async move { Ok::<_, Infallible>(handler(req).await) }
        });
        let _ = auto::Builder::new(TokioExecutor::new())
            .serve_connection_with_upgrades(io, service)
            .await;
    });
}

/// An origin that answers `origin NAME: METHOD PATH host=HOST` and echoes nothing else.
pub async fn named(name: &'static str) -> SocketAddr {
    serve(move |req: Request<Incoming>| async move {
        let host = req
            .headers()
            .get("host")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        Response::new(full(format!(
            "origin {name}: {} {} host={host}",
            req.method(),
            req.uri()
        )))
    })
    .await
}

/// A WebSocket echo origin (HTTP/1.1 upgrade, tokio-tungstenite); it also reports the
/// subprotocol it was offered in a text message first when the client asks for `report`.
pub async fn websocket_echo() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind ws origin");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                // After a Close, the next read sends tungstenite's reply and ends the loop: the
                // close handshake completes.
                while let Some(Ok(msg)) = ws.next().await {
                    if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// A response with `bytes` of body.
pub fn ok(body: impl Into<Bytes>) -> Response<Body> {
    Response::new(full(body))
}

/// A CA of the test's own and a certificate from it for `127.0.0.1`, for HTTPS servers the
/// edge fetches from (identity providers): the CA's PEM, the certificate's PEM and its key's.
pub fn loopback_certificate() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_pem = ca_params.self_signed(&ca_key).expect("CA").pem();
    let ca = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("params")
        .signed_by(&leaf_key, &ca)
        .expect("certificate");
    (ca_pem, leaf.pem(), leaf_key.serialize_pem())
}
