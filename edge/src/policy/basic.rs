//! `policy: { basic: { htpasswd-file } }`: HTTP Basic (RFC 7617) against bcrypt entries.
//!
//! bcrypt is slow on purpose (tens of milliseconds at cost 10), so a browser that sends the
//! same credentials with every request must not pay it every time: a right answer is
//! remembered, as a SHA-256 of the entry and the password, for [`REMEMBER`]. The hashing runs
//! on the blocking pool, at most [`AT_ONCE`] at a time, and wrong answers spend the client's
//! failure budget, so guessing is slow and cannot starve the edge.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use http::HeaderMap;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::error::EdgeError;

use super::compiled::BasicRule;
use super::{authorization, Identity};

const REMEMBER: Duration = Duration::from_secs(600);
const AT_ONCE: usize = 2;
/// Remembered answers at most; past it, the memory starts over.
const MAX_REMEMBERED: usize = 4096;

pub struct Verified {
    remembered: Mutex<HashMap<[u8; 32], Instant>>,
    hashing: Semaphore,
}

impl Default for Verified {
    fn default() -> Self {
        Verified {
            remembered: Mutex::default(),
            hashing: Semaphore::new(AT_ONCE),
        }
    }
}

impl Verified {
    pub async fn check(
        &self,
        rule: &BasicRule,
        headers: &HeaderMap,
    ) -> Result<Identity, EdgeError> {
        let refuse = |reason: &str, guess| EdgeError::Unauthorized {
            reason: reason.into(),
            challenge: rule.challenge.clone(),
            guess,
        };
        let Some((user, password)) = credentials(headers) else {
            return Err(refuse("basic: no credentials", false));
        };
        let entry = rule.entries.get(&user);
        let key: [u8; 32] = Sha256::new()
            .chain_update(entry.map_or("", |e| e.as_str()).as_bytes())
            .chain_update([0])
            .chain_update(password.as_bytes())
            .finalize()
            .into();
        if entry.is_some() && self.remembers(&key) {
            return Ok(Identity {
                method: "basic",
                name: user,
            });
        }
        // An unknown user is hashed too, against a dummy of the same cost, under the same
        // bound: it takes as long as a wrong password, so timing tells nobody which users exist.
        let permit = self.hashing.acquire().await;
        let hash = match entry.and_then(|e| e.split_once(':')) {
            Some((_, hash)) => hash.to_string(),
            None => dummy_hash(rule.cost).await,
        };
        let ok =
            tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
                .await
                .unwrap_or(false);
        drop(permit);
        if !ok || entry.is_none() {
            return Err(refuse("basic: wrong user or password", true));
        }
        self.remember(key);
        Ok(Identity {
            method: "basic",
            name: user,
        })
    }

    fn remembers(&self, key: &[u8; 32]) -> bool {
        let Ok(map) = self.remembered.lock() else {
            return false;
        };
        map.get(key).is_some_and(|at| at.elapsed() < REMEMBER)
    }

    fn remember(&self, key: [u8; 32]) {
        if let Ok(mut map) = self.remembered.lock() {
            if map.len() >= MAX_REMEMBERED {
                map.retain(|_, at| at.elapsed() < REMEMBER);
                if map.len() >= MAX_REMEMBERED {
                    map.clear();
                }
            }
            map.insert(key, Instant::now());
        }
    }
}

/// The bcrypt cost of a policy's entries (`$2y$10$…` is 10), so the dummy costs the same.
pub(super) fn cost_of(users: &[String]) -> u32 {
    users
        .iter()
        .find_map(|e| e.split_once(':')?.1.split('$').nth(2)?.parse().ok())
        .unwrap_or(bcrypt::DEFAULT_COST)
        // bcrypt's own bounds.
        .clamp(4, 31)
}

/// A bcrypt hash of nothing anyone knows, at `cost`: made once per cost, on the blocking pool.
async fn dummy_hash(cost: u32) -> String {
    static DUMMIES: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());
    let made = DUMMIES
        .lock()
        .ok()
        .and_then(|d| d.iter().find(|(c, _)| *c == cost).map(|(_, h)| h.clone()));
    if let Some(hash) = made {
        return hash;
    }
    let secret: [u8; 16] = rand::random();
    let hash = tokio::task::spawn_blocking(move || bcrypt::hash(secret, cost).unwrap_or_default())
        .await
        .unwrap_or_default();
    if let Ok(mut dummies) = DUMMIES.lock() {
        dummies.push((cost, hash.clone()));
    }
    hash
}

/// `user` and `password` of an `Authorization: Basic` header.
fn credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = authorization(headers, "Basic")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::route_policy::BasicPolicy;

    fn with_auth(user: &str, password: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        h.insert(
            http::header::AUTHORIZATION,
            format!("Basic {v}").parse().unwrap(),
        );
        h
    }

    fn rule(users: Vec<String>) -> BasicRule {
        let policy = crate::state::route_policy::Policy::Basic(BasicPolicy {
            realm: "app".into(),
            htpasswd_file: None,
            users,
        });
        match super::super::CompiledPolicy::compile(&policy, &Default::default()) {
            super::super::CompiledPolicy::Basic(rule) => rule,
            _ => unreachable!("a basic policy compiles to a basic rule"),
        }
    }

    #[tokio::test]
    async fn an_unknown_user_takes_as_long_as_a_wrong_password() {
        let hash = bcrypt::hash("s3cret", 8).unwrap();
        let policy = rule(vec![format!("alice:{hash}")]);
        let verified = Verified::default();
        // The dummy is made once per cost; time the checks after that.
        let _ = verified.check(&policy, &with_auth("warm", "x")).await;
        let time = |user: &'static str| {
            let (verified, policy) = (&verified, &policy);
            async move {
                let started = Instant::now();
                let answer = verified.check(policy, &with_auth(user, "wrong")).await;
                assert!(answer.is_err());
                started.elapsed()
            }
        };
        let (wrong, unknown) = (time("alice").await, time("mallory").await);
        // Before: 0.5 ms against 56 ms. Both are one bcrypt verification now.
        assert!(
            unknown * 3 >= wrong,
            "an unknown user answered in {unknown:?}, a wrong password in {wrong:?}"
        );
    }

    #[tokio::test]
    async fn the_right_password_passes_and_a_wrong_one_is_a_guess() {
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        let policy = rule(vec![format!("alice:{hash}")]);
        let verified = Verified::default();
        for _ in 0..2 {
            let id = verified
                .check(&policy, &with_auth("alice", "s3cret"))
                .await
                .unwrap();
            assert_eq!(id.name, "alice");
        }
        let wrong = verified.check(&policy, &with_auth("alice", "nope")).await;
        assert!(
            matches!(wrong, Err(EdgeError::Unauthorized { guess: true, .. })),
            "{wrong:?}"
        );
        let nobody = verified.check(&policy, &with_auth("bob", "s3cret")).await;
        assert!(matches!(
            nobody,
            Err(EdgeError::Unauthorized { guess: true, .. })
        ));
        let none = verified.check(&policy, &HeaderMap::new()).await;
        assert!(matches!(
            none,
            Err(EdgeError::Unauthorized { guess: false, .. })
        ));
    }
}
