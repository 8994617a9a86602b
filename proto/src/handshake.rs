//! The session handshake: a WebSocket upgrade, authenticated without a replayable secret.
//!
//! The connector signs, with the tunnel's Ed25519 private key, the TLS exporter value of the very
//! TLS session it is speaking on (RFC 9266 `tls-exporter` style channel binding, RFC 5705 keying
//! material export) together with the claim it sends in headers. A captured upgrade request is
//! worthless on any other TLS session, and the edge stores only the public key.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use http::HeaderMap;
use uuid::Uuid;

/// The WebSocket subprotocol that names protocol version 1 (`Sec-WebSocket-Protocol`).
pub const SUBPROTOCOL: &str = "tether.v1";
/// Path of the tunnel endpoint on the tunnel listener.
pub const TUNNEL_PATH: &str = "/";
/// Reserved path on the public HTTPS listener for connectors that may only dial out on 443.
pub const PUBLIC_TUNNEL_PATH: &str = "/.well-known/tether/tunnel";
/// Label for TLS keying-material export (RFC 5705 / RFC 8446 §7.5).
/// The reserved path of `connector access tcp` sessions on the edge's public HTTPS port.
pub const ACCESS_PATH: &str = "/.well-known/tether/access";
/// The subprotocol (and protocol version) of access sessions, where the access client is the
/// HTTP/2 client and opens one CONNECT stream per TCP connection.
pub const ACCESS_SUBPROTOCOL: &str = "tether-access.v1";
/// The subprotocol of an edge-to-edge link: an edge with no session of a tunnel carries the
/// request to an edge that has one (HTTP/2 over this WebSocket, the first edge the client).
pub const LINK_SUBPROTOCOL: &str = "tether-link.v1";
/// The link's proof: HMAC-SHA256 of the TLS exporter value under a key derived from the edges'
/// shared CA key (hex). Only edges sharing the store's state directory hold that key.
pub const HDR_LINK_PROOF: &str = "tether-link-proof";
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-Tether-Session-v1";
/// Length of the exported value that is signed.
pub const EXPORTER_LEN: usize = 32;

pub const HDR_TUNNEL_ID: &str = "tether-tunnel-id";
pub const HDR_CONNECTOR_ID: &str = "tether-connector-id";
pub const HDR_CONN_INDEX: &str = "tether-conn-index";
pub const HDR_VERSION: &str = "tether-version";
pub const HDR_SIGNATURE: &str = "tether-signature";
/// On a refusal: `permanent` (stop retrying) or `transient` (retry with backoff).
pub const HDR_REFUSAL: &str = "tether-refusal";

/// Domain separation so a signature over this message cannot be reused for anything else.
const SIGNING_CONTEXT: &[u8] = b"tether session v1\0";

/// What a connector claims when it opens a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaim {
    pub tunnel_id: Uuid,
    /// Stable for the life of one connector process; replicas differ.
    pub connector_id: Uuid,
    /// Which of the connector's sessions this is (0-based).
    pub conn_index: u8,
    /// The connector's software version, for logs and `edge tunnel list`.
    pub version: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HandshakeError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("malformed header {0}")]
    MalformedHeader(&'static str),
    #[error("signature does not verify with the tunnel's public key")]
    BadSignature,
}

impl SessionClaim {
    /// The exact bytes that are signed: context, exporter value, then every claimed field.
    fn signed_message(&self, exporter: &[u8; EXPORTER_LEN]) -> Vec<u8> {
        let mut msg = Vec::with_capacity(128);
        msg.extend_from_slice(SIGNING_CONTEXT);
        msg.extend_from_slice(exporter);
        msg.extend_from_slice(self.tunnel_id.as_bytes());
        msg.extend_from_slice(self.connector_id.as_bytes());
        msg.push(self.conn_index);
        msg.extend_from_slice(self.version.as_bytes());
        msg
    }

    /// Signs the claim bound to this TLS session; returns the header value.
    pub fn sign(&self, key: &SigningKey, exporter: &[u8; EXPORTER_LEN]) -> String {
        B64.encode(key.sign(&self.signed_message(exporter)).to_bytes())
    }

    /// Checks a signature made by [`SessionClaim::sign`].
    pub fn verify(
        &self,
        key: &VerifyingKey,
        exporter: &[u8; EXPORTER_LEN],
        signature_b64: &str,
    ) -> Result<(), HandshakeError> {
        let raw = B64
            .decode(signature_b64)
            .map_err(|_| HandshakeError::MalformedHeader(HDR_SIGNATURE))?;
        let sig = Signature::from_slice(&raw)
            .map_err(|_| HandshakeError::MalformedHeader(HDR_SIGNATURE))?;
        key.verify(&self.signed_message(exporter), &sig)
            .map_err(|_| HandshakeError::BadSignature)
    }

    /// Writes the claim and its signature into upgrade request headers.
    pub fn write_headers(&self, headers: &mut HeaderMap, signature: &str) {
        let mut put = |name: &'static str, value: String| {
            if let Ok(value) = value.parse() {
                headers.insert(name, value);
            }
        };
        put(HDR_TUNNEL_ID, self.tunnel_id.to_string());
        put(HDR_CONNECTOR_ID, self.connector_id.to_string());
        put(HDR_CONN_INDEX, self.conn_index.to_string());
        put(HDR_VERSION, self.version.clone());
        put(HDR_SIGNATURE, signature.to_string());
    }

    /// Reads a claim and its signature from upgrade request headers.
    pub fn from_headers(headers: &HeaderMap) -> Result<(SessionClaim, String), HandshakeError> {
        fn get<'a>(h: &'a HeaderMap, name: &'static str) -> Result<&'a str, HandshakeError> {
            h.get(name)
                .ok_or(HandshakeError::MissingHeader(name))?
                .to_str()
                .map_err(|_| HandshakeError::MalformedHeader(name))
        }
        let uuid = |name| {
            get(headers, name)?
                .parse::<Uuid>()
                .map_err(|_| HandshakeError::MalformedHeader(name))
        };
        let claim = SessionClaim {
            tunnel_id: uuid(HDR_TUNNEL_ID)?,
            connector_id: uuid(HDR_CONNECTOR_ID)?,
            conn_index: get(headers, HDR_CONN_INDEX)?
                .parse()
                .map_err(|_| HandshakeError::MalformedHeader(HDR_CONN_INDEX))?,
            version: get(headers, HDR_VERSION)?.to_string(),
        };
        Ok((claim, get(headers, HDR_SIGNATURE)?.to_string()))
    }
}

/// Whether an edge's refusal means "stop" or "try again later".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Permanent,
    Transient,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Permanent => "permanent",
            Refusal::Transient => "transient",
        }
    }

    /// Reads the refusal kind from a response; without the header, 401/403 are permanent and
    /// everything else transient.
    pub fn of_response(status: http::StatusCode, headers: &HeaderMap) -> Refusal {
        match headers.get(HDR_REFUSAL).and_then(|v| v.to_str().ok()) {
            Some("permanent") => Refusal::Permanent,
            Some("transient") => Refusal::Transient,
            _ if status == 401 || status == 403 => Refusal::Permanent,
            _ => Refusal::Transient,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim() -> SessionClaim {
        SessionClaim {
            tunnel_id: Uuid::new_v4(),
            connector_id: Uuid::new_v4(),
            conn_index: 2,
            version: "0.1.0".into(),
        }
    }

    #[test]
    fn signature_round_trips_through_headers() {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let exporter = [7u8; EXPORTER_LEN];
        let claim = claim();
        let mut headers = HeaderMap::new();
        claim.write_headers(&mut headers, &claim.sign(&key, &exporter));
        let (read, sig) = SessionClaim::from_headers(&headers).unwrap();
        assert_eq!(read, claim);
        assert_eq!(read.verify(&key.verifying_key(), &exporter, &sig), Ok(()));
    }

    #[test]
    fn signature_is_bound_to_the_tls_session_and_the_claim() {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let claim = claim();
        let sig = claim.sign(&key, &[1u8; EXPORTER_LEN]);
        let other_session = claim.verify(&key.verifying_key(), &[2u8; EXPORTER_LEN], &sig);
        assert_eq!(other_session, Err(HandshakeError::BadSignature));
        let mut other_index = claim.clone();
        other_index.conn_index = 3;
        let forged = other_index.verify(&key.verifying_key(), &[1u8; EXPORTER_LEN], &sig);
        assert_eq!(forged, Err(HandshakeError::BadSignature));
        let other_key = SigningKey::generate(&mut rand::rngs::OsRng);
        let wrong_key = claim.verify(&other_key.verifying_key(), &[1u8; EXPORTER_LEN], &sig);
        assert_eq!(wrong_key, Err(HandshakeError::BadSignature));
    }

    #[test]
    fn missing_headers_are_named() {
        let err = SessionClaim::from_headers(&HeaderMap::new()).unwrap_err();
        assert_eq!(err, HandshakeError::MissingHeader(HDR_TUNNEL_ID));
    }
}
