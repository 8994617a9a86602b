//! edge.yml's `tls.acme`: certificates from an ACME CA (RFC 8555) for the routed hostnames.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use serde::Deserialize;
use tether_runtime::config_error::ConfigError;

use super::raw::{Fields, Raw};
use super::Listen;

/// Let's Encrypt's directories, which `directory:` also takes by name.
pub const LETSENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
pub const LETSENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// One order per name per hour at the most: Let's Encrypt allows five failed validations per
/// account and name per hour, so not even a persistent failure can reach its limits.
pub const DEFAULT_ORDER_INTERVAL: Duration = Duration::from_secs(3600);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawAcme {
    directory: Option<String>,
    email: Option<String>,
    /// One path, or a list.
    #[serde(default, deserialize_with = "tether_runtime::one_or_many::one_or_many")]
    ca_roots: Vec<String>,
    challenge: Option<Vec<String>>,
    renew_before: Option<String>,
    eab: Option<RawEab>,
    domains: Option<Vec<String>>,
    #[serde(default)]
    names: Vec<String>,
    order_interval: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawEab {
    key_id: String,
    hmac: String,
}

/// How a CA may check that this edge controls a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    /// RFC 8737, on the public HTTPS port.
    TlsAlpn01,
    /// RFC 8555 §8.3, on the public HTTP port.
    Http01,
    /// RFC 8555 §8.4, a TXT record in a zone this edge's DNS serves; the only one for wildcards.
    Dns01,
}

impl ChallengeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::TlsAlpn01 => "tls-alpn-01",
            ChallengeKind::Http01 => "http-01",
            ChallengeKind::Dns01 => "dns-01",
        }
    }
}

/// External account binding (RFC 8555 §7.3.4), for CAs that ask for one (ZeroSSL, Google).
#[derive(Clone)]
pub struct Eab {
    pub key_id: String,
    /// The decoded HMAC key; never printed.
    pub hmac: Vec<u8>,
}

impl std::fmt::Debug for Eab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Eab")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct AcmeConfig {
    pub directory: String,
    /// The account's contact, `mailto:` added.
    pub email: Option<String>,
    /// PEM files of roots to trust for the directory's HTTPS besides the system's (a private CA).
    pub ca_roots: Vec<PathBuf>,
    /// The challenges to use, in order of preference.
    pub challenges: Vec<ChallengeKind>,
    /// `challenge:` was written: its order holds for every name. Otherwise names in a zone this
    /// edge's DNS serves try dns-01 first (it needs no public port).
    pub challenge_order_set: bool,
    /// Renew when this much of a certificate's life is left; `None`: when a third is left.
    pub renew_before: Option<Duration>,
    pub eab: Option<Eab>,
    /// Only names these allow are ordered (`domains`): `example.com` allows that name, and
    /// `*.example.com` the wildcard and every name under example.com. `None`: any name.
    pub domains: Option<Vec<String>>,
    /// Names ordered whether or not they are routed (`names`), e.g. `*.example.com`.
    pub names: Vec<String>,
    /// At most one order per name per this long, issued or failed (`order-interval`).
    pub order_interval: Duration,
}

pub(super) fn acme(
    at: &Fields,
    raw: &Raw,
    listen: &Listen,
) -> Result<Option<AcmeConfig>, ConfigError> {
    let Some(r) = &raw.tls.acme else {
        return Ok(None);
    };
    let key = |k: &'static str| ["tls", "acme", k];
    let directory = match r.directory.as_deref() {
        None => return Err(at.err(&["tls", "acme"], format!("tls.acme needs a `directory:`: the CA's ACME directory URL, e.g. `letsencrypt-staging` ({LETSENCRYPT_STAGING}) to try, then `letsencrypt` ({LETSENCRYPT})"))),
        Some("letsencrypt") => LETSENCRYPT.to_string(),
        Some("letsencrypt-staging") => LETSENCRYPT_STAGING.to_string(),
        Some(url) => {
            let ok = url
                .parse::<http::Uri>()
                .is_ok_and(|u| u.scheme_str() == Some("https") && u.host().is_some());
            if !ok {
                return Err(at.err(&key("directory"), format!("`{url}` is not an https:// URL; write the CA's directory URL, e.g. {LETSENCRYPT}, or `letsencrypt` / `letsencrypt-staging`")));
            }
            url.to_string()
        }
    };
    if let Some(email) = &r.email {
        if !email.contains('@') || email.contains(char::is_whitespace) {
            return Err(at.err(&key("email"), format!("`{email}` is not an email address; the CA writes to it before a certificate expires")));
        }
    }
    let mut ca_roots = Vec::new();
    for (i, p) in r.ca_roots.iter().enumerate() {
        let path = at.relative(p);
        let idx = i.to_string();
        let text = tether_runtime::small_file::read_to_string(&path).map_err(|e| {
            at.err(
                &["tls", "acme", "ca-roots", &idx],
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        if !text.contains("-----BEGIN CERTIFICATE-----") {
            return Err(at.err(&["tls", "acme", "ca-roots", &idx], format!("{} holds no PEM certificate; list the root certificate of the ACME server's HTTPS", path.display())));
        }
        ca_roots.push(path);
    }
    let (challenges, challenge_order_set) = challenges(at, r, listen, raw.dns.is_some())?;
    let renew_before = match &r.renew_before {
        Some(_) => Some(at.duration_at(&key("renew-before"), &r.renew_before, Duration::ZERO)?),
        None => None,
    };
    let eab = match &r.eab {
        None => None,
        Some(e) => Some(Eab {
            key_id: e.key_id.clone(),
            hmac: base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(e.hmac.trim_end_matches('='))
                .map_err(|_| {
                    at.err(
                        &["tls", "acme", "eab", "hmac"],
                        "the HMAC key is not base64url; paste it as the CA gave it".into(),
                    )
                })?,
        }),
    };
    let domains = match &r.domains {
        None => None,
        Some(list) => Some(hostnames(at, "domains", list)?),
    };
    let names = hostnames(at, "names", &r.names)?;
    Ok(Some(AcmeConfig {
        directory,
        email: r.email.clone(),
        ca_roots,
        challenges,
        challenge_order_set,
        renew_before,
        eab,
        domains,
        names,
        order_interval: order_interval(at, r)?,
    }))
}

/// `order-interval`: at least a second (0 would let orders follow each other unbounded).
fn order_interval(at: &Fields, r: &RawAcme) -> Result<Duration, ConfigError> {
    let keys = ["tls", "acme", "order-interval"];
    let interval = at.duration_at(&keys, &r.order_interval, DEFAULT_ORDER_INTERVAL)?;
    if interval < Duration::from_secs(1) {
        return Err(at.err(
            &keys,
            "order-interval must be at least 1s (default 1h: one order per name per hour)".into(),
        ));
    }
    Ok(interval)
}

/// A list of hostnames or `*.` wildcards at `tls.acme.KEY`, lower case, without trailing dots.
fn hostnames(at: &Fields, key: &str, list: &[String]) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for (i, d) in list.iter().enumerate() {
        let name = d.trim_end_matches('.').to_ascii_lowercase();
        let bare = name.strip_prefix("*.").unwrap_or(&name);
        if bare.is_empty() || bare.contains('*') || !bare.contains('.') {
            return Err(at.err(
                &["tls", "acme", key, &i.to_string()],
                format!("`{d}` is not a hostname; write e.g. app.example.com or *.example.com"),
            ));
        }
        out.push(name);
    }
    Ok(out)
}

/// `challenge:` in order, each one the edge can answer: tls-alpn-01 needs `listen.https`,
/// http-01 `listen.http`, dns-01 a `dns:` section.
fn challenges(
    at: &Fields,
    r: &RawAcme,
    listen: &Listen,
    has_dns: bool,
) -> Result<(Vec<ChallengeKind>, bool), ConfigError> {
    let Some(list) = &r.challenge else {
        let mut all = Vec::new();
        if listen.https.is_some() {
            all.push(ChallengeKind::TlsAlpn01);
        }
        if listen.http.is_some() {
            all.push(ChallengeKind::Http01);
        }
        if has_dns {
            all.push(ChallengeKind::Dns01);
        }
        return Ok((all, false));
    };
    let mut out = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let keys = ["tls", "acme", "challenge", &i.to_string()];
        let kind = match c.as_str() {
            "tls-alpn-01" if listen.https.is_some() => ChallengeKind::TlsAlpn01,
            "http-01" if listen.http.is_some() => ChallengeKind::Http01,
            "dns-01" if has_dns => ChallengeKind::Dns01,
            "tls-alpn-01" => return Err(at.err(&keys, "tls-alpn-01 is answered on the public HTTPS port: set listen.https (port 443 for a public CA)".into())),
            "http-01" => return Err(at.err(&keys, "http-01 is answered on the public HTTP port: set listen.http (port 80 for a public CA)".into())),
            "dns-01" => return Err(at.err(&keys, "dns-01 is answered by this edge's DNS: add a `dns:` section with the zones (see docs/dns.md)".into())),
            other => return Err(at.err(&keys, format!("`{other}` is not a challenge; write tls-alpn-01, http-01 or dns-01"))),
        };
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    if out.is_empty() {
        return Err(at.err(
            &["tls", "acme", "challenge"],
            "no challenge listed; write e.g. [tls-alpn-01, http-01, dns-01]".into(),
        ));
    }
    Ok((out, true))
}
