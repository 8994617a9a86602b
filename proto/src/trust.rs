//! How the connector verifies the edge: against the CA pinned in its credentials, or against the
//! system roots when the edge uses a public certificate. Verification is never skipped.

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("the pinned edge CA is not valid PEM: {0}")]
    BadPem(String),
    #[error("no usable certificate in the pinned edge CA")]
    Empty,
    #[error("cannot load the system root certificates: {0}")]
    System(String),
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

/// Client configuration for the tunnel session: HTTP/1.1 only (the WebSocket upgrade).
pub fn session_client_config(pinned: Option<&str>) -> Result<Arc<ClientConfig>, TrustError> {
    let mut config = ClientConfig::builder()
        .with_root_certificates(root_store(pinned)?)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
