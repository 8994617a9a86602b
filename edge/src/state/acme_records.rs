//! What ACME keeps in the store, so every edge of a cluster serves the same certificates and
//! answers the CA whichever edge it reaches. Key layout:
//!
//! | key | value | lease |
//! |---|---|---|
//! | `acme/accounts/{sha256(directory)}` | [`AccountRecord`]: the account at one CA (created once) | – |
//! | `acme/certs/{name}` | [`CertRecord`]: a name's certificate and key, its last order and error | – |
//! | `acme/locks/{name}` | [`OrderLock`]: the edge ordering `name` now (compare-and-set) | the order's |
//! | `acme/challenges/http-01/{token}` | [`Challenge::Http01`]: a key authorization in flight | the order's |
//! | `acme/challenges/tls-alpn-01/{name}` | [`Challenge::TlsAlpn01`]: the `acme-tls/1` certificate | the order's |
//! | `acme/challenges/dns-01/{name}/{id}` | [`Challenge::Dns01`]: one `_acme-challenge` TXT value | the order's |
//!
//! Locks and challenges are bound to the order's own lease: an edge that dies mid-order leaves
//! nothing behind for longer than the lease's TTL.

use serde::{Deserialize, Serialize};

pub const ACME_ACCOUNTS: &str = "acme/accounts/";
pub const ACME_CERTS: &str = "acme/certs/";
pub const ACME_LOCKS: &str = "acme/locks/";
pub const ACME_CHALLENGES: &str = "acme/challenges/";

/// A private key or account secret in PEM or JSON: stored and copied, never printed (`Debug`
/// shows only that it is there).
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "<none>"
        } else {
            "<redacted>"
        })
    }
}

/// An account at one ACME directory: instant-acme's credentials (its key, id and the
/// directory), as JSON.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccountRecord {
    pub directory: String,
    pub credentials: Secret,
    pub created_at: u64,
}

/// One name's certificate (exact, or `*.zone` for a wildcard) and what its orders did. Written
/// after every order, issued or failed, so `edge cert list` and every edge see the same story.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CertRecord {
    pub name: String,
    /// The chain, leaf first, PEM; empty until the first issuance.
    #[serde(default)]
    pub chain_pem: String,
    #[serde(default)]
    pub key_pem: Secret,
    /// The issuing CA's name (its subject's common name or organisation).
    #[serde(default)]
    pub issuer: String,
    /// Hex, as `openssl x509 -serial` prints it.
    #[serde(default)]
    pub serial: String,
    #[serde(default)]
    pub not_before: u64,
    #[serde(default)]
    pub not_after: u64,
    /// The directory that issued it (a change of CA orders anew).
    #[serde(default)]
    pub directory: String,
    /// The challenge that proved the name last time.
    #[serde(default)]
    pub challenge: String,
    /// The edge that placed the last order.
    #[serde(default)]
    pub ordered_by: String,
    /// When the last order ended (issued or failed), and at which directory: at most one
    /// per `order-interval` at each CA.
    #[serde(default)]
    pub last_order_at: u64,
    #[serde(default)]
    pub order_directory: String,
    /// Orders failed in a row since the last issuance.
    #[serde(default)]
    pub failures: u32,
    /// Of those, the CA's verdicts (a failed validation, a refused name, a rate limit): the
    /// exponent of the long backoff, which passing failures (the CA down) do not lengthen.
    #[serde(default)]
    pub verdicts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// No order before this (unix seconds): the backoff after a failure.
    #[serde(default)]
    pub next_attempt_at: u64,
}

impl CertRecord {
    pub fn has_certificate(&self) -> bool {
        !self.chain_pem.is_empty()
    }
}

/// Who holds a name's order now.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrderLock {
    pub edge: String,
    pub since: u64,
}

/// A challenge in flight, published for whichever edge the CA reaches.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Challenge {
    /// RFC 8555 §8.3: `GET /.well-known/acme-challenge/{token}` answers the key authorization.
    Http01 {
        /// The name being validated: only a request for it is answered.
        name: String,
        token: String,
        key_authorization: String,
    },
    /// RFC 8737: a handshake offering only `acme-tls/1` for `name` gets this self-signed
    /// certificate carrying the key authorization's digest.
    TlsAlpn01 {
        name: String,
        cert_pem: String,
        key_pem: Secret,
    },
    /// RFC 8555 §8.4: a TXT record at `_acme-challenge.{name}` (the name without `*.`).
    Dns01 { name: String, value: String },
}

impl Challenge {
    /// Its key under [`ACME_CHALLENGES`]. DNS values are keyed by their own digest, so a
    /// wildcard and its apex can hold two values at once.
    pub fn key(&self) -> String {
        match self {
            Challenge::Http01 { token, .. } => format!("http-01/{token}"),
            Challenge::TlsAlpn01 { name, .. } => format!("tls-alpn-01/{name}"),
            Challenge::Dns01 { name, value } => {
                format!("dns-01/{name}/{}", &super::records::sha256_hex(value)[..16])
            }
        }
    }
}
