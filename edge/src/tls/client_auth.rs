//! mTLS by SNI: the TLS settings a handshake gets once its ClientHello has been read. A
//! public HTTPS connection whose SNI names a route with an `mtls` policy must present a client
//! certificate from that route's CA in the handshake (no certificate, or another CA's, and the
//! handshake fails); every other connection is served without client authentication. The
//! settings for each route are built once, at its first such handshake, and kept with its
//! compiled policy (`crate::view`). Whether a request then passes is
//! `policy::mtls`: its connection must carry a certificate verified against its route's CA
//! (a connection opened for another name, reused for this one, gets 421).

use std::sync::Arc;

use rustls::server::ResolvesServerCert;
use rustls::ServerConfig;
use rustls_pki_types::CertificateDer;

use super::acme_certs::AcmeCerts;
use super::certs::CertResolver;
use crate::policy::CompiledPolicy;
use crate::view::View;

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
    view: View,
    /// Which names have a certificate (`acme_certs::Handshake::UnrecognizedName`).
    pub(super) certs: Arc<CertResolver>,
    /// TLS-ALPN-01 validations in flight.
    pub(super) acme: Option<Arc<AcmeCerts>>,
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
        view: View,
        acme: Option<Arc<AcmeCerts>>,
    ) -> ServerTls {
        let by_sni = BySni { view, certs, acme };
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
        let Some(route) = by_sni.view.route(sni) else {
            return (self.base.clone(), None);
        };
        match &route.access.policy {
            Some(CompiledPolicy::Mtls(mtls)) => {
                let config = mtls.server_config.get_or_init(|| {
                    let resolver: Arc<dyn ResolvesServerCert> = by_sni.certs.clone();
                    let mut config = ServerConfig::builder()
                        .with_client_cert_verifier(mtls.verifier.clone())
                        .with_cert_resolver(resolver);
                    config.alpn_protocols = self.base.alpn_protocols.clone();
                    Arc::new(config)
                });
                (config.clone(), Some(mtls.ca_id))
            }
            // Not mtls, or a policy that no longer compiles, which refuses every request itself.
            _ => (self.base.clone(), None),
        }
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
