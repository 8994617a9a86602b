//! Edge-signed cookie values: JSON, then `.`, then its HMAC-SHA256, both base64url. The key is
//! derived from the cluster's secret (`cluster/link-secret` in the store), so every edge of a
//! cluster reads what any of them wrote, and nothing else can forge one. The hmac crate does the
//! MAC; the format is ours because a cookie needs no more than this.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct SigningKey([u8; 32]);

impl SigningKey {
    /// The cookie key of a cluster: domain-separated from the link key made of the same secret.
    pub fn derive(secret: &[u8]) -> SigningKey {
        let mut hash = Sha256::new();
        hash.update(b"tether edge cookie key v1\0");
        hash.update(secret);
        SigningKey(hash.finalize().into())
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes a key of any length; this cannot fail.
        <HmacSha256 as Mac>::new_from_slice(&self.0).expect("HMAC key of any length")
    }

    pub fn sign<T: Serialize>(&self, value: &T) -> String {
        let json = serde_json::to_vec(value).unwrap_or_default();
        let mut mac = self.mac();
        mac.update(&json);
        let tag = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&json),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The value, when `text` is one this key signed (compared in constant time).
    pub fn open<T: DeserializeOwned>(&self, text: &str) -> Option<T> {
        let (body, tag) = text.split_once('.')?;
        let json = URL_SAFE_NO_PAD.decode(body).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let mut mac = self.mac();
        mac.update(&json);
        mac.verify_slice(&tag).ok()?;
        serde_json::from_slice(&json).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_value_opens_with_its_key_only_and_not_once_changed() {
        let key = SigningKey::derive(b"secret");
        let signed = key.sign(&("alice", 42u64));
        assert_eq!(
            key.open::<(String, u64)>(&signed),
            Some(("alice".into(), 42))
        );
        assert_eq!(
            SigningKey::derive(b"other").open::<(String, u64)>(&signed),
            None
        );
        let (body, tag) = signed.split_once('.').unwrap();
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(br#"["mallory",42]"#));
        assert_ne!(body, forged.split_once('.').unwrap().0);
        assert_eq!(key.open::<(String, u64)>(&forged), None);
    }
}
