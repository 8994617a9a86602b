//! The session handshake and control messages: a session upgrade's headers (the claim and its
//! signature, checked against a key), a refusal's kind, and the JSON bodies of `register`, `move`
//! and an enrollment request. Whatever the bytes, they parse or fail; nothing panics.
#![no_main]

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use libfuzzer_sys::fuzz_target;
use tether_proto::control::{Move, Registration};
use tether_proto::enroll::EnrollRequest;
use tether_proto::handshake::{Refusal, SessionClaim, EXPORTER_LEN};

/// Headers from lines of `name: value`.
fn headers(data: &[u8]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            map.append(n, v);
        }
    }
    map
}

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<Registration>(data);
    let _ = serde_json::from_slice::<Move>(data);
    let _ = serde_json::from_slice::<EnrollRequest>(data);
    let map = headers(data);
    if let Ok((claim, signature)) = SessionClaim::from_headers(&map) {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
        let _ = claim.verify(&key, &[1; EXPORTER_LEN], &signature);
    }
    let status = data.first().map_or(200, |b| 100 + u16::from(*b) * 2);
    let _ = Refusal::of_response(StatusCode::from_u16(status).unwrap(), &map);
});
