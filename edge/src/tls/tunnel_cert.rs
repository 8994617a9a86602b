//! The tunnel listener's certificate: issued by the tunnel CA for the names connectors dial, and
//! served whatever the SNI; issued again when it is due for renewal (`LEAF_RENEW_AFTER`), so an
//! edge that runs for months never serves an expired one.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::config::EdgeConfig;

use super::ca::{CaError, Leaf, TunnelCa};

/// A certificate for the tunnel listener bound at `bound`, ready to serve.
pub fn tunnel_certificate(
    ca: &Arc<TunnelCa>,
    config: &EdgeConfig,
    bound: Option<SocketAddr>,
) -> Result<Arc<RenewedCert>, CaError> {
    let names = tunnel_certificate_names(config, bound);
    let leaf = ca.issue_leaf(&names)?;
    Ok(Arc::new(RenewedCert {
        ca: ca.clone(),
        names,
        leaf: Mutex::new(leaf),
    }))
}

/// One certificate from the tunnel CA, whatever the SNI, issued again once it is due.
pub struct RenewedCert {
    ca: Arc<TunnelCa>,
    names: Vec<String>,
    leaf: Mutex<Leaf>,
}

impl std::fmt::Debug for RenewedCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenewedCert")
            .field("names", &self.names)
            .finish()
    }
}

impl rustls::server::ResolvesServerCert for RenewedCert {
    fn resolve(
        &self,
        _: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        let mut leaf = self.leaf.lock().ok()?;
        if !leaf.fresh(Instant::now()) {
            match self.ca.issue_leaf(&self.names) {
                Ok(renewed) => *leaf = renewed,
                // The old one still has a month to run: keep serving it, and try again.
                Err(e) => tracing::warn!(error = %e, "cannot renew the tunnel certificate"),
            }
        }
        Some(leaf.cert.clone())
    }
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
