//! Per-route access: what a route's record asks of a public client (`client-ip-rules` and
//! `policy`, `state::route_policy`), checked at the edge before anything reaches the tunnel.
//! [`Gate::check`] answers with the verified identity or the refusal.
//!
//! - [`basic`]: HTTP Basic against bcrypt htpasswd entries; [`bearer`]: token hashes;
//! - [`jwt`]: JWTs against an issuer's keys, which [`jwks`] fetches and caches through [`fetch`];
//! - [`oidc`]: a login at an OpenID provider, kept in a cookie the edge signs ([`signed`]) as a
//!   session bound to its policy and ended on every edge by a logout ([`oidc_session`]);
//! - [`mtls`]: the client certificate the TLS handshake verified (`tls::client_auth`);
//!
//! May use: `state` (the records) and `protect` (the failure budget), and the leaves.

pub mod basic;
pub mod bearer;
pub mod compiled;
mod error;
pub mod fetch;
pub mod jwks;
pub mod jwt;
pub mod mtls;
pub mod oidc;
pub mod oidc_session;
pub mod require;
pub mod signed;

pub use compiled::CompiledPolicy;
pub use error::PolicyError;

use std::net::IpAddr;
use std::sync::Arc;

use http::request::Parts;
use http::HeaderMap;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::error::EdgeError;
use crate::protect::failures::Failures;
use crate::state::oidc_logouts::SignedOut;
use crate::state::route_policy::{admitted_by, IpRule, RouteRules};

/// Who a policy let through, for the origin (the identity header) and the access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `basic`, `bearer`, `jwt`, `oidc`, `mtls`.
    pub method: &'static str,
    /// The user name, the token's email or subject, the certificate's subject.
    pub name: String,
}

/// What [`Gate::check`] knows of a request: its head and where it came from.
pub struct Asking<'a> {
    pub head: &'a Parts,
    /// The client's address (after the PROXY protocol, when a trusted balancer sent one).
    pub client: IpAddr,
    /// The client certificate its connection's handshake verified: the id of the CA it was
    /// verified against, and its subject.
    pub certificate: Option<([u8; 32], &'a str)>,
}

/// What a route asks of a client, compiled with the edge's view: its address rules and policy.
pub struct Access {
    pub client_ip_rules: Vec<IpRule>,
    pub policy: Option<CompiledPolicy>,
}

impl Access {
    pub fn compile(rules: &RouteRules, keys: &jwks::KeyCache) -> Access {
        Access {
            client_ip_rules: rules.client_ip_rules.clone(),
            policy: rules
                .policy
                .as_ref()
                .map(|p| CompiledPolicy::compile(p, keys)),
        }
    }

    /// Whether `ip` may use the route: the first client rule that covers it decides.
    pub fn admits(&self, ip: IpAddr) -> bool {
        admitted_by(&self.client_ip_rules, ip)
    }
}

/// The per-route checks, and what they keep between requests (fetched keys, verified
/// passwords).
pub struct Gate {
    failures: Arc<Failures>,
    basic: basic::Verified,
    keys: Arc<jwks::KeyCache>,
    oidc: oidc::Oidc,
}

impl Gate {
    /// `cookies` signs the oidc policy's session cookies; `signed_out` holds the sessions a
    /// logout ended.
    pub fn new(
        failures: Arc<Failures>,
        cookies: signed::SigningKey,
        signed_out: SignedOut,
    ) -> Gate {
        Gate {
            failures,
            basic: basic::Verified::default(),
            keys: Arc::default(),
            oidc: oidc::Oidc::new(cookies, signed_out),
        }
    }

    /// The fetched key sets, which the view's compilation of policies shares.
    pub fn keys(&self) -> Arc<jwks::KeyCache> {
        self.keys.clone()
    }

    /// `Ok(None)` when the route asks for nothing, `Ok(Some(identity))` when its policy let the
    /// request through, or the refusal.
    pub async fn check(
        &self,
        access: &Access,
        asking: &Asking<'_>,
    ) -> Result<Option<Identity>, EdgeError> {
        if !access.admits(asking.client) {
            return Err(EdgeError::Forbidden(
                "client-ip-rules: the client's address is not allowed".into(),
            ));
        }
        let Some(policy) = &access.policy else {
            return Ok(None);
        };
        // Guessing passwords or tokens spends the address's failure budget, as bad handshakes do.
        if let Some(wait) = self.failures.blocked(asking.client) {
            return Err(EdgeError::RateLimited(wait));
        }
        let checked = match policy {
            CompiledPolicy::Basic(rule) => self.basic.check(rule, &asking.head.headers).await,
            CompiledPolicy::Bearer(hashes) => bearer::check(hashes, &asking.head.headers),
            CompiledPolicy::Jwt(rule) => jwt::check(rule, &asking.head.headers).await,
            CompiledPolicy::Mtls(rule) => mtls::check(rule, asking.certificate),
            CompiledPolicy::Oidc(p) => self.oidc.check(p, asking.head, &self.keys).await,
            CompiledPolicy::Broken(method, e) => {
                Err(EdgeError::Forbidden(format!("{method}: {e}")))
            }
        };
        if let Err(EdgeError::Unauthorized { guess: true, .. }) = &checked {
            self.failures.failed(asking.client);
        }
        checked.map(Some)
    }
}

/// The certificates of a PEM CA file (at least one).
pub fn pem_roots(pem: &str) -> Result<Vec<CertificateDer<'static>>, PolicyError> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| PolicyError::NotPem(e.to_string()))?;
    if certs.is_empty() {
        return Err(PolicyError::NoCertificate);
    }
    Ok(certs)
}

/// The value of cookie `name` in the request's Cookie headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// The credentials of an `Authorization: SCHEME …` header, when it uses `scheme`.
pub fn authorization<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (s, rest) = value.split_once(' ')?;
    s.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}
