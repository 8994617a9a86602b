//! TLS toward https origins: the roots an origin's certificate is checked against (the system's,
//! plus `caPool`), `noTLSVerify`, and ALPN for `http2Origin`.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use super::{OriginRequest, ServiceError};

pub(super) fn tls_config(settings: &OriginRequest) -> Result<Arc<ClientConfig>, ServiceError> {
    let mut config = if settings.no_tls_verify {
        ClientConfig::builder()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(
                rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms,
            )))
            .with_no_client_auth()
    } else {
        let roots = origin_roots(settings)?;
        ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth()
    };
    config.alpn_protocols = if settings.http2_origin {
        vec![b"h2".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(Arc::new(config))
}

/// The CAs an https origin's certificate is checked against: the system's roots, and `caPool`'s
/// added to them, as cloudflared does.
fn origin_roots(settings: &OriginRequest) -> Result<rustls::RootCertStore, ServiceError> {
    let extra = match &settings.ca_pool {
        Some(path) => {
            let bad = |why: String| ServiceError::CaPool {
                path: path.clone(),
                why,
            };
            let pem = tether_runtime::small_file::read(path).map_err(|e| {
                bad(format!("{e}; write the path of a PEM file of the CA that signed the origin's certificate"))
            })?;
            tether_proto::trust::certificates_from_pem(&pem).map_err(|e| bad(e.to_string()))?
        }
        None => Vec::new(),
    };
    let mut roots = match tether_proto::trust::root_store(None) {
        Ok(roots) => roots,
        // No system roots is fine when `caPool` has what the origin needs.
        Err(_) if !extra.is_empty() => rustls::RootCertStore::empty(),
        Err(e) => return Err(ServiceError::NoRoots(e.to_string())),
    };
    for cert in extra {
        roots.add(cert).map_err(|e| ServiceError::CaPool {
            path: settings.ca_pool.clone().unwrap_or_default(),
            why: e.to_string(),
        })?;
    }
    Ok(roots)
}

/// `noTLSVerify: true`: the user asked to accept any origin certificate (a self-signed origin on
/// the same host, typically). Signatures are still checked so the handshake stays well-formed,
/// with the algorithms of the provider, taken once when the origin's config is built.
#[derive(Debug)]
struct NoVerify(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
#[path = "origin_tests.rs"]
mod tests;
