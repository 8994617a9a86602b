//! The tunnel listener's certificate: issued by the tunnel CA for the names connectors dial, and
//! served whatever the SNI.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::EdgeConfig;

use super::ca::{CaError, TunnelCa};

/// A certificate for the tunnel listener bound at `bound`, ready to serve.
pub fn tunnel_certificate(
    ca: &TunnelCa,
    config: &EdgeConfig,
    bound: Option<SocketAddr>,
) -> Result<Arc<SingleCert>, CaError> {
    let names = tunnel_certificate_names(config, bound);
    Ok(Arc::new(SingleCert::new(ca.issue(&names)?)))
}

/// The names in the tunnel listener's certificate: the advertised server name, plus the
/// advertised host when it is an IP address or `localhost`.
fn tunnel_certificate_names(config: &EdgeConfig, bound: Option<SocketAddr>) -> Vec<String> {
    let mut names = vec![config.server_name.clone()];
    let advertised = config
        .advertise_tunnel
        .as_deref()
        .and_then(|a| tether_proto::endpoint::Endpoint::parse(a).ok())
        .map(|e| e.host);
    for host in advertised
        .into_iter()
        .chain(bound.map(|a| a.ip().to_string()))
    {
        if !names.contains(&host) {
            names.push(host);
        }
    }
    names
}

/// Serves one certificate whatever the SNI (the tunnel listener, an ACME validation).
#[derive(Debug)]
pub struct SingleCert(Arc<rustls::sign::CertifiedKey>);

impl SingleCert {
    pub fn new(key: Arc<rustls::sign::CertifiedKey>) -> SingleCert {
        SingleCert(key)
    }
}

impl rustls::server::ResolvesServerCert for SingleCert {
    fn resolve(
        &self,
        _: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}
