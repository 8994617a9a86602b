//! The edges' tunnel CA: kept in the store (`cluster/ca`), created once by compare-and-set and
//! read by every edge, exported as `STATE/ca.pem` for clients to trust. It signs the tunnel
//! listener's certificate and, with `tls.dev-ca`, certificates for routed hostnames that have no
//! configured one. A CA left in the state directory by an older edge (`ca.pem`, `ca-key.pem`)
//! is moved into the store on first start, so connectors' credentials keep working.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::state::{CaRecord, State, StateError, CLUSTER_CA};

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error(transparent)]
    State(#[from] StateError),
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
    /// The same certificate, sent after each certificate the CA issues, so a connector holding
    /// only the CA's pin (a token) can verify the chain.
    der: CertificateDer<'static>,
}

/// How long a certificate the CA issues is valid: what public CAs issue for (Let's Encrypt), so
/// scanners that flag decades-long leaves accept it.
pub const LEAF_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);
/// A leaf is issued again once this old, a month before it expires, as ACME clients renew.
pub const LEAF_RENEW_AFTER: Duration = Duration::from_secs(60 * 24 * 3600);
/// Room for clocks behind ours: a leaf is valid from a day before it was issued.
const LEAF_BACKDATE: Duration = Duration::from_secs(24 * 3600);

/// A certificate the CA issued, and when, so it is issued again before it expires.
#[derive(Clone)]
pub struct Leaf {
    pub cert: Arc<CertifiedKey>,
    pub issued: Instant,
}

impl Leaf {
    /// Whether the leaf is young enough to serve at `now`.
    pub fn fresh(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.issued) < LEAF_RENEW_AFTER
    }
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
    /// The cluster's CA from the store; the first to ask creates it (from the files an older
    /// edge left in `legacy_dir`, if any).
    pub async fn load_or_create(state: &State, legacy_dir: &Path) -> Result<TunnelCa, CaError> {
        let record = state
            .get_or_create(CLUSTER_CA, || first_record(legacy_dir))
            .await?;
        let key = KeyPair::from_pem(&record.key_pem)?;
        TunnelCa::new(key, record.cert_pem)
    }

    fn new(key: KeyPair, pem: String) -> Result<TunnelCa, CaError> {
        let der = tether_proto::trust::certificates_from_pem(pem.as_bytes())
            .ok()
            .and_then(|certs| certs.into_iter().next())
            .ok_or_else(|| CaError::Key("the stored CA certificate is not valid PEM".into()))?;
        Ok(TunnelCa {
            issuer: Issuer::new(ca_params(), key),
            pem,
            der,
        })
    }

    /// A CA of its own, in no store (tests).
    pub fn generate() -> Result<TunnelCa, CaError> {
        let key = KeyPair::generate()?;
        let pem = ca_params().self_signed(&key)?.pem();
        TunnelCa::new(key, pem)
    }

    /// Writes `DIR/ca.pem` (the certificate only) for clients to trust.
    pub fn export(&self, dir: &Path) -> Result<(), CaError> {
        let io = |message: String| CaError::Io {
            dir: dir.display().to_string(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| io(format!("cannot create: {e}")))?;
        let path = dir.join(CA_CERT);
        if std::fs::read_to_string(&path).is_ok_and(|pem| pem == self.pem) {
            return Ok(());
        }
        std::fs::write(&path, &self.pem).map_err(|e| io(format!("cannot write {CA_CERT}: {e}")))
    }

    /// Issues a server certificate for `names` (DNS names or IP addresses), ready for rustls.
    pub fn issue(&self, names: &[String]) -> Result<Arc<CertifiedKey>, CaError> {
        Ok(self.issue_leaf(names)?.cert)
    }

    /// [`TunnelCa::issue`], valid for [`LEAF_LIFETIME`] from now.
    pub fn issue_leaf(&self, names: &[String]) -> Result<Leaf, CaError> {
        let issued = Instant::now();
        let now = time::OffsetDateTime::now_utc();
        let mut params = CertificateParams::new(names.to_vec())?;
        params.not_before = now - LEAF_BACKDATE;
        params.not_after = now + LEAF_LIFETIME;
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
        let chain = vec![CertificateDer::from(cert.der().to_vec()), self.der.clone()];
        let cert = Arc::new(CertifiedKey::new(chain, signing));
        Ok(Leaf { cert, issued })
    }
}

/// The CA to store when there is none: the one an older edge left in `dir`, else a new one.
fn first_record(dir: &Path) -> Result<CaRecord, CaError> {
    let io = |message: String| CaError::Io {
        dir: dir.display().to_string(),
        message,
    };
    let (cert_path, key_path): (PathBuf, PathBuf) = (dir.join(CA_CERT), dir.join(CA_KEY));
    if key_path.exists() {
        let key_pem = std::fs::read_to_string(&key_path)
            .map_err(|e| io(format!("cannot read {CA_KEY}: {e}")))?;
        let cert_pem = std::fs::read_to_string(&cert_path)
            .map_err(|e| io(format!("cannot read {CA_CERT}: {e}")))?;
        KeyPair::from_pem(&key_pem)?;
        tracing::info!(dir = %dir.display(), "moving the tunnel CA from the state directory into the store");
        return Ok(CaRecord { cert_pem, key_pem });
    }
    let key = KeyPair::generate()?;
    let cert_pem = ca_params().self_signed(&key)?.pem();
    Ok(CaRecord {
        cert_pem,
        key_pem: key.serialize_pem(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::store::SqliteStore;

    #[test]
    fn leaves_live_ninety_days_and_are_renewed_a_month_before() {
        let ca = TunnelCa::generate().unwrap();
        let leaf = ca.issue_leaf(&["app.example.test".into()]).unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&leaf.cert.cert[0]).unwrap();
        let validity = cert.validity();
        let lifetime = validity.not_after.timestamp() - validity.not_before.timestamp();
        assert_eq!(lifetime as u64, (LEAF_LIFETIME + LEAF_BACKDATE).as_secs());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let day = 24 * 3600;
        assert!(
            (validity.not_before.timestamp() - (now - day)).abs() < 60,
            "valid from a day ago"
        );
        assert!(leaf.fresh(leaf.issued));
        assert!(leaf.fresh(leaf.issued + LEAF_RENEW_AFTER - Duration::from_secs(1)));
        assert!(!leaf.fresh(leaf.issued + LEAF_RENEW_AFTER));
        assert!(LEAF_RENEW_AFTER + Duration::from_secs(7 * 24 * 3600) < LEAF_LIFETIME);
    }

    #[tokio::test]
    async fn concurrent_first_loads_agree_on_one_ca() {
        // `edge tunnel create` run while `edge run` starts: both ask for the CA at once.
        let dir = tempfile::tempdir().unwrap();
        let open = || State::new(std::sync::Arc::new(SqliteStore::open(dir.path()).unwrap()));
        let (a, b) = (open(), open());
        let (one, two) = tokio::join!(
            TunnelCa::load_or_create(&a, dir.path()),
            TunnelCa::load_or_create(&b, dir.path())
        );
        let (one, two) = (one.unwrap(), two.unwrap());
        assert_eq!(one.pem, two.pem);
        let again = TunnelCa::load_or_create(&open(), dir.path()).await.unwrap();
        assert_eq!(again.pem, one.pem);
    }

    #[tokio::test]
    async fn a_ca_left_in_the_state_directory_moves_into_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let key = KeyPair::generate().unwrap();
        let pem = ca_params().self_signed(&key).unwrap().pem();
        std::fs::write(dir.path().join(CA_CERT), &pem).unwrap();
        std::fs::write(dir.path().join(CA_KEY), key.serialize_pem()).unwrap();
        let state = State::new(std::sync::Arc::new(SqliteStore::open(dir.path()).unwrap()));
        let loaded = TunnelCa::load_or_create(&state, dir.path()).await.unwrap();
        assert_eq!(loaded.pem, pem);
    }
}
