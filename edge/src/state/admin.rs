//! What the admin API keeps in the store: its tokens (`admin/tokens/{uuid}`, stored as the
//! SHA-256 of their secret, honoured by every edge); each edge's last minute of counters
//! (`admin/stats/{edge-id}`, every 5 s) and its sessions' round trips (`admin/rtt/{edge-id}`,
//! every 30 s), both under the edge's presence lease; and requests to drain a connector
//! (`admin/drains/{connector}`, under a short lease of their own).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::records::{decode, encode, now_secs, sha256_hex, StateError};
use super::store::{Expect, LeaseId};
use super::tunnels::one_named;
use super::State;

pub const ADMIN_TOKENS: &str = "admin/tokens/";
pub const ADMIN_STATS: &str = "admin/stats/";
pub const ADMIN_DRAINS: &str = "admin/drains/";
pub const ADMIN_RTTS: &str = "admin/rtt/";
pub const ADMIN_LOGINS: &str = "admin/logins/";

/// A dashboard login: the cookie holds a random id whose SHA-256 keys this record, under a lease
/// that ends it; logging out deletes it, and revoking its token ends it too.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LoginRecord {
    pub token_id: Uuid,
    pub expires_at: u64,
}

/// The prefix of every admin token, so a leaked one is recognisable (secret scanners).
pub const ADMIN_TOKEN_PREFIX: &str = "tadm_";

/// What a token may do.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Every GET of the API and the dashboard without its action buttons.
    Read,
    /// Everything: also create, route, delete and drain.
    Write,
}

/// A role other than `read` or `write`.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a role; write read or write")]
pub struct NotARole(pub String);

impl Role {
    pub fn parse(text: &str) -> Result<Role, NotARole> {
        match text {
            "read" => Ok(Role::Read),
            "write" => Ok(Role::Write),
            _ => Err(NotARole(text.to_string())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Write => "write",
        }
    }
}

/// An admin token. The secret is shown once, by `edge admin token create`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AdminTokenRecord {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    /// Hex SHA-256 of the secret part of the token.
    pub secret_sha256: String,
    pub created_at: u64,
    /// Unix seconds after which it is refused; `None`: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

impl AdminTokenRecord {
    /// Splits `tadm_<id>.<secret>` into the token's id and the SHA-256 of its secret.
    pub fn parse(token: &str) -> Option<(Uuid, String)> {
        let rest = token.trim().strip_prefix(ADMIN_TOKEN_PREFIX)?;
        let (id, secret) = rest.split_once('.')?;
        Some((id.parse().ok()?, sha256_hex(secret)))
    }

    pub fn valid_at(&self, now: u64) -> bool {
        self.expires_at.is_none_or(|t| now < t)
    }
}

/// A request to drain a connector's sessions: no new streams go to them, and each closes once
/// its open streams have ended; the connector then connects again (to any edge).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DrainRecord {
    pub connector_id: Uuid,
    pub requested_at: u64,
}

/// One edge's counters, sampled every few seconds; the newest last. In the store, an edge's
/// last minute (each reader keeps the longer ring: `admin::history`); from the API, its last 15
/// minutes. The dashboard plots the differences between neighbours (requests/s, errors/s).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EdgeStats {
    pub edge_id: String,
    /// Seconds between samples.
    pub interval: u64,
    pub samples: Vec<StatsSample>,
    /// Error pages this edge answered for tunnels' requests, newest last (in the store, those
    /// of the last minute).
    #[serde(default)]
    pub errors: Vec<ErrorSample>,
}

/// The PING round trip of each of an edge's sessions, in milliseconds, by session id.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EdgeRtts {
    pub edge_id: String,
    pub rtt_ms: BTreeMap<Uuid, f64>,
}

/// An error page an edge answered for a request to a tunnel.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorSample {
    pub at: u64,
    pub tunnel_id: Uuid,
    pub status: u16,
    /// Why (`no_session`, `origin_timeout`, …: the `cause` label of `tether_edge_errors`).
    pub cause: String,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct StatsSample {
    /// Unix seconds.
    pub at: u64,
    /// Public requests answered since the edge started.
    pub requests: u64,
    /// Of those, answered 5xx (the edge's own error pages included).
    pub errors: u64,
    pub sessions: i64,
    pub streams: i64,
}

impl State {
    /// Creates an admin token; returns its record and the token text, which exists nowhere else.
    pub async fn create_admin_token(
        &self,
        name: &str,
        role: Role,
        ttl: Option<std::time::Duration>,
    ) -> Result<(AdminTokenRecord, String), StateError> {
        let secret = hex::encode(rand::random::<[u8; 32]>());
        let now = now_secs();
        let record = AdminTokenRecord {
            id: Uuid::new_v4(),
            name: name.to_string(),
            role,
            secret_sha256: sha256_hex(&secret),
            created_at: now,
            expires_at: ttl.map(|t| now + t.as_secs()),
        };
        self.store
            .put(
                &format!("{ADMIN_TOKENS}{}", record.id),
                encode(&record),
                None,
            )
            .await?;
        let token = format!("{ADMIN_TOKEN_PREFIX}{}.{secret}", record.id.simple());
        Ok((record, token))
    }

    pub async fn admin_token(&self, id: Uuid) -> Result<Option<AdminTokenRecord>, StateError> {
        match self.store.get(&format!("{ADMIN_TOKENS}{id}")).await? {
            Some(kv) => Ok(Some(decode(&kv)?)),
            None => Ok(None),
        }
    }

    /// Opens a dashboard login for `token` lasting `ttl`; returns the cookie's value, which
    /// exists nowhere else.
    pub async fn create_login(
        &self,
        token: &AdminTokenRecord,
        ttl: std::time::Duration,
    ) -> Result<String, StateError> {
        let id = hex::encode(rand::random::<[u8; 32]>());
        let record = LoginRecord {
            token_id: token.id,
            expires_at: now_secs() + ttl.as_secs(),
        };
        let lease = self.store.grant_lease(ttl).await?;
        let key = format!("{ADMIN_LOGINS}{}", sha256_hex(&id));
        self.store.put(&key, encode(&record), Some(lease)).await?;
        Ok(id)
    }

    /// The login a cookie's value names, if it is open.
    pub async fn login(&self, id: &str) -> Result<Option<LoginRecord>, StateError> {
        let key = format!("{ADMIN_LOGINS}{}", sha256_hex(id));
        match self.store.get(&key).await? {
            Some(kv) => {
                let record: LoginRecord = decode(&kv)?;
                Ok((now_secs() < record.expires_at).then_some(record))
            }
            None => Ok(None),
        }
    }

    /// Ends the login a cookie's value names.
    pub async fn end_login(&self, id: &str) -> Result<(), StateError> {
        let key = format!("{ADMIN_LOGINS}{}", sha256_hex(id));
        self.store.delete(&key).await?;
        Ok(())
    }

    pub async fn admin_tokens(&self) -> Result<Vec<AdminTokenRecord>, StateError> {
        let (rows, _) = self.store.range(ADMIN_TOKENS).await?;
        rows.iter().map(decode).collect()
    }

    /// Revokes the admin token with this id, or the one with this name; every edge refuses it
    /// within a second.
    pub async fn revoke_admin_token(
        &self,
        id_or_name: &str,
    ) -> Result<AdminTokenRecord, StateError> {
        let tokens = self.admin_tokens().await?;
        let token = match one_named(&tokens, id_or_name, |t| (t.id, &t.name)) {
            Some(Ok(one)) => one.clone(),
            None => return Err(StateError::NoSuchAdminToken(id_or_name.into())),
            Some(Err(())) => return Err(StateError::AmbiguousAdminToken(id_or_name.into())),
        };
        self.store
            .delete(&format!("{ADMIN_TOKENS}{}", token.id))
            .await?;
        Ok(token)
    }

    /// The PING round trip of every session, as the edges holding them last published it.
    pub async fn session_rtts(&self) -> Result<BTreeMap<Uuid, f64>, StateError> {
        let (rows, _) = self.store.range(ADMIN_RTTS).await?;
        let mut all = BTreeMap::new();
        for row in &rows {
            all.extend(decode::<EdgeRtts>(row)?.rtt_ms);
        }
        Ok(all)
    }

    /// Publishes this edge's sessions' round trips under its presence lease.
    pub async fn publish_rtts(&self, rtts: &EdgeRtts, lease: LeaseId) -> Result<(), StateError> {
        let key = format!("{ADMIN_RTTS}{}", rtts.edge_id);
        self.store.put(&key, encode(rtts), Some(lease)).await?;
        Ok(())
    }

    /// Asks every edge to drain the sessions of `connector` (`admin/drains/{connector}`, under
    /// a lease of `ttl`, so the request is forgotten once it is done). A request already
    /// pending for the connector stands: a second click drains nothing more.
    pub async fn drain_connector(
        &self,
        connector: Uuid,
        ttl: std::time::Duration,
    ) -> Result<(), StateError> {
        let lease = self.store.grant_lease(ttl).await?;
        let record = DrainRecord {
            connector_id: connector,
            requested_at: now_secs(),
        };
        let key = format!("{ADMIN_DRAINS}{connector}");
        let put = self
            .store
            .put_if(&key, encode(&record), Some(lease), Expect::Absent)
            .await?;
        if put.is_err() {
            self.store.revoke(lease).await?;
        }
        Ok(())
    }

    /// Publishes this edge's counters under its presence lease: gone with the edge.
    pub async fn publish_stats(&self, stats: &EdgeStats, lease: LeaseId) -> Result<(), StateError> {
        let key = format!("{ADMIN_STATS}{}", stats.edge_id);
        self.store.put(&key, encode(stats), Some(lease)).await?;
        Ok(())
    }
}
