//! Reaching an edge: the transport's one dialer (`tether_transport::dial`), aimed at the
//! credentials' edge address or a `tunnel.yml` `edge:` override; a session that fails is retried
//! or given up as the failure says.

use std::sync::Arc;

use tether_transport::dial::Dialer;
use tether_transport::error::TransportError;

/// A dialer for the credentials' address or a `tunnel.yml` `edge:` override (`HOST:PORT` or a
/// `wss://` URL, e.g. the edge's public HTTPS port and reserved path). A URL names the host whose
/// certificate we expect; `HOST:PORT` is the tunnel listener, whose certificate carries the
/// credentials' server name.
pub fn edge_dialer(
    edge: &str,
    server_name: &str,
    tls: Arc<rustls::ClientConfig>,
    what: &'static str,
) -> Result<Dialer, TransportError> {
    let endpoint = tether_proto::endpoint::Endpoint::parse(edge).map_err(|e| {
        TransportError::local(tether_transport::error::Step::Connect, e.to_string())
    })?;
    let name = if endpoint.is_url {
        endpoint.host.clone()
    } else {
        server_name.to_string()
    };
    Dialer::new(endpoint.address(), endpoint.url, &name, tls, what)
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

/// Why the connector's sessions stopped before a shutdown asked them to.
#[derive(Debug, thiserror::Error)]
pub enum Stopped {
    /// The edge refused the tunnel for good (deleted, wrong key, revoked): retrying cannot help,
    /// so the binary exits with its own status and a service manager can leave it stopped.
    #[error("the edge refused this tunnel: {0}")]
    Refused(String),
    /// A session's task panicked (a bug): the connector exits rather than run on short a slot.
    #[error("a session task failed: {0}")]
    Failed(String),
}

impl From<TransportError> for SessionError {
    fn from(e: TransportError) -> SessionError {
        match e.retry_is_safe() {
            true => SessionError::Transient(e.to_string()),
            false => SessionError::Permanent(e.to_string()),
        }
    }
}
