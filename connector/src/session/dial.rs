//! Reaching an edge: TCP, then TLS with the edge's certificate verified, then the WebSocket
//! upgrade with a subprotocol; a refusal carries the edge's status and reason.

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, StatusCode};
use rustls::pki_types::ServerName;
use tether_proto::handshake::Refusal;
use tether_transport::wsstream::session_ws_config;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::WebSocketStream;

const DIAL_TIMEOUT: Duration = Duration::from_secs(15);

/// Where and how to reach the edge.
#[derive(Clone)]
pub struct EdgeTarget {
    /// `wss://host:port/path`.
    pub url: String,
    /// `host:port` to dial.
    pub address: String,
    pub server_name: ServerName<'static>,
    pub tls: Arc<rustls::ClientConfig>,
}

impl EdgeTarget {
    /// From the credentials' address or a `tunnel.yml` `edge:` override (`HOST:PORT` or a
    /// `wss://` URL, e.g. the edge's public HTTPS port and reserved path).
    pub fn new(
        edge: &str,
        server_name: &str,
        tls: Arc<rustls::ClientConfig>,
    ) -> Result<EdgeTarget, String> {
        let endpoint = tether_proto::endpoint::Endpoint::parse(edge)?;
        // A URL names the host whose certificate we expect; HOST:PORT is the tunnel listener,
        // whose certificate carries the credentials' server name.
        let name = if endpoint.is_url {
            endpoint.host.clone()
        } else {
            server_name.to_string()
        };
        let server_name = ServerName::try_from(name.clone())
            .map_err(|_| format!("`{name}` is not a valid TLS server name"))?;
        Ok(EdgeTarget {
            address: endpoint.address(),
            url: endpoint.url,
            server_name,
            tls,
        })
    }
}

impl EdgeTarget {
    pub(super) fn transient(&self, what: &str, e: &dyn std::fmt::Display) -> SessionError {
        SessionError::Transient(format!("{what} {}: {e}", self.address))
    }

    /// The `Host` of requests to this target: the URL's authority.
    pub fn url_host(&self) -> String {
        self.url
            .parse::<http::Uri>()
            .ok()
            .and_then(|u| u.authority().map(|a| a.to_string()))
            .unwrap_or_else(|| self.address.clone())
    }

    /// TCP, then TLS with the edge's certificate verified, each bounded by `DIAL_TIMEOUT`.
    pub async fn connect_tls(&self) -> Result<TlsStream<TcpStream>, SessionError> {
        let tcp = tokio::time::timeout(DIAL_TIMEOUT, TcpStream::connect(&self.address))
            .await
            .map_err(|_| {
                SessionError::Transient(format!("connecting to {} timed out", self.address))
            })?
            .map_err(|e| self.transient("cannot connect to", &e))?;
        let _ = tcp.set_nodelay(true);
        tokio::time::timeout(
            DIAL_TIMEOUT,
            TlsConnector::from(self.tls.clone()).connect(self.server_name.clone(), tcp),
        )
        .await
        .map_err(|_| {
            SessionError::Transient(format!("TLS handshake with {} timed out", self.address))
        })?
        .map_err(|e| self.transient("TLS handshake failed with", &e))
    }

    /// The WebSocket upgrade request for this target's URL with `subprotocol`.
    pub fn request(&self, subprotocol: &'static str) -> Result<http::Request<()>, SessionError> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| SessionError::Permanent(format!("bad edge URL {}: {e}", self.url)))?;
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static(subprotocol),
        );
        Ok(request)
    }

    /// Sends the upgrade; a refusal carries the edge's status and one-line reason, permanent or
    /// transient as the edge said.
    pub async fn upgrade(
        &self,
        tls: TlsStream<TcpStream>,
        request: http::Request<()>,
    ) -> Result<WebSocketStream<TlsStream<TcpStream>>, SessionError> {
        match tokio_tungstenite::client_async_with_config(request, tls, Some(session_ws_config()))
            .await
        {
            Ok((ws, _response)) => Ok(ws),
            Err(WsError::Http(response)) => {
                let status = response.status();
                let reason = response
                    .body()
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).trim().to_string())
                    .unwrap_or_default();
                let message = format!(
                    "edge {} refused the session: {status} {reason}",
                    self.address
                );
                Err(match Refusal::of_response(status, response.headers()) {
                    Refusal::Permanent if status != StatusCode::SERVICE_UNAVAILABLE => {
                        SessionError::Permanent(message)
                    }
                    _ => SessionError::Transient(message),
                })
            }
            Err(e) => Err(self.transient("WebSocket handshake failed with", &e)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Retry with backoff.
    #[error("{0}")]
    Transient(String),
    /// The edge refused us for good (unknown or deleted tunnel, bad key): stop.
    #[error("{0}")]
    Permanent(String),
}
