//! Admission: the one-time enrollment token `edge tunnel token` prints, the request
//! `connector enroll` redeems it with, and the long-lived run token (`connector run --token`,
//! `TUNNEL_TOKEN`) that carries a tunnel's credentials in one string.
//!
//! Both tokens are a prefix and base64url (no padding) of a small JSON object with one-letter
//! keys, the shape of cloudflared's tunnel token. An enrollment token names the edge, the pin of
//! its CA ([`crate::trust::ca_pin`]) and a 32-byte secret the edge keeps only as a SHA-256; the
//! site generates its key pair itself and sends only the public key, so the private key never
//! leaves it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::credentials::{Credentials, CredentialsError};

/// Where `connector enroll` posts an [`EnrollRequest`]: on the tunnel listener, and on the
/// public HTTPS listener beside the session path.
pub const ENROLL_PATH: &str = "/.well-known/tether/enroll";

const ENROLL_PREFIX: &str = "tether-enroll.";
const RUN_PREFIX: &str = "tether-run.";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("this is not a {0} token (it should start with `{1}`)")]
    Prefix(&'static str, &'static str),
    #[error("the {0} token is damaged (cut short when copied?): {1}")]
    Damaged(&'static str, String),
}

fn encode<T: Serialize>(prefix: &str, value: &T) -> String {
    let json = serde_json::to_vec(value).unwrap_or_default();
    format!("{prefix}{}", B64URL.encode(json))
}

fn decode<T: DeserializeOwned>(
    kind: &'static str,
    prefix: &'static str,
    text: &str,
) -> Result<T, TokenError> {
    let body = text
        .trim()
        .strip_prefix(prefix)
        .ok_or(TokenError::Prefix(kind, prefix))?;
    let json = B64URL
        .decode(body)
        .map_err(|e| TokenError::Damaged(kind, e.to_string()))?;
    serde_json::from_slice(&json).map_err(|e| TokenError::Damaged(kind, e.to_string()))
}

/// Where a token's edge is and how to trust it; both kinds of token carry one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeRef {
    /// `host:port` (or URL) of the edge.
    #[serde(rename = "e")]
    pub address: String,
    /// The TLS name the edge's tunnel certificate carries.
    #[serde(rename = "s")]
    pub server_name: String,
    /// The pin of the edge's tunnel CA; absent when the edge has a public certificate.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub ca_pin: Option<String>,
}

impl EdgeRef {
    /// How to verify the edge: its pinned CA, else the system roots.
    pub fn trust(&self) -> crate::trust::Trust {
        self.ca_pin
            .clone()
            .map_or(crate::trust::Trust::System, crate::trust::Trust::Pin)
    }
}

/// What `edge tunnel token` prints: single use, until `expires_at`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentToken {
    /// The edge to redeem it at.
    #[serde(flatten)]
    pub edge: EdgeRef,
    #[serde(rename = "t")]
    pub tunnel_id: Uuid,
    /// 32 random bytes in hex; the edge stores only their SHA-256.
    #[serde(rename = "k")]
    pub secret: String,
    /// Unix seconds.
    #[serde(rename = "x")]
    pub expires_at: u64,
}

impl EnrollmentToken {
    pub fn encode(&self) -> String {
        encode(ENROLL_PREFIX, self)
    }

    pub fn decode(text: &str) -> Result<EnrollmentToken, TokenError> {
        decode("enrollment", ENROLL_PREFIX, text)
    }
}

// The secret must never reach a log line.
impl std::fmt::Debug for EnrollmentToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollmentToken")
            .field("edge", &self.edge.address)
            .field("tunnel_id", &self.tunnel_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The SHA-256 (hex) under which the edge keeps an enrollment secret.
pub fn secret_hash(secret: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

/// What `connector enroll` posts to [`ENROLL_PATH`].
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollRequest {
    pub tunnel_id: Uuid,
    pub secret: String,
    /// Base64 of the site's new Ed25519 public key.
    pub public_key: String,
}

/// The edge's answer to an accepted [`EnrollRequest`]: what the credentials file needs besides
/// the private key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollResponse {
    pub tunnel_id: Uuid,
    pub tunnel_name: String,
    pub server_name: String,
    /// PEM of the tunnel CA (its pin is the token's); absent with a public certificate.
    #[serde(default)]
    pub edge_ca: Option<String>,
}

/// A tunnel's credentials in one string, for `connector run --token` and `TUNNEL_TOKEN`. Unlike
/// an enrollment token it is reused on every start; it holds the private key.
#[derive(Clone, Serialize, Deserialize)]
pub struct RunToken {
    #[serde(rename = "t")]
    pub tunnel_id: Uuid,
    #[serde(rename = "n")]
    pub tunnel_name: String,
    /// Base64 of the 32-byte Ed25519 secret key.
    #[serde(rename = "p")]
    pub private_key: String,
    #[serde(flatten)]
    pub edge: EdgeRef,
}

impl RunToken {
    /// The run token of a credentials file (its CA becomes a pin).
    pub fn from_credentials(c: &Credentials) -> Result<RunToken, crate::trust::TrustError> {
        Ok(RunToken {
            tunnel_id: c.tunnel_id,
            tunnel_name: c.tunnel_name.clone(),
            private_key: c.private_key.clone(),
            edge: EdgeRef {
                address: c.edge.clone(),
                server_name: c.server_name.clone(),
                ca_pin: c
                    .edge_ca
                    .as_deref()
                    .map(crate::trust::ca_pin_of_pem)
                    .transpose()?,
            },
        })
    }

    pub fn encode(&self) -> String {
        encode(RUN_PREFIX, self)
    }

    pub fn decode(text: &str) -> Result<RunToken, TokenError> {
        let token: RunToken = decode("run", RUN_PREFIX, text)?;
        token
            .credentials()
            .map_err(|e| TokenError::Damaged("run", e.to_string()))?;
        Ok(token)
    }

    /// The credentials it carries; the CA is pinned by [`EdgeRef::ca_pin`] instead.
    pub fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let credentials = Credentials {
            tunnel_id: self.tunnel_id,
            tunnel_name: self.tunnel_name.clone(),
            private_key: self.private_key.clone(),
            edge: self.edge.address.clone(),
            server_name: self.edge.server_name.clone(),
            edge_ca: None,
        };
        credentials
            .signing_key()
            .map_err(|_| CredentialsError::BadKey {
                path: "the run token".into(),
            })?;
        Ok(credentials)
    }
}

// The private key must never reach a log line.
impl std::fmt::Debug for RunToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunToken")
            .field("tunnel_id", &self.tunnel_id)
            .field("edge", &self.edge.address)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enrollment() -> EnrollmentToken {
        EnrollmentToken {
            edge: EdgeRef {
                address: "edge.example.com:7844".into(),
                server_name: "tunnel.example.com".into(),
                ca_pin: Some("ab".repeat(32)),
            },
            tunnel_id: Uuid::new_v4(),
            secret: "cd".repeat(32),
            expires_at: 1_900_000_000,
        }
    }

    #[test]
    fn an_enrollment_token_round_trips_and_is_one_word() {
        let token = enrollment();
        let text = token.encode();
        assert!(text.starts_with("tether-enroll."), "{text}");
        assert!(text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
        assert_eq!(EnrollmentToken::decode(&format!(" {text}\n")), Ok(token));
    }

    #[test]
    fn a_cut_or_foreign_token_is_refused_with_what_it_is() {
        let text = enrollment().encode();
        let cut = &text[..text.len() - 10];
        assert!(matches!(
            EnrollmentToken::decode(cut),
            Err(TokenError::Damaged("enrollment", _))
        ));
        assert_eq!(
            RunToken::decode(&text).unwrap_err(),
            TokenError::Prefix("run", "tether-run.")
        );
    }

    #[test]
    fn a_run_token_carries_the_credentials_with_the_ca_as_a_pin() {
        let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let creds = Credentials {
            tunnel_id: Uuid::new_v4(),
            tunnel_name: "app".into(),
            private_key: Credentials::encode_key(&key),
            edge: "127.0.0.1:7844".into(),
            server_name: "tunnel.local".into(),
            edge_ca: None,
        };
        let token = RunToken::from_credentials(&creds).unwrap();
        let back = RunToken::decode(&token.encode()).unwrap();
        assert_eq!(back.credentials().unwrap().tunnel_id, creds.tunnel_id);
        assert_eq!(back.private_key, creds.private_key);
        assert_eq!(back.edge.ca_pin, None);
        let bad = RunToken {
            private_key: "AAAA".into(),
            ..back
        };
        assert!(matches!(
            RunToken::decode(&bad.encode()),
            Err(TokenError::Damaged("run", _))
        ));
    }
}
