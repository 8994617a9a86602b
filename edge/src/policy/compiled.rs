//! A route's policy compiled once, when the edge's view is built (`crate::view`), so the request
//! path parses, hashes and looks up nothing to check a client: htpasswd entries by user, an
//! inline JWKS parsed, a fetched one's cache entry held, the mTLS CA's id and client-certificate
//! verifier made. A stored policy that no longer compiles (a CA or JWKS that stopped parsing)
//! refuses every request with the reason, as a policy that cannot check anyone must.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use crate::state::route_policy::{JwtPolicy, OidcPolicy, Policy};

use super::jwks::{self, JwtKeys, KeyCache};
use super::{pem_roots, PolicyError};

/// What a route asks of a client, ready to check.
pub enum CompiledPolicy {
    Basic(BasicRule),
    Bearer(Vec<String>),
    Jwt(JwtRule),
    Oidc(OidcPolicy),
    Mtls(MtlsRule),
    /// The stored policy does not compile any more: every request is refused with this.
    Broken(&'static str, PolicyError),
}

/// HTTP Basic: the entries by user, the challenge and the bcrypt cost a dummy check pays.
pub struct BasicRule {
    pub challenge: String,
    /// User → its whole `user:hash` entry.
    pub entries: HashMap<String, String>,
    pub cost: u32,
}

/// A JWT policy and where its keys come from.
pub struct JwtRule {
    pub policy: JwtPolicy,
    pub keys: JwtKeys,
}

/// mTLS: the CA's id (what a verified connection carries) and the verifier built from it.
pub struct MtlsRule {
    pub ca_id: [u8; 32],
    pub verifier: Arc<dyn ClientCertVerifier>,
    /// The listener's settings requiring this CA, made at the first handshake that needs them
    /// (`tls::client_auth`): they need the listener's certificates.
    pub server_config: OnceLock<Arc<ServerConfig>>,
}

impl CompiledPolicy {
    /// Compiles `policy`; `keys` holds the fetched key sets, shared across compilations.
    pub fn compile(policy: &Policy, keys: &KeyCache) -> CompiledPolicy {
        let method = policy.method();
        let compiled = match policy {
            Policy::Basic(basic) => Ok(CompiledPolicy::Basic(BasicRule {
                challenge: format!(
                    "Basic realm=\"{}\", charset=\"UTF-8\"",
                    basic.realm.replace('"', "")
                ),
                entries: basic
                    .users
                    .iter()
                    .filter_map(|e| Some((e.split_once(':')?.0.to_string(), e.clone())))
                    .collect(),
                cost: super::basic::cost_of(&basic.users),
            })),
            Policy::Bearer(hashes) => Ok(CompiledPolicy::Bearer(hashes.clone())),
            Policy::Jwt(jwt) => jwt_keys(jwt, keys).map(|keys| {
                CompiledPolicy::Jwt(JwtRule {
                    policy: jwt.clone(),
                    keys,
                })
            }),
            Policy::Oidc(oidc) => Ok(CompiledPolicy::Oidc(oidc.clone())),
            Policy::Mtls(mtls) => verifier(&mtls.ca).map(|verifier| {
                CompiledPolicy::Mtls(MtlsRule {
                    ca_id: mtls.ca_id(),
                    verifier,
                    server_config: OnceLock::new(),
                })
            }),
        };
        compiled.unwrap_or_else(|e| {
            tracing::error!(method, error = %e, "a route's stored policy does not compile; it refuses every request");
            CompiledPolicy::Broken(method, e)
        })
    }

    /// The method's name, for logs and refusals.
    pub fn method(&self) -> &'static str {
        match self {
            CompiledPolicy::Basic(_) => "basic",
            CompiledPolicy::Bearer(_) => "bearer",
            CompiledPolicy::Jwt(_) => "jwt",
            CompiledPolicy::Oidc(_) => "oidc",
            CompiledPolicy::Mtls(_) => "mtls",
            CompiledPolicy::Broken(method, _) => method,
        }
    }
}

fn jwt_keys(jwt: &JwtPolicy, keys: &KeyCache) -> Result<JwtKeys, PolicyError> {
    match (&jwt.jwks, &jwt.jwks_url) {
        (Some(inline), _) => Ok(JwtKeys::Inline(Arc::new(jwks::parse(inline)?))),
        (None, Some(url)) => Ok(JwtKeys::Fetched(keys.at(url, jwt.ca.as_deref()))),
        (None, None) => Err(PolicyError::NoKeys),
    }
}

/// A verifier of client certificates issued by the CA in `ca_pem`.
pub fn verifier(ca_pem: &str) -> Result<Arc<dyn ClientCertVerifier>, PolicyError> {
    let mut roots = RootCertStore::empty();
    for cert in pem_roots(ca_pem)? {
        roots
            .add(cert)
            .map_err(|e| PolicyError::Tls(e.to_string()))?;
    }
    WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .map_err(|e| PolicyError::Tls(e.to_string()))
}
