//! mTLS by SNI: the TLS settings a handshake gets once its ClientHello has been read. A
//! public HTTPS connection whose SNI names a route with an `mtls` policy must present a client
//! certificate from that route's CA in the handshake (no certificate, or another CA's, and the
//! handshake fails); every other connection is served without client authentication. The
//! settings for each CA are built once and kept. Whether a request then passes is
//! `policy::mtls`: its connection must carry a certificate verified against its route's CA
//! (a connection opened for another name, reused for this one, gets 421).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rustls::server::{ResolvesServerCert, WebPkiClientVerifier};
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::CertificateDer;

use super::acme_certs::AcmeCerts;
use super::certs::CertResolver;
use crate::policy::{pem_roots, PolicyError};
use crate::state::route_policy::Policy;
use crate::state::route_table::RouteTable;

/// The client certificate a handshake verified, and against which route CA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCert {
    /// [`crate::state::route_policy::MtlsPolicy::ca_id`] of the CA it was verified against.
    pub ca: [u8; 32],
    /// The certificate's subject common name (else the whole subject).
    pub subject: String,
}

/// Which settings a listener's handshakes get.
pub struct ServerTls {
    base: Arc<ServerConfig>,
    pub(super) by_sni: Option<BySni>,
}

pub(super) struct BySni {
    routes: RouteTable,
    /// Which names have a certificate (`acme_certs::Handshake::UnrecognizedName`).
    pub(super) certs: Arc<CertResolver>,
    /// TLS-ALPN-01 validations in flight.
    pub(super) acme: Option<Arc<AcmeCerts>>,
    by_ca: Mutex<HashMap<[u8; 32], Arc<ServerConfig>>>,
}

impl ServerTls {
    /// The same settings for every handshake (the tunnel listener).
    pub fn fixed(base: Arc<ServerConfig>) -> ServerTls {
        ServerTls { base, by_sni: None }
    }

    /// `base`, except for SNI names whose route asks for a client certificate, ACME
    /// validations, and names without a certificate.
    pub fn by_sni(
        base: Arc<ServerConfig>,
        certs: Arc<CertResolver>,
        routes: RouteTable,
        acme: Option<Arc<AcmeCerts>>,
    ) -> ServerTls {
        let by_sni = BySni {
            routes,
            certs,
            acme,
            by_ca: Mutex::default(),
        };
        ServerTls {
            base,
            by_sni: Some(by_sni),
        }
    }

    /// The settings for a ClientHello naming `sni`, and the CA a client certificate must come
    /// from, if one must.
    pub fn choose(&self, sni: Option<&str>) -> (Arc<ServerConfig>, Option<[u8; 32]>) {
        let (Some(by_sni), Some(sni)) = (&self.by_sni, sni) else {
            return (self.base.clone(), None);
        };
        let Some(route) = by_sni.routes.route(sni) else {
            return (self.base.clone(), None);
        };
        let Some(Policy::Mtls(mtls)) = &route.rules.policy else {
            return (self.base.clone(), None);
        };
        let id = mtls.ca_id();
        let Ok(mut by_ca) = by_sni.by_ca.lock() else {
            return (self.base.clone(), None);
        };
        if let Some(config) = by_ca.get(&id) {
            return (config.clone(), Some(id));
        }
        let resolver: Arc<dyn ResolvesServerCert> = by_sni.certs.clone();
        match self.requiring(&resolver, &mtls.ca) {
            Ok(config) => {
                by_ca.insert(id, config.clone());
                (config, Some(id))
            }
            Err(e) => {
                // Checked when the policy was set; a CA that no longer parses refuses everyone.
                tracing::error!(hostname = sni, error = %e, "the route's mtls CA is not usable");
                (self.base.clone(), Some(id))
            }
        }
    }

    /// `base` with a client certificate from `ca_pem` required.
    fn requiring(
        &self,
        resolver: &Arc<dyn ResolvesServerCert>,
        ca_pem: &str,
    ) -> Result<Arc<ServerConfig>, PolicyError> {
        let mut roots = RootCertStore::empty();
        for cert in pem_roots(ca_pem)? {
            roots
                .add(cert)
                .map_err(|e| PolicyError::Tls(e.to_string()))?;
        }
        let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
            .build()
            .map_err(|e| PolicyError::Tls(e.to_string()))?;
        let mut config = ServerConfig::builder()
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(resolver.clone());
        config.alpn_protocols = self.base.alpn_protocols.clone();
        Ok(Arc::new(config))
    }
}

/// What a verified client certificate says of its holder: the subject's common name, else the
/// whole subject.
pub fn subject(cert: &CertificateDer<'_>) -> String {
    match x509_parser::parse_x509_certificate(cert.as_ref()) {
        Ok((_, parsed)) => {
            let subject = parsed.subject();
            subject
                .iter_common_name()
                .next()
                .and_then(|cn| cn.as_str().ok())
                .map(str::to_string)
                .unwrap_or_else(|| subject.to_string())
        }
        Err(_) => "unknown".into(),
    }
}
