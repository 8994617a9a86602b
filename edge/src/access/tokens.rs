//! Access tokens in memory (from the store's watch, so checking one costs no store read), and the
//! access sessions opened with each, so revoking a token closes its sessions and their streams.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::state::store::{mirror, Event, Mirrored, Store};
use crate::state::{decode, TokenRecord, TOKENS};

#[derive(Default)]
struct Inner {
    tokens: HashMap<Uuid, TokenRecord>,
    /// Cancels the access sessions opened with a token.
    sessions: HashMap<Uuid, Vec<CancellationToken>>,
}

#[derive(Clone, Default)]
pub struct TokenTable {
    inner: Arc<Mutex<Inner>>,
}

impl TokenTable {
    /// The token `text`, if it is one and has not expired.
    pub fn verify(&self, text: &str) -> Option<TokenRecord> {
        let (id, secret_sha256) = TokenRecord::parse(text)?;
        let inner = self.inner.lock().ok()?;
        let record = inner.tokens.get(&id)?;
        // Both sides are hashes of secrets, so comparing them leaks nothing useful in its timing.
        let live = record
            .expires_at
            .is_none_or(|t| crate::state::now_secs() < t);
        (record.secret_sha256 == secret_sha256 && live).then(|| record.clone())
    }

    /// A cancellation for an access session opened with token `id`, fired when it is revoked.
    /// `None` if the token was revoked in the meantime.
    pub fn session(&self, id: Uuid) -> Option<CancellationToken> {
        let mut inner = self.inner.lock().ok()?;
        if !inner.tokens.contains_key(&id) {
            return None;
        }
        let cancel = CancellationToken::new();
        let sessions = inner.sessions.entry(id).or_default();
        sessions.retain(|c| !c.is_cancelled());
        sessions.push(cancel.clone());
        Some(cancel)
    }

    fn apply(&self, mirrored: Mirrored<'_>) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        match mirrored {
            Mirrored::Reset(kvs, _) => {
                inner.tokens = kvs
                    .iter()
                    .filter_map(|kv| decode::<TokenRecord>(kv).ok())
                    .map(|t| (t.id, t))
                    .collect();
                let Inner { tokens, sessions } = &mut *inner;
                sessions.retain(|id, cancels| {
                    let keep = tokens.contains_key(id);
                    if !keep {
                        cancels.iter().for_each(CancellationToken::cancel);
                    }
                    keep
                });
            }
            Mirrored::Change(Event::Put(kv)) => {
                if let Ok(token) = decode::<TokenRecord>(kv) {
                    tracing::info!(token = %token.id, name = token.name, "access token added");
                    inner.tokens.insert(token.id, token);
                }
            }
            Mirrored::Change(Event::Delete { key, .. }) => {
                let Ok(id) = key.trim_start_matches(TOKENS).parse::<Uuid>() else {
                    return;
                };
                inner.tokens.remove(&id);
                for cancel in inner.sessions.remove(&id).into_iter().flatten() {
                    cancel.cancel();
                }
                tracing::info!(token = %id, "access token revoked; its sessions are closed");
            }
        }
    }

    /// Follows the store until `shutdown`.
    pub async fn follow(self, store: Arc<dyn Store>, shutdown: CancellationToken) {
        mirror(store, TOKENS, shutdown, |m| self.apply(m)).await
    }
}
