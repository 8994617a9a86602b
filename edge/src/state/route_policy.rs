//! What a route asks of a public client before anything reaches its tunnel, as its record stores
//! it (`client-ip-rules`, `limits`, `policy`): written by `edge tunnel route policy`, enforced by
//! the `policy` room. Every file a policy names (an htpasswd file, a JWKS, a CA) is read when the
//! policy is set and stored with it, so every edge of a cluster enforces the same thing.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize};

/// One client rule: the first whose networks hold the client's address decides.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum IpRule {
    Allow(#[serde(deserialize_with = "networks")] Vec<IpNet>),
    Deny(#[serde(deserialize_with = "networks")] Vec<IpNet>),
}

impl IpRule {
    /// `Some(allowed)` when this rule covers `ip`.
    pub fn decides(&self, ip: IpAddr) -> Option<bool> {
        let (nets, allow) = match self {
            IpRule::Allow(nets) => (nets, true),
            IpRule::Deny(nets) => (nets, false),
        };
        nets.iter().any(|n| n.contains(&ip)).then_some(allow)
    }
}

/// CIDRs or bare addresses (a /32 or /128).
fn networks<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
    let raw = Vec::<String>::deserialize(d)?;
    raw.iter()
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map(|n| n.trunc())
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "`{s}` is not an IP address or CIDR (write e.g. 10.0.0.0/8)"
                    ))
                })
        })
        .collect()
}

/// Per-route limits; each overrides the edge's own for this route.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RouteLimits {
    /// Largest request body, in bytes (413 past it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_request_body: Option<u64>,
    /// Requests per second per client address, with `burst` at once (429 past it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_second: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
}

/// Who may use a route: exactly one method.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Policy {
    /// HTTP Basic against htpasswd entries (bcrypt: `htpasswd -B`).
    Basic(BasicPolicy),
    /// `Authorization: Bearer T`, where the SHA-256 (hex) of T is in the list.
    Bearer(Vec<String>),
    /// A JWT from an identity provider, checked against its keys.
    Jwt(JwtPolicy),
    /// A login at an OpenID Connect provider (authorization code with PKCE); the edge then
    /// keeps the session in a cookie it signs.
    Oidc(OidcPolicy),
    /// A client certificate issued by a CA.
    Mtls(MtlsPolicy),
}

impl Policy {
    /// The method's name, for logs and `route list`.
    pub fn method(&self) -> &'static str {
        match self {
            Policy::Basic(_) => "basic",
            Policy::Bearer(_) => "bearer",
            Policy::Jwt(_) => "jwt",
            Policy::Oidc(_) => "oidc",
            Policy::Mtls(_) => "mtls",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct BasicPolicy {
    /// Shown by the browser's login prompt.
    #[serde(default = "default_realm")]
    pub realm: String,
    /// In the policy file: the htpasswd file, read into `users` when the policy is set.
    #[serde(default, skip_serializing)]
    pub htpasswd_file: Option<String>,
    /// `user:$2y$…` lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
}

fn default_realm() -> String {
    "Tether".into()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct JwtPolicy {
    /// The `iss` a token must carry.
    pub issuer: String,
    /// An `aud` a token must carry (one of these).
    #[serde(deserialize_with = "tether_runtime::one_or_many::one_or_many")]
    pub audience: Vec<String>,
    /// Where the issuer publishes its keys (fetched, cached, fetched again for an unknown key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    /// In the policy file: a JWKS file, read into `jwks` when the policy is set.
    #[serde(default, skip_serializing)]
    pub jwks_file: Option<String>,
    /// The issuer's keys, as a JWKS document, when they are given rather than fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<String>,
    /// In the policy file: a PEM CA to trust for `jwks-url` besides the system's roots.
    #[serde(default, skip_serializing)]
    pub ca_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
    /// The request header that carries the token (`Authorization` takes `Bearer T`).
    #[serde(default = "default_jwt_header")]
    pub header: String,
    /// A cookie that may carry it instead.
    #[serde(default = "default_jwt_cookie")]
    pub cookie: String,
    /// Who among those the issuer vouches for may pass.
    #[serde(default, skip_serializing_if = "Require::is_empty")]
    pub require: Require,
}

/// A `jwt` or `oidc` policy's `require:`: who may pass, besides being signed in. Every list
/// given must match (one of its entries); none given admits everyone the issuer signs for.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Require {
    /// Verified emails (`email_verified`), compared without case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    /// Domains of a verified email (`example.com` admits `ann@example.com`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub email_domains: Vec<String>,
    /// Entries of the token's `groups` claim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Any claim and the values it may have (a list claim matches when one entry does).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub claims: std::collections::BTreeMap<String, Vec<String>>,
}

impl Require {
    pub fn is_empty(&self) -> bool {
        *self == Require::default()
    }
}

fn default_jwt_header() -> String {
    "Authorization".into()
}

fn default_jwt_cookie() -> String {
    "TETHER_AUTHORIZATION".into()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct OidcPolicy {
    /// The provider: its discovery document is at `ISSUER/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// In the policy file: a PEM CA to trust for the provider besides the system's roots.
    #[serde(default, skip_serializing)]
    pub ca_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
    /// How long a login lasts (the session cookie's lifetime), e.g. 24h.
    #[serde(default = "default_session")]
    pub session_duration: String,
    /// Who among those the provider signs in may pass.
    #[serde(default, skip_serializing_if = "Require::is_empty")]
    pub require: Require,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "email".into(), "profile".into()]
}

fn default_session() -> String {
    "24h".into()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct MtlsPolicy {
    /// In the policy file: the PEM CA that issues client certificates, read into `ca`.
    #[serde(default, skip_serializing)]
    pub ca_file: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ca: String,
}

impl MtlsPolicy {
    /// Names the CA: the SHA-256 of its PEM.
    pub fn ca_id(&self) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(self.ca.as_bytes()).into()
    }
}

/// Whether `rules` let `ip` use a route: the first rule that covers it decides; none allows.
pub fn admitted_by(rules: &[IpRule], ip: IpAddr) -> bool {
    rules.iter().find_map(|r| r.decides(ip)).unwrap_or(true)
}

/// The header that carries the verified identity to the origin, unless the policy names
/// another. The edge removes every `tether-*` header a client sends, so it cannot be forged.
pub const IDENTITY_HEADER: &str = "tether-identity";

/// The keys a policy file (or the admin API's policy object) may have at its top.
pub const POLICY_KEYS: &[&str] = &[
    "client-ip-rules",
    "limits",
    "policy",
    "identity-header",
    "allow-cleartext",
];

/// Everything a route's policy file holds, flattened into its record (so not
/// `deny_unknown_fields` here: `edge tunnel route policy` checks the file's keys itself).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub struct RouteRules {
    // `singleton_map_recursive`: YAML writes an enum as `allow: [...]`, as JSON does (yaml_serde
    // would otherwise want a `!allow` tag).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "yaml_serde::with::singleton_map_recursive"
    )]
    pub client_ip_rules: Vec<IpRule>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub limits: RouteLimits,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "yaml_serde::with::singleton_map_recursive"
    )]
    pub policy: Option<Policy>,
    /// The header the verified identity goes to the origin in (`tether-identity`); the edge
    /// removes it from every client request first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_header: Option<String>,
    /// A route with a `policy` is served over HTTPS only: plain HTTP is redirected (308), so
    /// no password, token or cookie crosses the network in clear, unless this says otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_cleartext: bool,
}

fn is_default(limits: &RouteLimits) -> bool {
    *limits == RouteLimits::default()
}

impl RouteRules {
    pub fn is_empty(&self) -> bool {
        *self == RouteRules::default()
    }

    /// Whether plain HTTP requests are sent to HTTPS: the route has a policy that did not opt
    /// out with `allow-cleartext: true`.
    pub fn wants_https(&self) -> bool {
        self.policy.is_some() && !self.allow_cleartext
    }

    /// Whether `ip` may use the route ([`admitted_by`] its client rules).
    pub fn admits(&self, ip: IpAddr) -> bool {
        admitted_by(&self.client_ip_rules, ip)
    }

    /// A line for `route list`: what the route asks for.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.client_ip_rules.is_empty() {
            parts.push(format!("ip-rules:{}", self.client_ip_rules.len()));
        }
        if let Some(p) = &self.policy {
            parts.push(p.method().to_string());
        }
        if self.limits != RouteLimits::default() {
            parts.push("limits".into());
        }
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_rule_that_covers_the_address_decides() {
        let rules: RouteRules = yaml_serde::from_str(
            "client-ip-rules:\n  - allow: [10.1.0.0/16, 192.0.2.7]\n  - deny: [10.0.0.0/8]\n",
        )
        .unwrap();
        assert!(rules.admits("10.1.2.3".parse().unwrap()));
        assert!(rules.admits("192.0.2.7".parse().unwrap()));
        assert!(!rules.admits("10.2.0.1".parse().unwrap()));
        assert!(
            rules.admits("203.0.113.1".parse().unwrap()),
            "no rule covers it"
        );
        let json = serde_json::to_string(&rules).unwrap();
        assert_eq!(serde_json::from_str::<RouteRules>(&json).unwrap(), rules);
    }

    #[test]
    fn a_policy_names_one_method_and_files_are_not_stored() {
        let rules: RouteRules = yaml_serde::from_str(
            "policy:\n  jwt:\n    issuer: https://id.example.test\n    audience: app\n    jwks-file: keys.json\n",
        )
        .unwrap();
        let Some(Policy::Jwt(jwt)) = &rules.policy else {
            panic!("{rules:?}")
        };
        assert_eq!(jwt.audience, vec!["app".to_string()]);
        assert_eq!(jwt.header, "Authorization");
        assert!(!serde_json::to_string(&rules).unwrap().contains("keys.json"));
        let two = yaml_serde::from_str::<RouteRules>("policy:\n  bearer: []\n  basic: {}\n");
        assert!(two.is_err());
    }
}
