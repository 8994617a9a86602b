//! The tunnel credentials file: written by `edge tunnel create`, read by `connector run`.
//!
//! It holds the tunnel's Ed25519 private key (the edge stores only the public key), where the
//! connector reaches the edge, and how it verifies the edge's certificate. Keys are PascalCase like
//! cloudflared's credentials file.

use std::fmt;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Credentials {
    #[serde(rename = "TunnelID")]
    pub tunnel_id: Uuid,
    pub tunnel_name: String,
    /// Base64 of the 32-byte Ed25519 secret key.
    pub private_key: String,
    /// `host:port` the connector dials (`wss://Edge/`).
    pub edge: String,
    /// TLS server name the edge's tunnel certificate is issued for.
    pub server_name: String,
    /// PEM of the edge's tunnel CA, pinned; absent when the edge uses a public certificate.
    #[serde(rename = "EdgeCA", default, skip_serializing_if = "Option::is_none")]
    pub edge_ca: Option<String>,
}

// The private key must never reach a log line.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("tunnel_id", &self.tunnel_id)
            .field("tunnel_name", &self.tunnel_name)
            .field("private_key", &"<redacted>")
            .field("edge", &self.edge)
            .field("server_name", &self.server_name)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read credentials file {path}: {io}")]
    Read { path: String, io: std::io::Error },
    #[error("credentials file {path} is cloudflared's (it has AccountTag and TunnelSecret): a Tether tunnel has a key of its own. At your edge run `edge tunnel create NAME --id UUID` (or `--enroll`, then `connector enroll TOKEN` here) and point credentials-file at the file it writes")]
    Cloudflared { path: String },
    #[error("credentials file {path} is not valid (line {line}, column {column}): {message}")]
    Parse {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("credentials file {path}: PrivateKey must be base64 of 32 bytes; recreate the file with `edge tunnel create`")]
    BadKey { path: String },
}

impl Credentials {
    pub fn load(path: &Path) -> Result<Credentials, CredentialsError> {
        let shown = path.display().to_string();
        let text = tether_runtime::small_file::read_to_string(path).map_err(|io| {
            CredentialsError::Read {
                path: shown.clone(),
                io,
            }
        })?;
        if text.contains("\"AccountTag\"") && text.contains("\"TunnelSecret\"") {
            return Err(CredentialsError::Cloudflared { path: shown });
        }
        let creds: Credentials =
            serde_json::from_str(&text).map_err(|e| CredentialsError::Parse {
                path: shown.clone(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        creds
            .signing_key()
            .map_err(|_| CredentialsError::BadKey { path: shown })?;
        Ok(creds)
    }

    pub fn signing_key(&self) -> Result<SigningKey, BadKey> {
        let raw = B64.decode(&self.private_key).map_err(|_| BadKey)?;
        let bytes: [u8; 32] = raw.try_into().map_err(|_| BadKey)?;
        Ok(SigningKey::from_bytes(&bytes))
    }

    /// Base64 of the public half of `key`, as the edge stores it.
    pub fn encode_public_key(key: &SigningKey) -> String {
        B64.encode(key.verifying_key().to_bytes())
    }

    pub fn encode_key(key: &SigningKey) -> String {
        B64.encode(key.to_bytes())
    }
}

/// Decodes a base64 Ed25519 public key as stored by the edge.
pub fn public_key_from_b64(b64: &str) -> Result<ed25519_dalek::VerifyingKey, BadKey> {
    let raw = B64.decode(b64).map_err(|_| BadKey)?;
    let bytes: [u8; 32] = raw.try_into().map_err(|_| BadKey)?;
    ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| BadKey)
}

/// A key that is not base64 of 32 bytes (or not a valid Ed25519 point).
#[derive(Debug, thiserror::Error)]
#[error("not a base64 Ed25519 key of 32 bytes")]
pub struct BadKey;
