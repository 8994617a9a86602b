//! JWT and JWKS handling: an issuer's key set (JSON, from a policy or fetched from its URL) and a
//! bearer token checked against it, with the `require:` rules, as the edge checks a `jwt` route.
//! The input is the key set, a NUL, the token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether_edge::policy::jwks::KeyCache;
use tether_edge::policy::jwt::{parse_jwks, verify};
use tether_edge::state::route_policy::JwtPolicy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (jwks, token) = text.split_once('\0').unwrap_or((text, ""));
    let _ = parse_jwks(jwks);
    let policy: JwtPolicy = serde_json::from_value(serde_json::json!({
        "issuer": "https://issuer.example.test",
        "audience": ["app"],
        "jwks": jwks,
        "require": {"groups": ["admins"], "email-domains": ["example.test"], "claims": {"role": ["ops"]}},
    }))
    .unwrap();
    let keys = KeyCache::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        if let Ok(claims) = verify(token, &policy.issuer, &policy.audience, &policy, &keys).await {
            let _ = tether_edge::policy::require::admits(&policy.require, &claims);
            let _ = claims.name();
        }
    });
});
