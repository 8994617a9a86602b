//! `policy: { bearer: [hashes] }`: `Authorization: Bearer T` where the SHA-256 of T is listed.
//! Only hashes are stored, so the store (or a backup of it) gives no token away.

use http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::error::EdgeError;

use super::{authorization, Identity};

pub fn check(hashes: &[String], headers: &HeaderMap) -> Result<Identity, EdgeError> {
    let Some(token) = authorization(headers, "Bearer") else {
        return Err(EdgeError::unauthorized(
            "bearer: no token",
            "Bearer realm=\"Tether\"",
            false,
        ));
    };
    let hash = hex::encode(Sha256::digest(token.as_bytes()));
    // Comparing digests: timing tells nothing about the token itself.
    match hashes.iter().find(|h| **h == hash) {
        Some(h) => Ok(Identity {
            method: "bearer",
            name: format!("bearer:{}", &h[..12]),
        }),
        None => Err(EdgeError::unauthorized(
            "bearer: token not accepted",
            "Bearer realm=\"Tether\", error=\"invalid_token\"",
            true,
        )),
    }
}
