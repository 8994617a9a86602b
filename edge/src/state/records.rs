//! The typed records the edge keeps in the [`super::store::Store`] (the operations on them are
//! `State`'s, in `tunnels.rs`, `routing.rs` and `presence.rs`). Key layout:
//!
//! | key | value | lease |
//! |---|---|---|
//! | `tunnels/{uuid}` | [`TunnelRecord`] | – |
//! | `tunnel-names/{name}` | the tunnel's uuid (names are unique) | – |
//! | `routes/http/{hostname}` | [`RouteRecord`] (claimed by compare-and-set) | – |
//! | `ports/{port}` | [`PortRecord`]: a public TCP port (claimed by compare-and-set) | – |
//! | `tokens/{uuid}` | [`TokenRecord`]: an access token for `connector access tcp` | – |
//! | `edges/{edge-id}` | [`EdgeRecord`] | the edge's |
//! | `sessions/{tunnel}/{session}` | [`SessionRecord`] | the edge's |
//! | `cluster/ca` | [`CaRecord`]: the tunnel CA, shared by every edge (created by compare-and-set) | – |
//! | `cluster/link-secret` | [`LinkSecretRecord`]: what links between edges prove (likewise) | – |

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::net::IpAddr;
use uuid::Uuid;

use super::store::{KeyValue, StoreError};

pub const TUNNELS: &str = "tunnels/";
pub const TUNNEL_NAMES: &str = "tunnel-names/";
pub const ROUTES: &str = "routes/http/";
pub const PORTS: &str = "ports/";
pub const TOKENS: &str = "tokens/";
pub const EDGES: &str = "edges/";
pub const SESSIONS: &str = "sessions/";
pub const CLUSTER: &str = "cluster/";
pub const CLUSTER_CA: &str = "cluster/ca";
pub const CLUSTER_LINK_SECRET: &str = "cluster/link-secret";

/// Every prefix that holds what a cluster is (not who is alive now): what `edge store copy`
/// moves.
pub const DURABLE: &[&str] = &[TUNNELS, TUNNEL_NAMES, ROUTES, PORTS, TOKENS, CLUSTER];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TunnelRecord {
    pub id: Uuid,
    pub name: String,
    /// Base64 Ed25519 public key; the private key exists only in the credentials file.
    pub public_key: String,
    pub created_at: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RouteRecord {
    /// Lower case, no trailing dot; may start with `*.`.
    pub hostname: String,
    pub tunnel_id: Uuid,
    /// Split horizon: internal DNS askers get this address instead of the tunnel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<IpAddr>,
    /// `route tcp --port`: the public TCP port every edge listens on for this hostname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `route tcp --require-token`: `connector access tcp` must present a valid access token.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_token: bool,
}

impl RouteRecord {
    pub fn new(hostname: String, tunnel_id: Uuid) -> RouteRecord {
        RouteRecord {
            hostname,
            tunnel_id,
            direct: None,
            port: None,
            require_token: false,
        }
    }
}

/// A public TCP port: every edge listens on it and carries each connection to `hostname`'s rule
/// in the tunnel.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PortRecord {
    pub port: u16,
    /// Address to listen on; `None` is the edge's public listener address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind: Option<IpAddr>,
    pub hostname: String,
    pub tunnel_id: Uuid,
}

/// An access token. The secret itself is shown once, by `edge token create`; only its SHA-256
/// is stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: Uuid,
    pub name: String,
    /// Hex SHA-256 of the secret part of the token.
    pub secret_sha256: String,
    pub created_at: u64,
}

/// The prefix of every access token, so a leaked one is recognisable (secret scanners).
pub const TOKEN_PREFIX: &str = "tta_";

impl TokenRecord {
    /// Splits `tta_<id>.<secret>` into the token's id and the SHA-256 of its secret.
    pub fn parse(token: &str) -> Option<(Uuid, String)> {
        let (id, secret) = token.trim().strip_prefix(TOKEN_PREFIX)?.split_once('.')?;
        Some((id.parse().ok()?, sha256_hex(secret)))
    }
}

pub(super) fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EdgeRecord {
    pub id: String,
    pub tunnel_address: Option<String>,
    pub addresses: Vec<IpAddr>,
    /// The edge is shutting down: DNS leaves it out, connectors and other edges go elsewhere.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub draining: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionRecord {
    pub session_id: Uuid,
    pub tunnel_id: Uuid,
    pub edge_id: String,
    pub connector_id: Uuid,
    pub conn_index: u8,
    pub version: String,
    pub connected_at: u64,
}

/// The tunnel CA: its certificate (what connectors pin) and private key, both PEM.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CaRecord {
    pub cert_pem: String,
    pub key_pem: String,
}

/// The secret the link key is derived from (hex of 32 random bytes). Random and apart from the
/// CA, so it can be replaced without a new CA.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LinkSecretRecord {
    pub secret: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a tunnel named `{0}` already exists; pick another name or delete it first")]
    NameTaken(String),
    #[error("no tunnel named or with id `{0}`; `edge tunnel list` shows the tunnels")]
    NoSuchTunnel(String),
    #[error("{0} is already routed to tunnel {1}; delete that route or tunnel first")]
    HostnameTaken(String, Uuid),
    #[error("port {0} is already routed to {1} (tunnel {2}); delete that route first (`edge tunnel route delete {1}`) or pick another port")]
    PortTaken(u16, String, Uuid),
    #[error("no access token with id or name `{0}`; `edge token list` shows them")]
    NoSuchToken(String),
    #[error("several access tokens are named `{0}`; revoke by id (`edge token list` shows ids)")]
    AmbiguousToken(String),
    #[error("`{0}` is not a valid hostname: {1}")]
    BadHostname(String, String),
    #[error("corrupt record at {0}: {1}")]
    Corrupt(String, String),
}

pub(super) fn concurrent() -> StateError {
    StateError::Store(StoreError::Backend(
        "route changed concurrently; retry".into(),
    ))
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn decode<T: DeserializeOwned>(kv: &KeyValue) -> Result<T, StateError> {
    serde_json::from_slice(&kv.value)
        .map_err(|e| StateError::Corrupt(kv.key.clone(), e.to_string()))
}

pub(super) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing these plain records cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}
