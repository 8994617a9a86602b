//! What an issued chain says of itself: validity, serial and issuer, kept in its record for the
//! renewal schedule and `edge cert list`.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use super::AcmeError;

pub struct Facts {
    pub not_before: u64,
    pub not_after: u64,
    pub serial: String,
    pub issuer: String,
}

/// Reads the leaf (the chain's first certificate).
pub fn facts(chain_pem: &str) -> Result<Facts, AcmeError> {
    let bad =
        |e: String| AcmeError::Refused(format!("the CA sent a chain that does not parse: {e}"));
    let leaf = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .next()
        .ok_or_else(|| bad("no certificate".into()))?
        .map_err(|e| bad(e.to_string()))?;
    let (_, cert) =
        x509_parser::parse_x509_certificate(leaf.as_ref()).map_err(|e| bad(e.to_string()))?;
    let validity = cert.validity();
    let issuer = cert.issuer();
    let issuer = issuer
        .iter_common_name()
        .chain(issuer.iter_organization())
        .find_map(|a| a.as_str().ok().map(str::to_string))
        .unwrap_or_else(|| issuer.to_string());
    Ok(Facts {
        not_before: validity.not_before.timestamp().max(0) as u64,
        not_after: validity.not_after.timestamp().max(0) as u64,
        serial: cert.raw_serial_as_string().replace(':', ""),
        issuer,
    })
}
