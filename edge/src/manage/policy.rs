//! The checks a route's rules pass before they are stored, once the files they name have been
//! read into them (`edge tunnel route policy --file` reads them where it runs): the same for the
//! local CLI and the admin API, so a policy sent as JSON is held to what a policy file is. An
//! error names the keys it is about, which the CLI turns into the file's line.

use crate::policy::{jwt::parse_jwks, pem_roots, PolicyError};
use crate::state::route_policy::{Policy, RouteRules};

/// What is wrong, and where (a path of keys, as in the policy file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub keys: Vec<String>,
    pub message: String,
}

fn at(keys: &[&str], message: impl Into<String>) -> RuleError {
    RuleError {
        keys: keys.iter().map(|k| k.to_string()).collect(),
        message: message.into(),
    }
}

/// Checks `rules` and puts them in their stored form (header names and hashes in lower case).
pub fn check_rules(rules: &mut RouteRules) -> Result<(), RuleError> {
    let l = &rules.limits;
    for (key, v) in [
        ("requests-per-second", l.requests_per_second),
        ("burst", l.burst),
    ] {
        if v == Some(0) {
            let why = format!("{key} is 0, which would refuse every request; write at least 1");
            return Err(at(&["limits", key], why));
        }
    }
    if l.burst.is_some() && l.requests_per_second.is_none() {
        let why = "burst needs requests-per-second beside it";
        return Err(at(&["limits", "burst"], why));
    }
    if let Some(name) = &rules.identity_header {
        let lower = name.to_ascii_lowercase();
        if http::HeaderName::from_bytes(lower.as_bytes()).is_err() || lower == "host" {
            let why =
                format!("`{name}` is not a header name the edge can set; write e.g. X-Auth-User");
            return Err(at(&["identity-header"], why));
        }
        rules.identity_header = Some(lower);
    }
    match rules.policy.as_mut() {
        Some(policy) => check_policy(policy),
        None => Ok(()),
    }
}

fn check_policy(policy: &mut Policy) -> Result<(), RuleError> {
    let method = policy.method();
    let key = |k: &'static str| [String::from("policy"), method.into(), k.into()];
    let unread = |file: &Option<String>, k: &'static str| {
        match file {
        Some(_) => Err(RuleError {
            keys: key(k).to_vec(),
            message: format!("{k} names a file on the machine that sets the policy; it must be read there (`edge tunnel route policy --file` does) and its content sent"),
        }),
        None => Ok(()),
    }
    };
    match policy {
        Policy::Basic(basic) => {
            unread(&basic.htpasswd_file, "htpasswd-file")?;
            if basic.users.is_empty() {
                let why = "basic needs htpasswd-file (made with `htpasswd -B -c FILE USER`)";
                return Err(at(&["policy", "basic"], why));
            }
            basic.users = htpasswd_users(&basic.users.join("\n"))
                .map_err(|why| at(&["policy", "basic", "users"], why.to_string()))?;
        }
        Policy::Bearer(hashes) => {
            for (i, h) in hashes.iter_mut().enumerate() {
                *h = h.trim().to_ascii_lowercase();
                if h.len() != 64 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(at(&["policy", "bearer", &i.to_string()], "write the SHA-256 of each token in hex (`printf %s TOKEN | sha256sum`), not the token"));
                }
            }
        }
        Policy::Jwt(jwt) => {
            unread(&jwt.jwks_file, "jwks-file")?;
            unread(&jwt.ca_file, "ca-file")?;
            match (&jwt.jwks_url, &jwt.jwks) {
                (Some(_), Some(_)) | (None, None) => {
                    let why = "jwt needs one of jwks-url (the issuer's keys, fetched) or jwks-file";
                    return Err(at(&["policy", "jwt"], why));
                }
                (Some(url), None) => fetchable(url)
                    .map_err(|why| at(&["policy", "jwt", "jwks-url"], why.to_string()))?,
                (None, Some(jwks)) => {
                    parse_jwks(jwks)
                        .map_err(|why| at(&["policy", "jwt", "jwks"], why.to_string()))?;
                }
            }
            ca(jwt.ca.as_deref(), &["policy", "jwt", "ca"])?;
        }
        Policy::Oidc(oidc) => {
            unread(&oidc.ca_file, "ca-file")?;
            fetchable(&oidc.issuer)
                .map_err(|why| at(&["policy", "oidc", "issuer"], why.to_string()))?;
            humantime::parse_duration(&oidc.session_duration).map_err(|e| {
                let why = format!("not a duration ({e}); write e.g. 24h");
                at(&["policy", "oidc", "session-duration"], why)
            })?;
            ca(oidc.ca.as_deref(), &["policy", "oidc", "ca"])?;
        }
        Policy::Mtls(mtls) => {
            unread(&mtls.ca_file, "ca-file")?;
            if mtls.ca.is_empty() {
                let why = "mtls needs ca-file: the PEM CA that issues the client certificates";
                return Err(at(&["policy", "mtls"], why));
            }
            ca(Some(&mtls.ca), &["policy", "mtls", "ca"])?;
        }
    }
    Ok(())
}

fn ca(pem: Option<&str>, keys: &[&str]) -> Result<(), RuleError> {
    match pem {
        Some(pem) => pem_roots(pem)
            .map(|_| ())
            .map_err(|why| at(keys, why.to_string())),
        None => Ok(()),
    }
}

/// `https://`, or `http://` to a loopback address (a provider on the edge's own machine).
pub fn fetchable(url: &str) -> Result<(), PolicyError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| PolicyError::NotAUrl(url.to_string()))?;
    let host = uri.host().unwrap_or("");
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if loopback => Ok(()),
        _ => Err(PolicyError::NotFetchable(url.to_string())),
    }
}

/// The entries of an htpasswd file: bcrypt only.
pub fn htpasswd_users(content: &str) -> Result<Vec<String>, PolicyError> {
    let mut users = Vec::new();
    for (i, line) in content.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((user, hash)) = line.split_once(':') else {
            return Err(PolicyError::HtpasswdLine(i + 1));
        };
        if user.is_empty() || !["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p)) {
            return Err(PolicyError::HtpasswdWeak(i + 1));
        }
        users.push(line.to_string());
    }
    if users.is_empty() {
        return Err(PolicyError::HtpasswdEmpty);
    }
    Ok(users)
}
