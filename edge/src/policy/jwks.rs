//! An issuer's signing keys (a JWKS), kept in memory: fetched from `jwks-url` on first use,
//! again after [`FRESH`], and at once when a token names a key not seen yet (an issuer that
//! rotated), at most every [`REFETCH_AT_MOST`]. When the issuer cannot be reached, the keys
//! already known go on working.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};
use sha2::{Digest, Sha256};

use super::fetch::Fetcher;
use super::PolicyError;

const POISONED: PolicyError = PolicyError::Poisoned("key cache");

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

struct Fetched {
    keys: Option<Arc<KeySet>>,
    at: Option<Instant>,
}

/// Keys by where they come from: a URL, or the hash of an inline JWKS.
#[derive(Default)]
pub struct KeyCache {
    fetcher: Fetcher,
    inline: Mutex<HashMap<[u8; 32], Arc<KeySet>>>,
    urls: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Fetched>>>>,
}

impl KeyCache {
    /// The keys of an inline JWKS, parsed once.
    pub fn inline(&self, json: &str) -> Result<Arc<KeySet>, PolicyError> {
        let hash: [u8; 32] = Sha256::digest(json.as_bytes()).into();
        let mut inline = self.inline.lock().map_err(|_| POISONED)?;
        if let Some(keys) = inline.get(&hash) {
            return Ok(keys.clone());
        }
        let keys = Arc::new(parse(json)?);
        if inline.len() > 256 {
            inline.clear();
        }
        inline.insert(hash, keys.clone());
        Ok(keys)
    }

    /// The keys at `url`, fetched when they are old or lack `kid`.
    pub async fn fetched(
        &self,
        url: &str,
        ca: Option<&str>,
        kid: Option<&str>,
    ) -> Result<Arc<KeySet>, PolicyError> {
        let entry = {
            let mut urls = self.urls.lock().map_err(|_| POISONED)?;
            urls.entry(url.to_string())
                .or_insert_with(|| {
                    Arc::new(tokio::sync::Mutex::new(Fetched {
                        keys: None,
                        at: None,
                    }))
                })
                .clone()
        };
        // One fetch at a time per URL: the requests that arrive meanwhile wait for its keys.
        let mut entry = entry.lock().await;
        let has_kid = |keys: &KeySet| kid.is_none() || keys.iter().any(|k| k.kid.as_deref() == kid);
        let age = entry.at.map(|at| at.elapsed());
        let stale = match &entry.keys {
            Some(keys) => age.is_none_or(|a| a > FRESH) || !has_kid(keys),
            None => true,
        };
        if stale && age.is_none_or(|a| a > REFETCH_AT_MOST) {
            entry.at = Some(Instant::now());
            match self.fetcher.json::<JwkSet>(url, ca).await {
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
