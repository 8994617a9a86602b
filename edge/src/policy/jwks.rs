//! An issuer's signing keys (a JWKS), kept in memory: fetched from `jwks-url` on first use,
//! again after [`FRESH`], and at once when a token names a key not seen yet (an issuer that
//! rotated), at most every [`REFETCH_AT_MOST`]. When the issuer cannot be reached, the keys
//! already known go on working.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::fetch::Fetcher;
use super::PolicyError;

const FRESH: Duration = Duration::from_secs(600);
const REFETCH_AT_MOST: Duration = Duration::from_secs(2);

/// One usable key of a JWKS.
pub struct Key {
    pub kid: Option<String>,
    pub alg: Algorithm,
    pub key: DecodingKey,
}

pub type KeySet = Vec<Key>;

/// The keys of a JWKS document, each with the one algorithm it may verify: the key's own `alg`,
/// or the one its type implies. Keys for encryption, and of unknown types, are left out.
pub fn parse(json: &str) -> Result<KeySet, PolicyError> {
    let set: JwkSet =
        serde_json::from_str(json).map_err(|e| PolicyError::NotJwks(e.to_string()))?;
    keys_of(&set)
}

fn keys_of(set: &JwkSet) -> Result<KeySet, PolicyError> {
    let keys: KeySet = set.keys.iter().filter_map(usable).collect();
    if keys.is_empty() {
        return Err(PolicyError::NoUsableKey);
    }
    Ok(keys)
}

fn usable(jwk: &Jwk) -> Option<Key> {
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != jsonwebtoken::jwk::PublicKeyUse::Signature)
    {
        return None;
    }
    let alg = match (&jwk.common.key_algorithm, &jwk.algorithm) {
        (Some(KeyAlgorithm::RS256), _) => Algorithm::RS256,
        (Some(KeyAlgorithm::RS384), _) => Algorithm::RS384,
        (Some(KeyAlgorithm::RS512), _) => Algorithm::RS512,
        (Some(KeyAlgorithm::PS256), _) => Algorithm::PS256,
        (Some(KeyAlgorithm::ES256), _) => Algorithm::ES256,
        (Some(KeyAlgorithm::ES384), _) => Algorithm::ES384,
        (Some(KeyAlgorithm::EdDSA), _) => Algorithm::EdDSA,
        (Some(_), _) => return None,
        (None, AlgorithmParameters::RSA(_)) => Algorithm::RS256,
        (None, AlgorithmParameters::EllipticCurve(ec)) => match ec.curve {
            EllipticCurve::P256 => Algorithm::ES256,
            EllipticCurve::P384 => Algorithm::ES384,
            _ => return None,
        },
        (None, AlgorithmParameters::OctetKeyPair(_)) => Algorithm::EdDSA,
        // Symmetric keys would let anyone who can read the JWKS sign tokens.
        (None, _) => return None,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(Key {
        kid: jwk.common.key_id.clone(),
        alg,
        key,
    })
}

/// Where a policy's keys come from: given with the policy (parsed when the view is compiled), or
/// fetched from an issuer's URL and kept.
#[derive(Clone)]
pub enum JwtKeys {
    Inline(Arc<KeySet>),
    Fetched(Arc<FetchedKeys>),
}

impl JwtKeys {
    /// The keys to check a token against; `kid` is the key the token names, which a fetched
    /// set lacking it is fetched again for (at most every [`REFETCH_AT_MOST`]).
    pub async fn get(&self, kid: Option<&str>) -> Result<Arc<KeySet>, PolicyError> {
        match self {
            JwtKeys::Inline(keys) => Ok(keys.clone()),
            JwtKeys::Fetched(fetched) => fetched.get(kid).await,
        }
    }
}

struct Fetched {
    keys: Option<Arc<KeySet>>,
    at: Option<Instant>,
}

/// The keys at one URL: fetched on first use, again after [`FRESH`] or for a key not seen yet.
pub struct FetchedKeys {
    url: String,
    ca: Option<String>,
    fetcher: Arc<Fetcher>,
    /// One fetch at a time: the requests that arrive meanwhile wait for its keys.
    state: tokio::sync::Mutex<Fetched>,
}

impl FetchedKeys {
    async fn get(&self, kid: Option<&str>) -> Result<Arc<KeySet>, PolicyError> {
        let url = self.url.as_str();
        let mut entry = self.state.lock().await;
        let has_kid = |keys: &KeySet| kid.is_none() || keys.iter().any(|k| k.kid.as_deref() == kid);
        let age = entry.at.map(|at| at.elapsed());
        let stale = match &entry.keys {
            Some(keys) => age.is_none_or(|a| a > FRESH) || !has_kid(keys),
            None => true,
        };
        if stale && age.is_none_or(|a| a > REFETCH_AT_MOST) {
            entry.at = Some(Instant::now());
            match self.fetcher.json::<JwkSet>(url, self.ca.as_deref()).await {
                Ok(set) => match keys_of(&set) {
                    Ok(keys) => entry.keys = Some(Arc::new(keys)),
                    Err(e) => {
                        tracing::warn!(url, error = %e, "the issuer's JWKS is not usable; keeping the keys known")
                    }
                },
                Err(e) => {
                    tracing::warn!(url, error = %e, "cannot fetch the issuer's JWKS; keeping the keys known")
                }
            }
        }
        entry
            .keys
            .clone()
            .ok_or_else(|| PolicyError::KeysUnavailable(url.to_string()))
    }
}

/// A JWKS URL and the CA trusted for it besides the system's roots.
type Source = (String, Option<String>);

/// The fetched key sets by URL (and the CA trusted for it), shared by every policy naming the
/// same issuer and kept across compilations of the view, so a route change refetches nothing.
#[derive(Default)]
pub struct KeyCache {
    fetcher: Arc<Fetcher>,
    urls: Mutex<HashMap<Source, Arc<FetchedKeys>>>,
}

impl KeyCache {
    /// The keys at `url`, trusting `ca` besides the system's roots for it.
    pub fn at(&self, url: &str, ca: Option<&str>) -> Arc<FetchedKeys> {
        let key = (url.to_string(), ca.map(str::to_string));
        let make = || {
            Arc::new(FetchedKeys {
                url: url.to_string(),
                ca: ca.map(str::to_string),
                fetcher: self.fetcher.clone(),
                state: tokio::sync::Mutex::new(Fetched {
                    keys: None,
                    at: None,
                }),
            })
        };
        match self.urls.lock() {
            Ok(mut urls) => urls.entry(key).or_insert_with(make).clone(),
            // Poisoned: a set of its own, fetched afresh.
            Err(_) => make(),
        }
    }
}
