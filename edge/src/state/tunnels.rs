//! The tunnels and access tokens in the store: created, found, deleted; names claimed by
//! compare-and-set.

use std::sync::Arc;

use uuid::Uuid;

use super::records::*;
use super::store::{Expect, KeyValue, Store};

/// The state operations, over any [`Store`].
#[derive(Clone)]
pub struct State {
    pub store: Arc<dyn Store>,
}

impl State {
    pub fn new(store: Arc<dyn Store>) -> Self {
        State { store }
    }

    /// Creates a tunnel, with a key or (to be enrolled) without one, and with the id `id` (a
    /// migrated cloudflared tunnel keeps its UUID) or a new one; the name and the id are claimed
    /// by compare-and-set so two creates cannot both win.
    pub async fn create_tunnel(
        &self,
        name: &str,
        public_key: Option<String>,
        id: Option<Uuid>,
    ) -> Result<TunnelRecord, StateError> {
        // A chosen id already in use is refused before the name is claimed, so the name never
        // points, even for a moment, at another tunnel.
        if let Some(id) = id {
            if self.tunnel(id).await?.is_some() {
                return Err(StateError::IdTaken(id));
            }
        }
        let now = now_secs();
        let record = TunnelRecord {
            id: id.unwrap_or_else(Uuid::new_v4),
            name: name.to_string(),
            keys: public_key
                .into_iter()
                .map(|public_key| TunnelKey {
                    public_key,
                    added_at: now,
                    not_after: None,
                })
                .collect(),
            created_at: now,
        };
        let name_key = format!("{TUNNEL_NAMES}{name}");
        let value = record.id.to_string().into_bytes();
        let mut claimed = self
            .store
            .put_if(&name_key, value.clone(), None, Expect::Absent)
            .await?;
        // A claim pointing at another tunnel's record was left by a create whose chosen id was
        // taken and which stopped before giving the name back: take it back once, at the
        // revision seen, and claim again. (A claim whose record is missing may be a create in
        // progress, and is left alone.)
        if let Err(Some(stale)) = &claimed {
            if self.claim_points_elsewhere(name, stale).await?
                && self.store.delete_if(&name_key, stale.mod_revision).await?
            {
                claimed = self
                    .store
                    .put_if(&name_key, value, None, Expect::Absent)
                    .await?;
            }
        }
        let Ok(claim) = claimed else {
            return Err(StateError::NameTaken(name.into()));
        };
        let stored = self
            .store
            .put_if(
                &format!("{TUNNELS}{}", record.id),
                encode(&record),
                None,
                Expect::Absent,
            )
            .await?;
        if stored.is_err() {
            // The id was taken meanwhile (only a chosen one can be): give back the name, as
            // claimed here and not since changed.
            self.store.delete_if(&name_key, claim).await?;
            return Err(StateError::IdTaken(record.id));
        }
        Ok(record)
    }

    /// Whether a name claim points at the record of a tunnel with another name.
    async fn claim_points_elsewhere(
        &self,
        name: &str,
        claim: &KeyValue,
    ) -> Result<bool, StateError> {
        let Ok(id) = String::from_utf8_lossy(&claim.value).parse::<Uuid>() else {
            return Ok(false);
        };
        Ok(self.tunnel(id).await?.is_some_and(|t| t.name != name))
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
        // A name claim whose record bears another name (a create that failed half-way) finds
        // nothing: a name never resolves to another tunnel.
        let by_name = name_or_id.parse::<Uuid>().is_err();
        match id {
            Some(id) => self
                .tunnel(id)
                .await?
                .filter(|t| !by_name || t.name == name_or_id)
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
        self.forget_enrollments(tunnel.id).await?;
        Ok(())
    }

    /// Creates an access token; returns its record and the token text, which exists nowhere else.
    /// Scoped to `hostnames` (route hostnames; empty: every token route), valid for `ttl`.
    pub async fn create_token(
        &self,
        name: &str,
        hostnames: &[String],
        ttl: Option<std::time::Duration>,
    ) -> Result<(TokenRecord, String), StateError> {
        let secret = hex::encode(rand::random::<[u8; 32]>());
        let mut scope = Vec::new();
        for h in hostnames {
            scope.push(
                tether_proto::hostname::normalize_route(h)
                    .map_err(|why| StateError::BadHostname(h.clone(), why))?,
            );
        }
        let now = now_secs();
        let record = TokenRecord {
            id: Uuid::new_v4(),
            name: name.to_string(),
            secret_sha256: sha256_hex(&secret),
            created_at: now,
            hostnames: scope,
            expires_at: ttl.map(|t| now + t.as_secs()),
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
        let token = match one_named(&tokens, id_or_name, |t| (t.id, &t.name)) {
            Some(Ok(one)) => one.clone(),
            None => return Err(StateError::NoSuchToken(id_or_name.into())),
            Some(Err(())) => return Err(StateError::AmbiguousToken(id_or_name.into())),
        };
        self.store.delete(&format!("{TOKENS}{}", token.id)).await?;
        Ok(token)
    }
}

/// How a token is named on the command line: its id (with or without dashes) or its name.
/// `Some(Ok)` for the one that matches, `Some(Err(()))` when several do, `None` for none.
pub(super) fn one_named<'a, T>(
    all: &'a [T],
    id_or_name: &str,
    id_and_name: impl Fn(&T) -> (Uuid, &str),
) -> Option<Result<&'a T, ()>> {
    let matching: Vec<&T> = all
        .iter()
        .filter(|t| {
            let (id, name) = id_and_name(t);
            id.to_string() == id_or_name
                || id.simple().to_string() == id_or_name
                || name == id_or_name
        })
        .collect();
    match matching.as_slice() {
        [] => None,
        [one] => Some(Ok(*one)),
        _ => Some(Err(())),
    }
}
