//! `edge tunnel route policy HOSTNAME --file F`: reads a route's policy file (client rules,
//! limits, access policy) and the files it names, checks everything in it
//! (`manage::policy::check_rules`), and stores the result in the route's record, locally or
//! through the admin API. Every error names the file, the line and the fix.

use std::path::Path;

use tether_runtime::config_error::ConfigError;

use super::backend::Backend;
use crate::manage::policy::{check_rules, htpasswd_users};
use crate::state::route_policy::{Policy, RouteRules, POLICY_KEYS as KEYS};

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
    let text = tether_runtime::small_file::read_to_string(path)
        .map_err(|e| ConfigError::file(&file, format!("cannot read policy file: {e}")))?;
    parse(path, &text)
}

/// Checks a policy file's `text`; the files it names are read relative to `path`.
pub fn parse(path: &Path, text: &str) -> Result<RouteRules, ConfigError> {
    let file = path.display().to_string();
    let text = text.to_string();
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
    let at = Files {
        path,
        file: &file,
        text: &text,
    };
    if let Some(policy) = rules.policy.as_mut() {
        at.read_into(policy)?;
    }
    check_rules(&mut rules).map_err(|e| {
        let keys: Vec<&str> = e.keys.iter().map(String::as_str).collect();
        at.err(&keys, e.message)
    })?;
    Ok(rules)
}

/// The files a policy file names, read relative to it into the policy (the `*-file` keys are
/// then cleared); everything else is checked by [`check_rules`], as the admin API checks it.
struct Files<'a> {
    path: &'a Path,
    file: &'a str,
    text: &'a str,
}

impl Files<'_> {
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
        tether_runtime::small_file::read_to_string(&p)
            .map_err(|e| self.err(keys, format!("cannot read {}: {e}", p.display())))
    }

    fn read_into(&self, policy: &mut Policy) -> Result<(), ConfigError> {
        let method = policy.method();
        let at = |key: &'static str| vec!["policy", method, key];
        match policy {
            Policy::Basic(basic) => {
                if let Some(name) = basic.htpasswd_file.take() {
                    let keys = at("htpasswd-file");
                    let content = self.read(&keys, &name)?;
                    basic.users = htpasswd_users(&content)
                        .map_err(|why| self.err(&keys, format!("{name}: {why}")))?;
                }
            }
            Policy::Bearer(_) => {}
            Policy::Jwt(jwt) => {
                if let Some(name) = jwt.jwks_file.take() {
                    let keys = at("jwks-file");
                    let content = self.read(&keys, &name)?;
                    crate::policy::jwt::parse_jwks(&content)
                        .map_err(|why| self.err(&keys, format!("{name}: {why}")))?;
                    jwt.jwks = Some(content);
                }
                jwt.ca = self
                    .ca(&at("ca-file"), jwt.ca_file.take())?
                    .or(jwt.ca.take());
            }
            Policy::Oidc(oidc) => {
                oidc.ca = self
                    .ca(&at("ca-file"), oidc.ca_file.take())?
                    .or(oidc.ca.take());
            }
            Policy::Mtls(mtls) => {
                if let Some(ca) = self.ca(&at("ca-file"), mtls.ca_file.take())? {
                    mtls.ca = ca;
                }
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
