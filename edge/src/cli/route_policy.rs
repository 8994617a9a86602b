//! `edge tunnel route policy HOSTNAME --file F`: reads a route's policy file (client rules,
//! limits, access policy), checks everything in it, reads the files it names, and stores the
//! result in the route's record. Every error names the file, the line and the fix.

use std::path::Path;

use tether_proto::config_error::ConfigError;

use super::backend::Backend;
use crate::state::route_policy::{Policy, RouteRules};

/// The keys a policy file may have at its top.
const KEYS: &[&str] = &["client-ip-rules", "limits", "policy", "identity-header"];

/// Sets (or with `None`, clears) the rules of the route for `hostname`.
/// The file is read here, with the files it names, and only the result is sent (`--api`).
pub(super) async fn set_policy(
    backend: &Backend,
    hostname: &str,
    file: Option<&Path>,
) -> anyhow::Result<()> {
    let rules = match file {
        Some(path) => load(path)?,
        None => RouteRules::default(),
    };
    let route = backend.set_policy(hostname, rules).await?;
    match route.policy.is_empty() {
        true => println!("Cleared the policy of {}", route.hostname),
        false => println!("Set the policy of {}: {}", route.hostname, route.policy),
    }
    println!("Every edge enforces it within a second.");
    Ok(())
}

/// Reads and checks a policy file.
pub fn load(path: &Path) -> Result<RouteRules, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::file(&file, format!("cannot read policy file: {e}")))?;
    let value: yaml_serde::Value =
        yaml_serde::from_str(&text).map_err(|e| ConfigError::from_yaml(&file, &e))?;
    if let Some(map) = value.as_mapping() {
        for key in map.keys().filter_map(|k| k.as_str()) {
            if !KEYS.contains(&key) {
                return Err(ConfigError::at(
                    &file,
                    &text,
                    &[key],
                    format!("unknown key `{key}`; a policy file has {}", KEYS.join(", ")),
                ));
            }
        }
    }
    let mut rules: RouteRules =
        yaml_serde::from_str(&text).map_err(|e| ConfigError::from_yaml(&file, &e))?;
    let at = Checker {
        path,
        file: &file,
        text: &text,
    };
    at.limits(&rules)?;
    if let Some(name) = &rules.identity_header {
        let lower = name.to_ascii_lowercase();
        if http::HeaderName::from_bytes(lower.as_bytes()).is_err() || lower == "host" {
            return Err(at.err(
                &["identity-header"],
                format!("`{name}` is not a header name the edge can set; write e.g. X-Auth-User"),
            ));
        }
        rules.identity_header = Some(lower);
    }
    if let Some(policy) = rules.policy.as_mut() {
        at.policy(policy)?;
    }
    Ok(rules)
}

struct Checker<'a> {
    path: &'a Path,
    file: &'a str,
    text: &'a str,
}

impl Checker<'_> {
    fn err(&self, keys: &[&str], msg: String) -> ConfigError {
        ConfigError::at(self.file, self.text, keys, msg)
    }

    /// Reads a file the policy names, relative to the policy file.
    fn read(&self, keys: &[&str], name: &str) -> Result<String, ConfigError> {
        let p = Path::new(name);
        let p = match p.is_absolute() {
            true => p.to_path_buf(),
            false => self.path.parent().unwrap_or(Path::new(".")).join(p),
        };
        std::fs::read_to_string(&p)
            .map_err(|e| self.err(keys, format!("cannot read {}: {e}", p.display())))
    }

    fn limits(&self, rules: &RouteRules) -> Result<(), ConfigError> {
        let l = &rules.limits;
        for (key, v) in [
            ("requests-per-second", l.requests_per_second),
            ("burst", l.burst),
        ] {
            if v == Some(0) {
                return Err(self.err(
                    &["limits", key],
                    format!("{key} is 0, which would refuse every request; write at least 1"),
                ));
            }
        }
        if l.burst.is_some() && l.requests_per_second.is_none() {
            return Err(self.err(
                &["limits", "burst"],
                "burst needs requests-per-second beside it".into(),
            ));
        }
        Ok(())
    }

    fn policy(&self, policy: &mut Policy) -> Result<(), ConfigError> {
        let method = policy.method();
        let at = |key: &'static str| vec!["policy", method, key];
        match policy {
            Policy::Basic(basic) => {
                let Some(name) = basic.htpasswd_file.take() else {
                    return Err(self.err(
                        &["policy", "basic"],
                        "basic needs htpasswd-file (made with `htpasswd -B -c FILE USER`)".into(),
                    ));
                };
                let keys = at("htpasswd-file");
                let content = self.read(&keys, &name)?;
                basic.users = htpasswd_users(&content)
                    .map_err(|why| self.err(&keys, format!("{name}: {why}")))?;
            }
            Policy::Bearer(hashes) => {
                for (i, h) in hashes.iter_mut().enumerate() {
                    *h = h.trim().to_ascii_lowercase();
                    if h.len() != 64 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
                        return Err(self.err(
                            &["policy", "bearer", &i.to_string()],
                            "write the SHA-256 of each token in hex (`printf %s TOKEN | sha256sum`), not the token".into(),
                        ));
                    }
                }
            }
            Policy::Jwt(jwt) => {
                match (&jwt.jwks_url, jwt.jwks_file.take()) {
                    (Some(_), Some(_)) | (None, None) => {
                        return Err(self.err(
                            &["policy", "jwt"],
                            "jwt needs one of jwks-url (the issuer's keys, fetched) or jwks-file"
                                .into(),
                        ))
                    }
                    (Some(url), None) => {
                        fetchable(url).map_err(|why| self.err(&at("jwks-url"), why))?
                    }
                    (None, Some(name)) => {
                        let keys = at("jwks-file");
                        let content = self.read(&keys, &name)?;
                        crate::policy::jwt::parse_jwks(&content)
                            .map_err(|why| self.err(&keys, format!("{name}: {why}")))?;
                        jwt.jwks = Some(content);
                    }
                }
                jwt.ca = self.ca(&at("ca-file"), jwt.ca_file.take())?;
            }
            Policy::Oidc(oidc) => {
                fetchable(&oidc.issuer).map_err(|why| self.err(&at("issuer"), why))?;
                humantime::parse_duration(&oidc.session_duration).map_err(|e| {
                    self.err(
                        &at("session-duration"),
                        format!("not a duration ({e}); write e.g. 24h"),
                    )
                })?;
                oidc.ca = self.ca(&at("ca-file"), oidc.ca_file.take())?;
            }
            Policy::Mtls(mtls) => {
                let Some(ca) = self.ca(&at("ca-file"), mtls.ca_file.take())? else {
                    return Err(self.err(
                        &["policy", "mtls"],
                        "mtls needs ca-file: the PEM CA that issues the client certificates".into(),
                    ));
                };
                mtls.ca = ca;
            }
        }
        Ok(())
    }

    /// A PEM CA file, read and checked.
    fn ca(&self, keys: &[&str], name: Option<String>) -> Result<Option<String>, ConfigError> {
        let Some(name) = name else {
            return Ok(None);
        };
        let pem = self.read(keys, &name)?;
        crate::policy::pem_roots(&pem).map_err(|why| self.err(keys, format!("{name}: {why}")))?;
        Ok(Some(pem))
    }
}

/// `https://`, or `http://` to a loopback address (a provider on the edge's own machine).
fn fetchable(url: &str) -> Result<(), String> {
    let uri: http::Uri = url.parse().map_err(|_| format!("`{url}` is not a URL"))?;
    let host = uri.host().unwrap_or("");
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if loopback => Ok(()),
        _ => Err(format!(
            "`{url}` must be https:// (plain http:// only to a loopback address)"
        )),
    }
}

/// The entries of an htpasswd file: bcrypt only.
pub fn htpasswd_users(content: &str) -> Result<Vec<String>, String> {
    let mut users = Vec::new();
    for (i, line) in content.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((user, hash)) = line.split_once(':') else {
            return Err(format!("line {}: not `user:hash`", i + 1));
        };
        if user.is_empty() || !["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p)) {
            return Err(format!(
                "line {}: only bcrypt entries are accepted (`htpasswd -B`); MD5, SHA-1 and crypt are too weak",
                i + 1
            ));
        }
        users.push(line.to_string());
    }
    if users.is_empty() {
        return Err("no users in it".into());
    }
    Ok(users)
}
