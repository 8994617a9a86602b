//! The typed records the edge keeps in the [`Store`], and the operations the CLI and the running
//! edge perform on them. Key layout:
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

use std::net::IpAddr;
use std::sync::Arc;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;

use crate::hostname;
use crate::store::{Expect, KeyValue, LeaseId, Store, StoreError};

pub const TUNNELS: &str = "tunnels/";
pub const TUNNEL_NAMES: &str = "tunnel-names/";
pub const ROUTES: &str = "routes/http/";
pub const PORTS: &str = "ports/";
pub const TOKENS: &str = "tokens/";
pub const EDGES: &str = "edges/";
pub const SESSIONS: &str = "sessions/";

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

fn sha256_hex(text: &str) -> String {
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

fn concurrent() -> StateError {
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

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing these plain records cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// The state operations, over any [`Store`].
#[derive(Clone)]
pub struct State {
    pub store: Arc<dyn Store>,
}

impl State {
    pub fn new(store: Arc<dyn Store>) -> Self {
        State { store }
    }

    /// Creates a tunnel; the name is claimed by compare-and-set so two creates cannot both win.
    pub async fn create_tunnel(
        &self,
        name: &str,
        public_key: String,
    ) -> Result<TunnelRecord, StateError> {
        let record = TunnelRecord {
            id: Uuid::new_v4(),
            name: name.to_string(),
            public_key,
            created_at: now_secs(),
        };
        let claimed = self
            .store
            .put_if(
                &format!("{TUNNEL_NAMES}{name}"),
                record.id.to_string().into_bytes(),
                None,
                Expect::Absent,
            )
            .await?;
        if claimed.is_err() {
            return Err(StateError::NameTaken(name.into()));
        }
        self.store
            .put(&format!("{TUNNELS}{}", record.id), encode(&record), None)
            .await?;
        Ok(record)
    }

    pub async fn tunnel(&self, id: Uuid) -> Result<Option<TunnelRecord>, StateError> {
        match self.store.get(&format!("{TUNNELS}{id}")).await? {
            Some(kv) => Ok(Some(decode(&kv)?)),
            None => Ok(None),
        }
    }

    /// Finds a tunnel by UUID or by name.
    pub async fn resolve(&self, name_or_id: &str) -> Result<TunnelRecord, StateError> {
        let id = match name_or_id.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => match self
                .store
                .get(&format!("{TUNNEL_NAMES}{name_or_id}"))
                .await?
            {
                Some(kv) => String::from_utf8_lossy(&kv.value).parse().ok(),
                None => None,
            },
        };
        match id {
            Some(id) => self
                .tunnel(id)
                .await?
                .ok_or_else(|| StateError::NoSuchTunnel(name_or_id.into())),
            None => Err(StateError::NoSuchTunnel(name_or_id.into())),
        }
    }

    pub async fn tunnels(&self) -> Result<Vec<TunnelRecord>, StateError> {
        self.store
            .range(TUNNELS)
            .await?
            .0
            .iter()
            .map(decode)
            .collect()
    }

    /// Routes `hostname` to a tunnel (`route dns`). Idempotent for the same tunnel (which may
    /// change the direct address); refused for another.
    pub async fn route(
        &self,
        tunnel: &TunnelRecord,
        hostname: &str,
        direct: Option<IpAddr>,
    ) -> Result<RouteRecord, StateError> {
        let host = hostname::normalize_route(hostname)
            .map_err(|why| StateError::BadHostname(hostname.into(), why))?;
        let record = RouteRecord {
            direct,
            ..RouteRecord::new(host, tunnel.id)
        };
        let previous = self.put_route(record.clone()).await?;
        self.release_old_port(previous.as_ref(), &record).await?;
        Ok(record)
    }

    /// Routes `hostname` to a tunnel for TCP (`route tcp`): with `port`, claims that public port
    /// first, so two routes can never share one.
    pub async fn route_tcp(
        &self,
        tunnel: &TunnelRecord,
        hostname: &str,
        port: Option<(u16, Option<IpAddr>)>,
        require_token: bool,
    ) -> Result<RouteRecord, StateError> {
        let host = hostname::normalize_route(hostname)
            .map_err(|why| StateError::BadHostname(hostname.into(), why))?;
        let record = RouteRecord {
            port: port.map(|(p, _)| p),
            require_token,
            ..RouteRecord::new(host.clone(), tunnel.id)
        };
        if let Some((port, bind)) = port {
            self.claim_port(PortRecord {
                port,
                bind,
                hostname: host,
                tunnel_id: tunnel.id,
            })
            .await?;
        }
        let previous = match self.put_route(record.clone()).await {
            Ok(previous) => previous,
            Err(e) => {
                if let Some((port, _)) = port {
                    self.release_port(port, &record.hostname).await?;
                }
                return Err(e);
            }
        };
        self.release_old_port(previous.as_ref(), &record).await?;
        Ok(record)
    }

    /// Claims a public port by compare-and-set; the same claim again (perhaps with a new bind
    /// address) is fine.
    async fn claim_port(&self, claim: PortRecord) -> Result<(), StateError> {
        let key = format!("{PORTS}{}", claim.port);
        let taken = |current: &PortRecord| {
            StateError::PortTaken(claim.port, current.hostname.clone(), current.tunnel_id)
        };
        match self
            .store
            .put_if(&key, encode(&claim), None, Expect::Absent)
            .await?
        {
            Ok(_) => Ok(()),
            Err(Some(kv)) => {
                let current: PortRecord = decode(&kv)?;
                if current.hostname != claim.hostname || current.tunnel_id != claim.tunnel_id {
                    return Err(taken(&current));
                }
                let expect = Expect::ModRevision(kv.mod_revision);
                match self
                    .store
                    .put_if(&key, encode(&claim), None, expect)
                    .await?
                {
                    Ok(_) => Ok(()),
                    Err(_) => Err(concurrent()),
                }
            }
            Err(None) => Err(concurrent()),
        }
    }

    /// Frees the port `previous` held when the route no longer uses it.
    async fn release_old_port(
        &self,
        previous: Option<&RouteRecord>,
        now: &RouteRecord,
    ) -> Result<(), StateError> {
        match previous
            .and_then(|p| p.port)
            .filter(|p| Some(*p) != now.port)
        {
            Some(port) => self.release_port(port, &now.hostname).await,
            None => Ok(()),
        }
    }

    /// Deletes the claim on `port` if `hostname` still holds it, by compare-and-delete: a claim
    /// made meanwhile by a concurrent `route tcp` survives.
    async fn release_port(&self, port: u16, hostname: &str) -> Result<(), StateError> {
        let key = format!("{PORTS}{port}");
        let Some(kv) = self.store.get(&key).await? else {
            return Ok(());
        };
        let claim: PortRecord = decode(&kv)?;
        if claim.hostname == hostname {
            self.store.delete_if(&key, kv.mod_revision).await?;
        }
        Ok(())
    }

    /// Writes a route unless another tunnel holds the hostname; returns the record it replaced.
    async fn put_route(&self, record: RouteRecord) -> Result<Option<RouteRecord>, StateError> {
        let host = record.hostname.clone();
        match self
            .store
            .put_if(
                &format!("{ROUTES}{host}"),
                encode(&record),
                None,
                Expect::Absent,
            )
            .await?
        {
            Ok(_) => Ok(None),
            Err(Some(current)) => {
                let existing: RouteRecord = decode(&current)?;
                if existing.tunnel_id != record.tunnel_id {
                    Err(StateError::HostnameTaken(host, existing.tunnel_id))
                } else if existing == record {
                    Ok(Some(existing))
                } else {
                    let key = format!("{ROUTES}{host}");
                    let expect = Expect::ModRevision(current.mod_revision);
                    match self
                        .store
                        .put_if(&key, encode(&record), None, expect)
                        .await?
                    {
                        Ok(_) => Ok(Some(existing)),
                        Err(_) => Err(concurrent()),
                    }
                }
            }
            // Deleted between the check and now: trying once more would race again; report it.
            Err(None) => Err(concurrent()),
        }
    }

    /// Removes the route for `hostname`; returns it if there was one.
    pub async fn delete_route(&self, hostname: &str) -> Result<Option<RouteRecord>, StateError> {
        let host = hostname::normalize_route(hostname)
            .map_err(|why| StateError::BadHostname(hostname.into(), why))?;
        let key = format!("{ROUTES}{host}");
        let Some(kv) = self.store.get(&key).await? else {
            return Ok(None);
        };
        let route: RouteRecord = decode(&kv)?;
        // Compare-and-delete: a `route` that rewrote the hostname meanwhile keeps it.
        if !self.store.delete_if(&key, kv.mod_revision).await? {
            return Err(concurrent());
        }
        if let Some(port) = route.port {
            self.release_port(port, &route.hostname).await?;
        }
        Ok(Some(route))
    }

    pub async fn ports(&self) -> Result<Vec<PortRecord>, StateError> {
        self.store
            .range(PORTS)
            .await?
            .0
            .iter()
            .map(decode)
            .collect()
    }

    pub async fn routes(&self) -> Result<Vec<RouteRecord>, StateError> {
        self.store
            .range(ROUTES)
            .await?
            .0
            .iter()
            .map(decode)
            .collect()
    }

    pub async fn sessions(&self) -> Result<Vec<SessionRecord>, StateError> {
        self.store
            .range(SESSIONS)
            .await?
            .0
            .iter()
            .map(decode)
            .collect()
    }

    /// The sessions of one tunnel, on every edge.
    pub async fn sessions_of(&self, tunnel: Uuid) -> Result<Vec<SessionRecord>, StateError> {
        let prefix = format!("{SESSIONS}{tunnel}/");
        self.store
            .range(&prefix)
            .await?
            .0
            .iter()
            .map(decode)
            .collect()
    }

    /// Every edge whose presence lease is alive, draining or not.
    pub async fn edges(&self) -> Result<Vec<EdgeRecord>, StateError> {
        self.store
            .range(EDGES)
            .await?
            .0
            .iter()
            .map(decode)
            .collect()
    }

    /// Deletes a tunnel, its routes and its name. Live sessions notice through the watch and close.
    pub async fn delete_tunnel(&self, tunnel: &TunnelRecord) -> Result<(), StateError> {
        for route in self
            .routes()
            .await?
            .into_iter()
            .filter(|r| r.tunnel_id == tunnel.id)
        {
            self.delete_route(&route.hostname).await?;
        }
        self.store
            .delete(&format!("{TUNNELS}{}", tunnel.id))
            .await?;
        self.store
            .delete(&format!("{TUNNEL_NAMES}{}", tunnel.name))
            .await?;
        Ok(())
    }

    /// Creates an access token; returns its record and the token text, which exists nowhere else.
    pub async fn create_token(&self, name: &str) -> Result<(TokenRecord, String), StateError> {
        let secret = hex::encode(rand::random::<[u8; 32]>());
        let record = TokenRecord {
            id: Uuid::new_v4(),
            name: name.to_string(),
            secret_sha256: sha256_hex(&secret),
            created_at: now_secs(),
        };
        self.store
            .put(&format!("{TOKENS}{}", record.id), encode(&record), None)
            .await?;
        let token = format!("{TOKEN_PREFIX}{}.{secret}", record.id.simple());
        Ok((record, token))
    }

    pub async fn tokens(&self) -> Result<Vec<TokenRecord>, StateError> {
        self.store
            .range(TOKENS)
            .await?
            .0
            .iter()
            .map(decode)
            .collect()
    }

    /// Revokes the token with this id, or the one token with this name.
    pub async fn revoke_token(&self, id_or_name: &str) -> Result<TokenRecord, StateError> {
        let tokens = self.tokens().await?;
        let matching: Vec<&TokenRecord> = tokens
            .iter()
            .filter(|t| {
                t.id.to_string() == id_or_name
                    || t.id.simple().to_string() == id_or_name
                    || t.name == id_or_name
            })
            .collect();
        let token = match matching.as_slice() {
            [one] => (*one).clone(),
            [] => return Err(StateError::NoSuchToken(id_or_name.into())),
            _ => return Err(StateError::AmbiguousToken(id_or_name.into())),
        };
        self.store.delete(&format!("{TOKENS}{}", token.id)).await?;
        Ok(token)
    }

    pub async fn announce_edge(&self, edge: &EdgeRecord, lease: LeaseId) -> Result<(), StateError> {
        self.store
            .put(&format!("{EDGES}{}", edge.id), encode(edge), Some(lease))
            .await?;
        Ok(())
    }

    pub async fn add_session(
        &self,
        session: &SessionRecord,
        lease: LeaseId,
    ) -> Result<(), StateError> {
        let key = format!("{SESSIONS}{}/{}", session.tunnel_id, session.session_id);
        self.store.put(&key, encode(session), Some(lease)).await?;
        Ok(())
    }

    pub async fn remove_session(
        &self,
        tunnel_id: Uuid,
        session_id: Uuid,
    ) -> Result<(), StateError> {
        self.store
            .delete(&format!("{SESSIONS}{tunnel_id}/{session_id}"))
            .await?;
        Ok(())
    }
}
