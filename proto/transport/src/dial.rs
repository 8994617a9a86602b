//! The one dialer: TCP (direct, or through a proxy) → TLS with the peer's certificate verified →
//! the TLS session's exported keying material → a WebSocket upgrade offering one or more
//! subprotocols, most preferred first. Connector sessions, edge-to-edge links and access clients
//! dial through it; a connection that is not a session (an enrollment POST) stops after TLS.
//!
//! Each step is bounded by the dialer's timeout. A refused upgrade carries the peer's status and
//! one-line reason, and whether to retry as the peer said (`tether-refusal`).

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderValue, StatusCode};
use rustls::pki_types::ServerName;
use tether_proto::handshake::{Refusal, EXPORTER_LABEL, EXPORTER_LEN};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::WebSocketStream;

use crate::error::{Retry, Step, TransportError, Who};
use crate::proxy::Proxy;
use crate::wsstream::session_ws_config;

/// The TLS session's keying material (RFC 5705) that a session's signature or a link's proof
/// binds to.
pub type Exporter = [u8; EXPORTER_LEN];

/// Where a peer is and how to reach it.
#[derive(Clone)]
pub struct Dialer {
    /// `host:port` to dial.
    pub address: String,
    /// `wss://host:port/path`: the upgrade's target and `Host`.
    pub url: String,
    /// The name the peer's certificate must carry.
    pub server_name: ServerName<'static>,
    pub tls: Arc<rustls::ClientConfig>,
    /// Reach the peer through this proxy.
    pub proxy: Option<Arc<Proxy>>,
    /// Bounds each step: TCP (and the proxy), TLS, the upgrade.
    pub timeout: Duration,
    /// What is being opened, for messages: "session", "link", "access session".
    pub what: &'static str,
}

/// An upgraded connection: the WebSocket, the subprotocol the peer chose among those offered,
/// and the TLS session's exporter.
pub struct Dialled {
    pub ws: WebSocketStream<TlsStream<TcpStream>>,
    pub subprotocol: &'static str,
    pub exporter: Exporter,
}

/// The default bound on each step of a dial.
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(15);

impl Dialer {
    /// A dialer for `url` at `address`, verifying `server_name`.
    pub fn new(
        address: String,
        url: String,
        server_name: &str,
        tls: Arc<rustls::ClientConfig>,
        what: &'static str,
    ) -> Result<Dialer, TransportError> {
        let server_name = ServerName::try_from(server_name.to_string()).map_err(|_| {
            TransportError::local(
                Step::Tls,
                format!("`{server_name}` is not a valid TLS server name"),
            )
        })?;
        Ok(Dialer {
            address,
            url,
            server_name,
            tls,
            proxy: None,
            timeout: DIAL_TIMEOUT,
            what,
        })
    }

    /// The `Host` of requests to this peer: the URL's authority.
    pub fn url_host(&self) -> String {
        self.url
            .parse::<http::Uri>()
            .ok()
            .and_then(|u| u.authority().map(|a| a.to_string()))
            .unwrap_or_else(|| self.address.clone())
    }

    /// A step toward the peer that took longer than the dialer's timeout (the proxy bounds its
    /// own exchange).
    fn timed_out(&self, step: Step, what: &str) -> TransportError {
        let message = format!("{what} {} timed out", self.address);
        TransportError::transient(step, Who::Peer, message)
    }

    /// TCP (through the proxy, if any), then TLS with the peer's certificate verified.
    pub async fn tls(&self) -> Result<TlsStream<TcpStream>, TransportError> {
        let tcp = match &self.proxy {
            Some(proxy) => proxy.connect(&self.address, self.timeout).await?,
            None => tokio::time::timeout(self.timeout, TcpStream::connect(&self.address))
                .await
                .map_err(|_| self.timed_out(Step::Connect, "connecting to"))?
                .map_err(|e| {
                    let message = format!("cannot connect to {}: {e}", self.address);
                    TransportError::transient(Step::Connect, Who::Peer, message)
                })?,
        };
        let _ = tcp.set_nodelay(true);
        let handshake = TlsConnector::from(self.tls.clone()).connect(self.server_name.clone(), tcp);
        tokio::time::timeout(self.timeout, handshake)
            .await
            .map_err(|_| self.timed_out(Step::Tls, "TLS handshake with"))?
            .map_err(|e| {
                let message = format!("TLS handshake failed with {}: {e}", self.address);
                TransportError::transient(Step::Tls, Who::Peer, message)
            })
    }

    /// Dials and upgrades, offering `offer` (most preferred first). `headers` gets the TLS
    /// session's exporter and returns the request's own headers (a signature, a proof, a token).
    pub async fn websocket(
        &self,
        offer: &[&'static str],
        headers: impl FnOnce(&Exporter) -> Result<HeaderMap, TransportError>,
    ) -> Result<Dialled, TransportError> {
        let tls = self.tls().await?;
        let exporter: Exporter = tls
            .get_ref()
            .1
            .export_keying_material([0u8; EXPORTER_LEN], EXPORTER_LABEL, None)
            .map_err(|e| {
                let message = format!("cannot export keying material with {}: {e}", self.address);
                TransportError::transient(Step::Tls, Who::Peer, message)
            })?;
        let mut request = self.url.as_str().into_client_request().map_err(|e| {
            TransportError::local(Step::Upgrade, format!("bad URL {}: {e}", self.url))
        })?;
        request.headers_mut().extend(headers(&exporter)?);
        let offered = HeaderValue::from_str(&offer.join(", ")).map_err(|_| {
            TransportError::local(Step::Upgrade, format!("bad subprotocols {offer:?}"))
        })?;
        request
            .headers_mut()
            .insert(http::header::SEC_WEBSOCKET_PROTOCOL, offered);
        let upgrade =
            tokio_tungstenite::client_async_with_config(request, tls, Some(session_ws_config()));
        let (ws, response) = tokio::time::timeout(self.timeout, upgrade)
            .await
            .map_err(|_| self.timed_out(Step::Upgrade, "WebSocket upgrade with"))?
            .map_err(|e| self.upgrade_failed(e))?;
        let chosen = response
            .headers()
            .get(http::header::SEC_WEBSOCKET_PROTOCOL)
            .and_then(|v| v.to_str().ok());
        let subprotocol = offer.iter().find(|p| Some(**p) == chosen).ok_or_else(|| {
            let message = format!(
                "{} accepted the {} with subprotocol {chosen:?}, which was not offered ({offer:?})",
                self.address, self.what
            );
            TransportError::permanent(Step::Upgrade, Who::Peer, message)
        })?;
        Ok(Dialled {
            ws,
            subprotocol,
            exporter,
        })
    }

    /// A refusal carries the peer's status and one-line reason, permanent or transient as the
    /// peer said (a 503 is always worth another try).
    fn upgrade_failed(&self, e: WsError) -> TransportError {
        let WsError::Http(response) = e else {
            let message = format!("WebSocket handshake failed with {}: {e}", self.address);
            return TransportError::transient(Step::Upgrade, Who::Peer, message);
        };
        let status = response.status();
        let reason = response
            .body()
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).trim().to_string())
            .unwrap_or_default();
        let message = format!(
            "edge {} refused the {}: {status} {reason}",
            self.address, self.what
        );
        let retry = match Refusal::of_response(status, response.headers()) {
            Refusal::Permanent if status != StatusCode::SERVICE_UNAVAILABLE => Retry::Never,
            _ => Retry::Safe,
        };
        TransportError::refused(status, retry, message)
    }
}
