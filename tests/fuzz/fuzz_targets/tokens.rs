//! Enrollment tokens and run tokens (what `connector enroll` and `connector run --token` take
//! from a user, pasted from anywhere) and credentials files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether_proto::credentials::Credentials;
use tether_proto::enroll::{EnrollmentToken, RunToken};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = EnrollmentToken::decode(text);
        if let Ok(token) = RunToken::decode(text) {
            if let Ok(credentials) = token.credentials() {
                let _ = credentials.signing_key();
            }
        }
    }
    if let Ok(credentials) = serde_json::from_slice::<Credentials>(data) {
        let _ = credentials.signing_key();
        let _ = RunToken::from_credentials(&credentials);
    }
});
