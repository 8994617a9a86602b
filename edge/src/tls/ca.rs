//! The edge's tunnel CA: created in the state directory on first start, exported as
//! `STATE/ca.pem`. It signs the tunnel listener's certificate and, with `tls.dev-ca`, certificates
//! for routed hostnames that have no configured one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("tunnel CA in {dir}: {message}")]
    Io { dir: String, message: String },
    #[error("cannot issue a certificate: {0}")]
    Issue(#[from] rcgen::Error),
    #[error("cannot use the issued key: {0}")]
    Key(String),
}

pub struct TunnelCa {
    issuer: Issuer<'static, KeyPair>,
    /// PEM of the CA certificate (what connectors pin).
    pub pem: String,
    /// The CA key's PKCS#8 DER: every edge sharing this state directory holds it, and nothing
    /// else does, so the edge-to-edge link key is derived from it (`links/key.rs`).
    key_der: Vec<u8>,
}

const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca-key.pem";

/// The CA's parameters are rebuilt the same way on each load, so the issuer name and key
/// identifier of certificates it signs always match the stored `ca.pem`.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "Tether tunnel CA");
    dn.push(DnType::OrganizationName, "Tether");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    params.use_authority_key_identifier_extension = false;
    params
}

impl TunnelCa {
    /// Loads `DIR/ca.pem` and `DIR/ca-key.pem`, creating them if absent.
    pub fn load_or_create(dir: &Path) -> Result<TunnelCa, CaError> {
        let io = |message: String| CaError::Io {
            dir: dir.display().to_string(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| io(format!("cannot create: {e}")))?;
        let (cert_path, key_path): (PathBuf, PathBuf) = (dir.join(CA_CERT), dir.join(CA_KEY));
        if key_path.exists() {
            let key_pem = std::fs::read_to_string(&key_path)
                .map_err(|e| io(format!("cannot read {CA_KEY}: {e}")))?;
            let pem = std::fs::read_to_string(&cert_path)
                .map_err(|e| io(format!("cannot read {CA_CERT}: {e}")))?;
            let key = KeyPair::from_pem(&key_pem)?;
            return Ok(TunnelCa {
                key_der: key.serialize_der(),
                issuer: Issuer::new(ca_params(), key),
                pem,
            });
        }
        let key = KeyPair::generate()?;
        let pem = ca_params().self_signed(&key)?.pem();
        write_private(&key_path, key.serialize_pem().as_bytes())
            .map_err(|e| io(format!("cannot write {CA_KEY}: {e}")))?;
        std::fs::write(&cert_path, &pem).map_err(|e| io(format!("cannot write {CA_CERT}: {e}")))?;
        Ok(TunnelCa {
            key_der: key.serialize_der(),
            issuer: Issuer::new(ca_params(), key),
            pem,
        })
    }

    /// The CA key's PKCS#8 DER (to derive the link key from).
    pub fn key_der(&self) -> &[u8] {
        &self.key_der
    }

    /// Issues a server certificate for `names` (DNS names or IP addresses), ready for rustls.
    pub fn issue(&self, names: &[String]) -> Result<Arc<CertifiedKey>, CaError> {
        let mut params = CertificateParams::new(names.to_vec())?;
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        params.distinguished_name = dn;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        let der_key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let signing = rustls::crypto::aws_lc_rs::sign::any_supported_type(&der_key)
            .map_err(|e| CaError::Key(e.to_string()))?;
        let chain = vec![CertificateDer::from(cert.der().to_vec())];
        Ok(Arc::new(CertifiedKey::new(chain, signing)))
    }
}

/// Writes a secret file readable only by its owner (mode 0600 on Unix).
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}
