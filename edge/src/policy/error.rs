//! Why a policy's material cannot be used: a CA or key set that does not parse, a provider that
//! cannot be reached or answers wrong, a password file with weak or no entries. Checked when a
//! policy is written (`edge tunnel route policy`, the admin API) and when a request needs keys
//! fetched; the message names the file line or URL.

use http::StatusCode;

#[derive(Debug, Clone, thiserror::Error)]
pub enum PolicyError {
    #[error("not a PEM certificate: {0}")]
    NotPem(String),
    #[error("holds no PEM certificate")]
    NoCertificate,
    /// rustls refused the certificates as trust anchors or for a verifier.
    #[error("{0}")]
    Tls(String),
    #[error("the policy names no keys")]
    NoKeys,
    #[error("not a JWKS: {0}")]
    NotJwks(String),
    #[error("the JWKS holds no signing key Tether can use (RSA, EC P-256/P-384, Ed25519)")]
    NoUsableKey,
    /// Never fetched successfully, and no keys are known from before.
    #[error("the issuer's keys at {0} could not be fetched")]
    KeysUnavailable(String),
    #[error("{url}: {why}")]
    Fetch { url: String, why: String },
    #[error("{url}: no answer within {secs}s")]
    FetchTimeout { url: String, secs: u64 },
    #[error("{url} answered {status}")]
    FetchStatus { url: String, status: StatusCode },
    #[error("{url}: not the JSON expected: {why}")]
    FetchJson { url: String, why: String },
    #[error("`{0}` is not a URL")]
    NotAUrl(String),
    #[error("`{0}` must be https:// (plain http:// only to a loopback address)")]
    NotFetchable(String),
    #[error("line {0}: not `user:hash`")]
    HtpasswdLine(usize),
    #[error("line {0}: only bcrypt entries are accepted (`htpasswd -B`); MD5, SHA-1 and crypt are too weak")]
    HtpasswdWeak(usize),
    #[error("no users in it")]
    HtpasswdEmpty,
    /// A thread panicked holding this cache.
    #[error("{0} poisoned")]
    Poisoned(&'static str),
}
