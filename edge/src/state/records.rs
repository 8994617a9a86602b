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
//! | `enrollments/{sha256}` | [`EnrollmentRecord`]: a one-time enrollment token | its own, a day past expiry |
//! | `edges/{edge-id}` | [`EdgeRecord`] | the edge's |
//! | `sessions/{tunnel}/{session}` | [`SessionRecord`] | the edge's |
//! | `cluster/ca` | [`CaRecord`]: the tunnel CA, shared by every edge (created by compare-and-set) | – |
//! | `cluster/link-secret` | [`LinkSecretRecord`]: what links between edges prove (likewise) | – |
//! | `admin/tokens/{uuid}`, `admin/stats/{edge-id}` | admin tokens, each edge's recent counters: see [`super::admin`] | the edge's, for stats |
//! | `acme/…` | accounts, certificates, order locks, challenges: see [`super::acme_records`] | some |

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::net::IpAddr;
use uuid::Uuid;

pub use super::route_policy::RouteRules;
use super::store::{KeyValue, StoreError};

pub const TUNNELS: &str = "tunnels/";
pub const TUNNEL_NAMES: &str = "tunnel-names/";
pub const ROUTES: &str = "routes/http/";
pub const PORTS: &str = "ports/";
pub const TOKENS: &str = "tokens/";
pub const ENROLLMENTS: &str = "enrollments/";
pub const EDGES: &str = "edges/";
pub const SESSIONS: &str = "sessions/";
pub const CLUSTER: &str = "cluster/";
pub const CLUSTER_CA: &str = "cluster/ca";
pub const CLUSTER_LINK_SECRET: &str = "cluster/link-secret";

/// Every prefix that holds what a cluster is (not who is alive now): what `edge store copy`
/// moves.
pub const DURABLE: &[&str] = &[
    TUNNELS,
    TUNNEL_NAMES,
    ROUTES,
    PORTS,
    TOKENS,
    CLUSTER,
    super::acme_records::ACME_ACCOUNTS,
    super::acme_records::ACME_CERTS,
    super::admin::ADMIN_TOKENS,
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(from = "TunnelWire", into = "TunnelWire")]
pub struct TunnelRecord {
    pub id: Uuid,
    pub name: String,
    /// The keys a session may prove: one, normally; the old and the new during a rotation's
    /// overlap; none before the first enrollment and after `edge tunnel revoke`. The private
    /// keys exist only at the sites.
    pub keys: Vec<TunnelKey>,
    pub created_at: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TunnelKey {
    /// Base64 Ed25519 public key.
    pub public_key: String,
    pub added_at: u64,
    /// Unix seconds after which the key is refused (set by a rotation: the old key's overlap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<u64>,
}

impl TunnelRecord {
    /// Whether a session proving `public_key` is admitted at `now` (unix seconds).
    pub fn accepts(&self, public_key: &str, now: u64) -> bool {
        self.live_keys(now).any(|k| k.public_key == public_key)
    }

    /// The keys not past their `not_after`.
    pub fn live_keys(&self, now: u64) -> impl Iterator<Item = &TunnelKey> {
        self.keys
            .iter()
            .filter(move |k| k.not_after.is_none_or(|t| now < t))
    }

    /// The soonest moment a key still live now stops being accepted.
    pub fn next_expiry(&self, now: u64) -> Option<u64> {
        self.live_keys(now).filter_map(|k| k.not_after).min()
    }
}

/// A tunnel as stored: records written before a tunnel could hold several keys have one
/// `public_key`, read as the only key. It is still written (the newest key without an end, or
/// empty when there is none), so edges of the version before read every tunnel, and refuse a
/// revoked one, during a rolling upgrade.
#[derive(Serialize, Deserialize)]
struct TunnelWire {
    id: Uuid,
    name: String,
    #[serde(default)]
    keys: Vec<TunnelKey>,
    #[serde(default)]
    public_key: Option<String>,
    created_at: u64,
}

impl From<TunnelRecord> for TunnelWire {
    fn from(t: TunnelRecord) -> TunnelWire {
        let newest = t.keys.iter().rev().find(|k| k.not_after.is_none());
        TunnelWire {
            public_key: Some(newest.map(|k| k.public_key.clone()).unwrap_or_default()),
            id: t.id,
            name: t.name,
            keys: t.keys,
            created_at: t.created_at,
        }
    }
}

impl From<TunnelWire> for TunnelRecord {
    fn from(w: TunnelWire) -> TunnelRecord {
        let mut keys = w.keys;
        // Only a record from before `keys` has its key here alone (newer ones repeat one of
        // `keys`, or write it empty once revoked).
        if let Some(public_key) = w.public_key.filter(|k| !k.is_empty()) {
            if keys.is_empty() {
                keys.push(TunnelKey {
                    public_key,
                    added_at: w.created_at,
                    not_after: None,
                });
            }
        }
        TunnelRecord {
            id: w.id,
            name: w.name,
            keys,
            created_at: w.created_at,
        }
    }
}

/// A one-time enrollment token (`edge tunnel token`, `edge tunnel rotate`), kept under the
/// SHA-256 of its secret with a lease that ends a day after it expires.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EnrollmentRecord {
    pub tunnel_id: Uuid,
    pub created_at: u64,
    pub expires_at: u64,
    /// A rotation: once redeemed, the tunnel's other keys stay valid this many seconds more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap_secs: Option<u64>,
    /// Set (by compare-and-set) when redeemed: a token works once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<u64>,
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
    /// `edge tunnel route policy`: client rules, limits and the access policy.
    #[serde(flatten)]
    pub rules: RouteRules,
}

impl RouteRecord {
    pub fn new(hostname: String, tunnel_id: Uuid) -> RouteRecord {
        RouteRecord {
            hostname,
            tunnel_id,
            direct: None,
            port: None,
            require_token: false,
            rules: RouteRules::default(),
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
    /// The token routes it opens (route hostnames as routed, wildcards included); empty: every
    /// route that requires a token (tokens made before tokens had scopes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hostnames: Vec<String>,
    /// Unix seconds after which it is refused; `None`: never (tokens made before tokens expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

impl TokenRecord {
    /// Whether it opens `route` (a route hostname) at `now`.
    pub fn opens(&self, route: &str, now: u64) -> bool {
        self.expires_at.is_none_or(|t| now < t)
            && (self.hostnames.is_empty() || self.hostnames.iter().any(|h| h == route))
    }
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
    /// The public key the session proved (a rotation or revocation closes the sessions of the
    /// keys it retires).
    #[serde(default)]
    pub key: String,
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
    #[error("a tunnel with id {0} already exists; `edge tunnel list` shows it")]
    IdTaken(Uuid),
    #[error("no tunnel named or with id `{0}`; `edge tunnel list` shows the tunnels")]
    NoSuchTunnel(String),
    #[error("{0} is a TCP route that requires an access token; `route dns` would drop that requirement: delete it first (`edge tunnel route delete {0}`), or keep it with `route tcp TUNNEL {0} --require-token`")]
    WouldDropToken(String),
    #[error("no route for {0}; `edge tunnel route dns TUNNEL {0}` makes one, `edge tunnel list` shows them")]
    NoSuchRoute(String),
    #[error("{0} has a public TCP port, where nothing carries credentials: a policy cannot be checked there. Reach it with `connector access tcp` instead (`route tcp` without --port)")]
    PolicyOnPort(String),
    #[error("{0} is already routed to tunnel {1}; delete that route or tunnel first")]
    HostnameTaken(String, Uuid),
    #[error("port {0} is already routed to {1} (tunnel {2}); delete that route first (`edge tunnel route delete {1}`) or pick another port")]
    PortTaken(u16, String, Uuid),
    #[error("no access token with id or name `{0}`; `edge token list` shows them")]
    NoSuchToken(String),
    #[error("several access tokens are named `{0}`; revoke by id (`edge token list` shows ids)")]
    AmbiguousToken(String),
    #[error("no admin token with id or name `{0}`; `edge admin token list` shows them")]
    NoSuchAdminToken(String),
    #[error(
        "several admin tokens are named `{0}`; revoke by id (`edge admin token list` shows ids)"
    )]
    AmbiguousAdminToken(String),
    #[error("`{0}` is not a valid hostname: {1}")]
    BadHostname(String, tether_proto::hostname::BadRoute),
    #[error("corrupt record at {0}: {1}")]
    Corrupt(String, String),
}

pub(super) fn concurrent() -> StateError {
    StateError::Store(StoreError::Backend(
        "the record changed concurrently; retry".into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tunnel_reads_from_before_keys_and_writes_what_older_edges_read() {
        let id = Uuid::new_v4();
        let old = format!(r#"{{"id":"{id}","name":"t","public_key":"K1","created_at":5}}"#);
        let read: TunnelRecord = serde_json::from_str(&old).unwrap();
        assert_eq!(read.keys.len(), 1);
        assert!(read.accepts("K1", 6));
        let mut rotated = read.clone();
        rotated.keys[0].not_after = Some(100);
        rotated.keys.push(TunnelKey {
            public_key: "K2".into(),
            added_at: 50,
            not_after: None,
        });
        let written: serde_json::Value = serde_json::to_value(&rotated).unwrap();
        assert_eq!(
            written["public_key"], "K2",
            "the newest key, for older edges"
        );
        let back: TunnelRecord = serde_json::from_value(written).unwrap();
        assert_eq!(back, rotated);
        assert!(back.accepts("K1", 99) && !back.accepts("K1", 100));
        let revoked = TunnelRecord {
            keys: vec![],
            ..back
        };
        let written = serde_json::to_value(&revoked).unwrap();
        assert_eq!(
            written["public_key"], "",
            "older edges refuse a revoked tunnel"
        );
        let back: TunnelRecord = serde_json::from_value(written).unwrap();
        assert!(back.keys.is_empty());
    }
}
