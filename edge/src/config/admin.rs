//! edge.yml's `admin:`: the admin API and dashboard's listener, its TLS, and the Host names it
//! answers to. Its tokens live in the store (`edge admin token create`), so every edge honours
//! the same ones.

use std::net::SocketAddr;

use serde::Deserialize;
use tether_runtime::config_error::ConfigError;

use super::raw::{Fields, Raw};
use super::CertificateFiles;

/// Where the admin listener binds when `admin:` names no address: this host only.
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:7070";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawAdmin {
    listen: Option<String>,
    tls: Option<yaml_serde::Value>,
    #[serde(default)]
    hosts: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct AdminConfig {
    pub listen: SocketAddr,
    pub tls: AdminTls,
    /// Host names (lowercase, without port) the listener answers besides its own address,
    /// `localhost` and the edge's public hostname; any other Host is refused, so a DNS-rebinding
    /// page cannot reach the API from a browser.
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum AdminTls {
    /// Plain HTTP: only on a loopback address.
    Off,
    /// The public HTTPS listener's certificates, chosen by SNI (`tls: edge`).
    Edge,
    /// A certificate of its own (`tls: {cert, key}`).
    Files(CertificateFiles),
}

pub(super) fn admin(at: &Fields, raw: &Raw) -> Result<Option<AdminConfig>, ConfigError> {
    let Some(admin) = &raw.admin else {
        return Ok(None);
    };
    let listen = at
        .addr(&["admin", "listen"], &admin.listen)?
        .unwrap_or_else(|| DEFAULT_ADMIN_LISTEN.parse().expect("a valid address"));
    let tls = tls(at, &admin.tls)?;
    let has_certificates =
        !raw.tls.certificates.is_empty() || raw.tls.dev_ca || raw.tls.acme.is_some();
    if matches!(tls, AdminTls::Edge) && !has_certificates {
        return Err(at.err(
            &["admin", "tls"],
            "`tls: edge` serves the public listener's certificates, but there are none: set tls.certificates, tls.acme or tls.dev-ca, or give the admin listener its own (`tls: {cert: FILE, key: FILE}`)".into(),
        ));
    }
    if matches!(tls, AdminTls::Off) && !listen.ip().is_loopback() {
        return Err(at.err(
            &["admin", "listen"],
            format!("{listen} is not a loopback address and admin.tls is not set: admin tokens would cross the network in clear; set `tls: edge` (the edge's certificates) or `tls: {{cert: FILE, key: FILE}}`, or listen on 127.0.0.1"),
        ));
    }
    let mut hosts = Vec::new();
    for (i, h) in admin.hosts.iter().enumerate() {
        let host = h.trim().trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() || host.contains([':', '/', ' ']) {
            let idx = i.to_string();
            return Err(at.err(
                &["admin", "hosts", &idx],
                format!("`{h}` is not a host name; write the name alone, e.g. admin.example.com"),
            ));
        }
        hosts.push(host);
    }
    Ok(Some(AdminConfig { listen, tls, hosts }))
}

fn tls(at: &Fields, value: &Option<yaml_serde::Value>) -> Result<AdminTls, ConfigError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Files {
        cert: String,
        key: String,
    }
    let fix =
        "write `tls: edge` (the public listener's certificates) or `tls: {cert: FILE, key: FILE}`";
    match value {
        None => Ok(AdminTls::Off),
        Some(yaml_serde::Value::String(s)) if s == "edge" => Ok(AdminTls::Edge),
        Some(v @ yaml_serde::Value::Mapping(_)) => {
            let files: Files = yaml_serde::from_value(v.clone())
                .map_err(|e| at.err(&["admin", "tls"], format!("{e}; {fix}")))?;
            Ok(AdminTls::Files(CertificateFiles {
                cert: at.relative(&files.cert),
                key: at.relative(&files.key),
            }))
        }
        Some(_) => Err(at.err(&["admin", "tls"], format!("unknown value; {fix}"))),
    }
}
