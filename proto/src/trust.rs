//! How the connector verifies the edge: against the CA pinned in its credentials, against the CA
//! whose key a token pins, or against the system roots when the edge uses a public certificate.
//! Verification is never skipped, and every session is TLS 1.3.

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use sha2::Digest;

#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("the pinned edge CA is not valid PEM: {0}")]
    BadPem(String),
    #[error("no usable certificate in the pinned edge CA")]
    Empty,
    #[error("cannot load the system root certificates: {0}")]
    System(String),
    #[error("a root certificate is not usable: {0}")]
    BadRoot(String),
}

/// Parses every certificate in a PEM string.
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TrustError> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TrustError::BadPem(e.to_string()))
}

/// Root store from a pinned PEM CA, or from the system when `pinned` is `None`.
pub fn root_store(pinned: Option<&str>) -> Result<RootCertStore, TrustError> {
    let mut roots = RootCertStore::empty();
    match pinned {
        Some(pem) => {
            for cert in certificates_from_pem(pem.as_bytes())? {
                roots
                    .add(cert)
                    .map_err(|e| TrustError::BadPem(e.to_string()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            if found.certs.is_empty() {
                let why = found.errors.first().map(|e| e.to_string());
                return Err(TrustError::System(
                    why.unwrap_or_else(|| "none found".into()),
                ));
            }
            roots.add_parsable_certificates(found.certs);
        }
    }
    if roots.is_empty() {
        return Err(TrustError::Empty);
    }
    Ok(roots)
}

/// Client configuration for ordinary HTTPS servers the edge talks to (identity providers, ACME
/// CAs): the system's roots plus `extra` (a private CA), TLS 1.2 or 1.3.
pub fn web_client_config(extra: Vec<CertificateDer<'static>>) -> Result<ClientConfig, TrustError> {
    // No system roots at all is fine when `extra` is what the server needs.
    let mut roots = root_store(None).unwrap_or_else(|_| RootCertStore::empty());
    for cert in extra {
        roots
            .add(cert)
            .map_err(|e| TrustError::BadRoot(e.to_string()))?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TrustError::BadRoot(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Client configuration for the tunnel session: TLS 1.3 (the exporter the session proof is
/// bound to), HTTP/1.1 only (the WebSocket upgrade).
pub fn session_client_config(pinned: Option<&str>) -> Result<Arc<ClientConfig>, TrustError> {
    Trust::from_pem(pinned).client_config(&[b"http/1.1"])
}

/// The pin of a CA: the SHA-256 of its SubjectPublicKeyInfo, in hex (what kubeadm's
/// `--discovery-token-ca-cert-hash` pins). It names the CA's key, so a CA certificate re-issued
/// for the same key keeps its pin.
pub fn ca_pin(cert: &CertificateDer<'_>) -> Result<String, TrustError> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref())
        .map_err(|e| TrustError::BadPem(format!("not an X.509 certificate: {e}")))?;
    Ok(hex::encode(sha2::Sha256::digest(
        parsed.tbs_certificate.subject_pki.raw,
    )))
}

/// The pin of the first certificate in a PEM string.
pub fn ca_pin_of_pem(pem: &str) -> Result<String, TrustError> {
    let certs = certificates_from_pem(pem.as_bytes())?;
    ca_pin(certs.first().ok_or(TrustError::Empty)?)
}

/// How a client trusts the edge.
#[derive(Debug, Clone)]
pub enum Trust {
    /// The CA in this PEM (a credentials file's `EdgeCA`).
    Ca(String),
    /// Whichever CA in the edge's own chain has this [`ca_pin`] (a token): the edge sends its CA
    /// after its certificate, and the certificate must verify against it.
    Pin(String),
    /// The system roots (an edge with a public certificate).
    System,
}

impl Trust {
    /// From a credentials file's optional `EdgeCA`.
    pub fn from_pem(pem: Option<&str>) -> Trust {
        pem.map_or(Trust::System, |p| Trust::Ca(p.to_string()))
    }

    /// A TLS 1.3 client configuration offering `alpn`.
    pub fn client_config(&self, alpn: &[&[u8]]) -> Result<Arc<ClientConfig>, TrustError> {
        let builder = ClientConfig::builder_with_protocol_versions(&[&rustls::version::TLS13]);
        let mut config = match self {
            Trust::Ca(pem) => builder.with_root_certificates(root_store(Some(pem))?),
            Trust::System => builder.with_root_certificates(root_store(None)?),
            Trust::Pin(pin) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(PinVerifier::new(pin)?)),
        }
        .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}

/// Verifies the edge against the CA its chain carries, once that CA's key matches the pin. The
/// chain is then checked exactly as against a root store holding that CA (webpki), so only
/// where the trust anchor comes from differs. rustls has no verifier of this kind.
#[derive(Debug)]
struct PinVerifier {
    pin: String,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl PinVerifier {
    fn new(pin: &str) -> Result<PinVerifier, TrustError> {
        let pin = pin.to_ascii_lowercase();
        if pin.len() != 64 || !pin.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(TrustError::BadPem(
                "a CA pin is 64 hex digits (SHA-256)".into(),
            ));
        }
        Ok(PinVerifier {
            pin,
            provider: Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        })
    }
}

impl rustls::client::danger::ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &rustls_pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let anchor = intermediates
            .iter()
            .find(|c| ca_pin(c).is_ok_and(|p| p == self.pin))
            .ok_or_else(|| {
                rustls::Error::General(
                    "the edge's certificate chain holds no CA with the pinned key (wrong edge, or a token from another cluster)".into(),
                )
            })?;
        let mut roots = RootCertStore::empty();
        roots
            .add(anchor.clone().into_owned())
            .map_err(|e| rustls::Error::General(format!("pinned CA: {e}")))?;
        let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            self.provider.clone(),
        )
        .build()
        .map_err(|e| rustls::Error::General(e.to_string()))?;
        webpki.verify_server_cert(end_entity, &[], server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
