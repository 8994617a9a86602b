//! The key edges prove to each other when one opens a link to another: HMAC-SHA256 over the
//! link's TLS exporter value, so a proof is good for that one TLS connection only and a recorded
//! one cannot be replayed. The key is derived from the cluster's link secret (random, created once
//! in the store beside the CA, `cluster/link-secret`), which every edge of the cluster reads and
//! nothing else holds; the hmac crate does the MAC.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct LinkKey([u8; 32]);

impl LinkKey {
    /// Derives the key from the link secret, domain-separated so it is useless as anything else.
    pub fn derive(secret: &[u8]) -> LinkKey {
        let mut hash = Sha256::new();
        hash.update(b"tether edge link key v2\0");
        hash.update(secret);
        LinkKey(hash.finalize().into())
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes a key of any length; this cannot fail.
        <HmacSha256 as Mac>::new_from_slice(&self.0).expect("HMAC key of any length")
    }

    /// The proof for a link whose TLS exporter value is `exporter` (hex, for a header).
    pub fn prove(&self, exporter: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(exporter);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `proof` is this key's proof for `exporter`, compared in constant time.
    pub fn verify(&self, exporter: &[u8], proof: &str) -> bool {
        let Ok(bytes) = hex::decode(proof) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(exporter);
        mac.verify_slice(&bytes).is_ok()
    }
}

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::LinkKey;

    #[test]
    fn a_proof_holds_for_its_key_and_exporter_only() {
        let key = LinkKey::derive(b"ca key");
        let proof = key.prove(b"exporter one");
        assert!(key.verify(b"exporter one", &proof));
        assert!(!key.verify(b"exporter two", &proof));
        assert!(!LinkKey::derive(b"other ca key").verify(b"exporter one", &proof));
        assert!(!key.verify(b"exporter one", "not hex"));
    }
}
