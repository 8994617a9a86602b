//! Choosing the certificate for a TLS handshake by SNI.
//!
//! rustls' built-in `ResolvesServerCertUsingSni` matches names exactly, so wildcard certificates
//! would never be chosen; this resolver asks webpki whether each configured certificate is valid
//! for the name (which applies RFC 6125 wildcard rules), and with `tls.dev-ca` issues a certificate
//! from the tunnel CA for a routed hostname that no configured certificate covers.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwap;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::acme_certs::AcmeCerts;
use super::ca::{Leaf, TunnelCa};
use crate::config::CertificateFiles;
use crate::view::View;
use tether_proto::hostname::normalize_host;

#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
}

/// Loads a PEM certificate chain and its private key for rustls.
pub fn load_pair(files: &CertificateFiles) -> Result<Arc<CertifiedKey>, CertError> {
    let read = |path: &Path, message: String| CertError::Read {
        path: path.display().to_string(),
        message,
    };
    let chain = tether_runtime::small_file::read(&files.cert)
        .map_err(|e| read(&files.cert, e.to_string()))?;
    let key = tether_runtime::small_file::read(&files.key)
        .map_err(|e| read(&files.key, e.to_string()))?;
    certified_key_from_pem(&chain, &key).map_err(|e| match e {
        PemError::Chain(m) => read(&files.cert, m),
        PemError::Key(m) => read(&files.key, m),
        PemError::Mismatch => read(
            &files.key,
            format!(
                "the key does not belong to the certificate in {}",
                files.cert.display()
            ),
        ),
    })
}

/// What is wrong with a PEM certificate chain and key.
#[derive(Debug, thiserror::Error)]
pub enum PemError {
    #[error("certificate chain: {0}")]
    Chain(String),
    #[error("private key: {0}")]
    Key(String),
    #[error("the key does not belong to the certificate")]
    Mismatch,
}

/// A PEM chain (leaf first) and its PEM private key, ready for rustls.
pub fn certified_key_from_pem(chain: &[u8], key: &[u8]) -> Result<Arc<CertifiedKey>, PemError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain)
        .collect::<Result<_, _>>()
        .map_err(|e| PemError::Chain(e.to_string()))?;
    if chain.is_empty() {
        return Err(PemError::Chain("no certificate in it".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| PemError::Key(e.to_string()))?;
    let signing = rustls::crypto::aws_lc_rs::sign::any_supported_type(&key)
        .map_err(|e| PemError::Key(format!("unsupported key: {e}")))?;
    let pair = CertifiedKey::new(chain, signing);
    // A renewal caught between its certificate and its key being replaced must not be served.
    if let Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) =
        pair.keys_match()
    {
        return Err(PemError::Mismatch);
    }
    Ok(Arc::new(pair))
}

/// Whether a certificate is valid for `host` by the RFC 6125 rules webpki implements.
pub fn covers(cert: &CertifiedKey, host: &str) -> bool {
    let Ok(name) = ServerName::try_from(host) else {
        return false;
    };
    let Some(der) = cert.cert.first() else {
        return false;
    };
    webpki::EndEntityCert::try_from(der)
        .is_ok_and(|ee| ee.verify_is_valid_for_subject_name(&name).is_ok())
}

/// Where certificates from the tunnel CA come from, and which names may get one.
pub struct DevCa {
    pub ca: Arc<TunnelCa>,
    pub view: View,
    /// The edge's own hostname gets one (connectors that dial it pin the tunnel CA).
    pub public_hostname: Option<String>,
    /// Routed names get one too (`tls.dev-ca`); else only the public hostname does.
    pub routed: bool,
}

/// Most dev certificates kept at once.
const MAX_ISSUED: usize = 1024;

pub struct CertResolver {
    /// `tls.certificates`, swapped whole when they are reloaded.
    configured: ArcSwap<Vec<Arc<CertifiedKey>>>,
    dev_ca: Option<DevCa>,
    /// Certificates ordered over ACME, served after the configured ones (`tls.acme`).
    acme: Option<Arc<AcmeCerts>>,
    /// Dev certificates issued so far, by name, so each name costs one key generation (until
    /// its leaf is due for renewal: `LEAF_RENEW_AFTER`).
    issued: Mutex<HashMap<String, Leaf>>,
}

impl std::fmt::Debug for CertResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertResolver")
            .field("configured", &self.configured.load().len())
            .finish()
    }
}

impl CertResolver {
    /// The configured certificates, then the ACME ones, then the tunnel CA: for routed names
    /// when `tls.dev-ca` is on, and for the public hostname unless `advertise.public-certificate`
    /// says connectors dial it trusting public CAs (they pin the tunnel CA otherwise, so it gets
    /// no ACME certificate).
    pub fn from_config(
        config: &crate::config::EdgeConfig,
        ca: &Arc<TunnelCa>,
        view: &View,
        acme: Option<Arc<AcmeCerts>>,
    ) -> Result<Self, CertError> {
        let configured = config
            .certificates
            .iter()
            .map(load_pair)
            .collect::<Result<Vec<_>, _>>()?;
        let dev_ca = Some(DevCa {
            ca: ca.clone(),
            view: view.clone(),
            public_hostname: config.pinned_public_hostname().map(str::to_string),
            routed: config.dev_ca,
        });
        let mut resolver = CertResolver::new(configured, dev_ca);
        resolver.acme = acme;
        Ok(resolver)
    }

    pub fn new(configured: Vec<Arc<CertifiedKey>>, dev_ca: Option<DevCa>) -> Self {
        CertResolver {
            configured: ArcSwap::from_pointee(configured),
            dev_ca,
            acme: None,
            issued: Mutex::new(HashMap::new()),
        }
    }

    /// Serves these certificates from the next handshake on (a reload); connections already
    /// open keep theirs.
    pub fn replace_configured(&self, configured: Vec<Arc<CertifiedKey>>) {
        self.configured.store(Arc::new(configured));
    }

    /// Whether a configured certificate (`tls.certificates`) covers `name` (for `*.zone`:
    /// every name one level under the zone).
    pub fn configured_covers(&self, name: &str) -> bool {
        let probe = name
            .strip_prefix("*.")
            .map(|zone| format!("any-name.{zone}"));
        let name = probe.as_deref().unwrap_or(name);
        self.configured.load().iter().any(|c| covers(c, name))
    }

    /// The certificate served for a (normalised) SNI name.
    pub fn for_name(&self, name: &str) -> Option<Arc<CertifiedKey>> {
        // Configured certificates are few: checking each costs microseconds and caches nothing,
        // so a scanner sending endless names under a wildcard grows no map.
        if let Some(cert) = self.configured.load().iter().find(|c| covers(c, name)) {
            return Some(cert.clone());
        }
        // The public hostname connectors pin stays the tunnel CA's, even under an ACME
        // wildcard.
        let pinned = self
            .dev_ca
            .as_ref()
            .is_some_and(|d| d.public_hostname.as_deref() == Some(name));
        if !pinned {
            if let Some(cert) = self.acme.as_ref().and_then(|a| a.for_name(name)) {
                return Some(cert);
            }
        }
        if let Some(hit) = self.issued.lock().ok()?.get(name) {
            if hit.fresh(Instant::now()) {
                return Some(hit.cert.clone());
            }
        }
        let issued = self.issue(name)?;
        let mut cache = self.issued.lock().ok()?;
        // Dev certificates are only issued for routed names, but a wildcard route admits any
        // number of them: keep the cache bounded (dev-ca is for testing, not for the internet).
        if cache.len() >= MAX_ISSUED {
            cache.clear();
        }
        cache.insert(name.to_string(), issued.clone());
        Some(issued.cert)
    }

    fn issue(&self, name: &str) -> Option<Leaf> {
        let dev = self.dev_ca.as_ref()?;
        let allowed = (dev.routed && dev.view.route(name).is_some())
            || dev.public_hostname.as_deref() == Some(name);
        if !allowed {
            return None;
        }
        match dev.ca.issue_leaf(&[name.to_string()]) {
            Ok(cert) => {
                tracing::info!(hostname = name, "issued a dev-ca certificate");
                Some(cert)
            }
            Err(e) => {
                tracing::warn!(hostname = name, error = %e, "cannot issue a dev-ca certificate");
                None
            }
        }
    }

    /// Whether the certificate served for `sni` also covers the request's `host`; when it does
    /// not, the request is misdirected (RFC 9110 §15.5.20, 421).
    pub fn served_covers(&self, sni: Option<&str>, host: &str) -> bool {
        match sni {
            Some(sni) if sni == host => true,
            Some(sni) => self.for_name(sni).is_some_and(|c| covers(&c, host)),
            // No SNI: we served the default certificate.
            None => self
                .configured
                .load()
                .first()
                .is_some_and(|c| covers(c, host)),
        }
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        match hello.server_name() {
            Some(name) => self.for_name(&normalize_host(name)),
            None => self.configured.load().first().cloned(),
        }
    }
}

/// A rustls server configuration offering `alpn` with certificates from `resolver`: TLS 1.3
/// only when `tls13_only` (the tunnel listener: what a session proves is bound to the TLS 1.3
/// exporter), else TLS 1.2 too (browsers).
pub fn server_config(
    resolver: Arc<dyn ResolvesServerCert>,
    alpn: &[&[u8]],
    tls13_only: bool,
) -> Arc<rustls::ServerConfig> {
    let builder = match tls13_only {
        true => rustls::ServerConfig::builder_with_protocol_versions(&[&rustls::version::TLS13]),
        false => rustls::ServerConfig::builder(),
    };
    let mut config = builder.with_no_client_auth().with_cert_resolver(resolver);
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_certificates_cover_one_level_only() {
        tether_proto::install_crypto_provider();
        let ca = TunnelCa::generate().unwrap();
        let wildcard = ca.issue(&["*.example.test".into()]).unwrap();
        let resolver = CertResolver::new(vec![wildcard], None);
        assert!(resolver.for_name("app.example.test").is_some());
        assert!(resolver.for_name("a.b.example.test").is_none());
        assert!(resolver.served_covers(Some("app.example.test"), "other.example.test"));
        assert!(!resolver.served_covers(Some("app.example.test"), "app.other.test"));
    }

    #[test]
    fn dev_ca_issues_only_for_routed_names() {
        tether_proto::install_crypto_provider();
        let routes = crate::state::route_table::RouteTable::default();
        routes.set([crate::state::RouteRecord::new(
            "hello.example.test".into(),
            uuid::Uuid::new_v4(),
        )]);
        let ca = Arc::new(TunnelCa::generate().unwrap());
        let resolver = CertResolver::new(
            vec![],
            Some(DevCa {
                ca,
                view: crate::view::View::of(&routes),
                public_hostname: None,
                routed: true,
            }),
        );
        let issued = resolver.for_name("hello.example.test").unwrap();
        assert!(covers(&issued, "hello.example.test"));
        assert!(resolver.for_name("unrouted.example.test").is_none());
    }

    #[test]
    fn configured_certificates_win_then_acme_then_nothing() {
        use crate::state::acme::AcmeTables;
        use crate::state::acme_records::{CertRecord, Secret};
        tether_proto::install_crypto_provider();
        let ca = TunnelCa::generate().unwrap();
        let configured = ca.issue(&["*.conf.test".into()]).unwrap();
        let record = |name: &str| {
            let key = rcgen::KeyPair::generate().unwrap();
            let params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
            let cert = params.self_signed(&key).unwrap();
            let record = CertRecord {
                name: name.into(),
                chain_pem: cert.pem(),
                key_pem: Secret(key.serialize_pem()),
                serial: name.into(),
                ..CertRecord::default()
            };
            (name.to_string(), record)
        };
        let tables = AcmeTables::default();
        tables.certs.set([
            record("app.conf.test"),
            record("app.acme.test"),
            record("*.wild.test"),
        ]);
        let mut resolver = CertResolver::new(vec![configured.clone()], None);
        resolver.acme = Some(AcmeCerts::new(tables));
        let served = |name: &str| resolver.for_name(name).map(|c| c.cert[0].clone());
        assert_eq!(served("app.conf.test"), Some(configured.cert[0].clone()));
        assert!(resolver.configured_covers("app.conf.test"));
        assert!(resolver.configured_covers("*.conf.test"));
        assert!(!resolver.configured_covers("*.acme.test"));
        let acme = served("app.acme.test").unwrap();
        assert_ne!(acme, configured.cert[0]);
        assert!(served("a.wild.test").is_some());
        assert!(served("a.b.wild.test").is_none());
        assert!(served("x.acme.test").is_none());
    }
}
