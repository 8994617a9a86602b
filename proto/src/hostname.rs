//! Hostnames, with one set of rules for the edge, the connector and the DNS server: case is
//! ignored, and so are a port and a trailing dot.
//!
//! A `*.` wildcard means one of two things, and each has its own function here:
//! - **Route wildcards** ([`route_covers`]): `*.example.test` in `edge tunnel route dns`, in an
//!   ingress rule's `hostname` (as cloudflared matches it) and in `tls.acme.domains` covers a name
//!   at any depth below (`a.example.test`, `a.b.example.test`) but not `example.test` itself; an
//!   exact route beats a wildcard, and a nearer wildcard a farther one ([`route_wildcards`]).
//! - **Certificate wildcards** ([`certificate_wildcard`]): `*.example.test` in a certificate covers
//!   exactly one label (RFC 6125 §6.4.3): `a.example.test`, never `a.b.example.test`.
//!
//! (The DNS server's wildcard records follow RFC 4592, which its zone code implements.)

/// Normalises a request's Host / `:authority`: lower case, without port or trailing dot.
pub fn normalize_host(host: &str) -> String {
    without_port(host)
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// `host` without a `:port` (all digits, possibly empty); an IPv6 literal without its brackets.
pub fn without_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        // IPv6 literal: keep up to the closing bracket.
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':')
            .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
            .map_or(host, |(h, _)| h)
    }
}

/// Why a request's host is refused (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadHost {
    /// RFC 9110 §4.2.4: "Before making use of an "http" or "https" URI reference received from
    /// an untrusted source, a recipient SHOULD parse for userinfo and treat its presence as an
    /// error". Routing on anything but the bare host would let `x@secure.example.test` miss the
    /// exact route that requires a token and match a tokenless wildcard, while the connector
    /// routes on the bare host.
    UserInfo,
    /// Not a DNS name (letters, digits, hyphens; punycode for others) nor an IP literal, with
    /// an optional port: `evil.example,a.wild.example.test` would otherwise match a wildcard
    /// route and reach the origin as its Host and X-Forwarded-Host (password-reset poisoning).
    NotAName,
}

impl BadHost {
    /// What the client is told.
    pub fn why(self) -> &'static str {
        match self {
            BadHost::UserInfo => {
                "The request's host carries user information (user@host), which is refused."
            }
            BadHost::NotAName => "The request's host is not a host name or an IP address.",
        }
    }
}

/// The host a public request names (its Host, `:authority` or CONNECT target), normalised, or
/// why it is refused.
pub fn request_host(authority: &str) -> Result<String, BadHost> {
    if authority.contains('@') {
        return Err(BadHost::UserInfo);
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let (v6, after) = rest.split_once(']').ok_or(BadHost::NotAName)?;
            v6.parse::<std::net::Ipv6Addr>()
                .map_err(|_| BadHost::NotAName)?;
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or(BadHost::NotAName)?),
            };
            (authority, port)
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    // RFC 3986 §3.2.3: the port may be empty (`host:`).
    if port.is_some_and(|p| !p.is_empty() && p.parse::<u16>().is_err()) {
        return Err(BadHost::NotAName);
    }
    if !host.starts_with('[') && !is_dns_name(host.trim_end_matches('.')) {
        return Err(BadHost::NotAName);
    }
    Ok(normalize_host(authority))
}

/// Letters, digits, hyphens (and underscores, which some internal names carry) in labels of 1
/// to 63, not starting or ending with a hyphen, 253 at most in all. An IPv4 address is one too.
fn is_dns_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Why a route's hostname is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadRoute {
    #[error("a hostname has 1 to 253 characters")]
    Length,
    #[error(
        "label `{0}` must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen"
    )]
    Label(String),
}

/// Validates and normalises a hostname given to `edge tunnel route dns` (wildcards allowed).
pub fn normalize_route(host: &str) -> Result<String, BadRoute> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let body = host.strip_prefix("*.").unwrap_or(&host);
    if body.is_empty() || body.len() > 253 {
        return Err(BadRoute::Length);
    }
    for label in body.split('.') {
        let ok_chars = label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if label.is_empty()
            || label.len() > 63
            || !ok_chars
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(BadRoute::Label(label.to_string()));
        }
    }
    Ok(host)
}

/// The wildcard route names that could cover `host`, most specific first:
/// `a.b.example.test` → `*.b.example.test`, `*.example.test`, `*.test`.
pub fn route_wildcards(host: &str) -> impl Iterator<Item = String> + '_ {
    host.match_indices('.')
        .map(move |(i, _)| format!("*{}", &host[i..]))
}

/// Whether the route (or ingress) name `pattern` covers the normalised `host`: the same name, or
/// a name at any depth under a `*.` wildcard.
pub fn route_covers(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix('*') {
        Some(suffix) => {
            suffix.starts_with('.') && host.len() > suffix.len() && host.ends_with(suffix)
        }
        None => pattern == host,
    }
}

/// Whether some host could be covered by both route names (either may be a wildcard).
pub fn routes_overlap(a: &str, b: &str) -> bool {
    route_covers(a, b)
        || route_covers(b, a)
        || (a.starts_with("*.")
            && b.starts_with("*.")
            && (a.ends_with(&b[1..]) || b.ends_with(&a[1..])))
}

/// The one certificate wildcard that covers `host`: `a.b.example.test` → `*.b.example.test`.
pub fn certificate_wildcard(host: &str) -> Option<String> {
    let (label, parent) = host.split_once('.')?;
    (!label.is_empty() && !parent.is_empty()).then(|| format!("*.{parent}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_ignore_case_port_and_trailing_dot() {
        assert_eq!(normalize_host("App.Example.TEST.:8443"), "app.example.test");
        assert_eq!(normalize_host("app.example.test"), "app.example.test");
        assert_eq!(normalize_host("[::1]:80"), "::1");
    }

    #[test]
    fn an_authority_with_userinfo_names_no_host() {
        assert_eq!(
            request_host("x@ssh.example.test:22"),
            Err(BadHost::UserInfo)
        );
        assert_eq!(request_host("@ssh.example.test"), Err(BadHost::UserInfo));
        assert_eq!(
            request_host("SSH.example.test:22").as_deref(),
            Ok("ssh.example.test")
        );
    }

    #[test]
    fn only_host_names_and_ip_literals_with_a_port_are_hosts() {
        for good in [
            "a.wild.example.test",
            "xn--bcher-kva.example:8443",
            "app.example.test.",
            "127.0.0.1:80",
            "[::1]:8443",
            "[2001:db8::1]",
            "_dmarc.example.test",
        ] {
            assert!(request_host(good).is_ok(), "{good}");
        }
        for bad in [
            "evil.example,a.wild.example.test",
            "evil.example a.wild.example.test",
            "a.wild.example.test:80:80",
            "a.wild.example.test:99999",
            "a..example.test",
            "-a.example.test",
            "bücher.example",
            "[not-v6]:80",
            "[::1]x",
            "",
        ] {
            assert_eq!(request_host(bad), Err(BadHost::NotAName), "{bad}");
        }
    }

    #[test]
    fn wildcards_are_tried_most_specific_first() {
        let got: Vec<String> = route_wildcards("a.b.example.test").collect();
        assert_eq!(got, ["*.b.example.test", "*.example.test", "*.test"]);
    }

    #[test]
    fn route_names_are_validated() {
        assert_eq!(
            normalize_route("*.Example.test.").unwrap(),
            "*.example.test"
        );
        assert!(normalize_route("bad host").is_err());
        assert!(normalize_route("-x.test").is_err());
    }

    #[test]
    fn route_wildcards_cover_any_depth_and_a_certificate_wildcard_one_label() {
        assert!(route_covers("*.example.test", "a.example.test"));
        assert!(route_covers("*.example.test", "a.b.example.test"));
        assert!(!route_covers("*.example.test", "example.test"));
        assert!(!route_covers("*.example.test", "badexample.test"));
        assert!(route_covers("app.example.test", "app.example.test"));
        // A certificate's: exactly one label, so one candidate.
        let wildcard = certificate_wildcard("a.b.example.test");
        assert_eq!(wildcard.as_deref(), Some("*.b.example.test"));
        assert_eq!(certificate_wildcard("example"), None);
        assert_eq!(certificate_wildcard(".example.test"), None);
    }

    #[test]
    fn routes_overlap_through_wildcards_either_way() {
        assert!(routes_overlap("app.example.test", "app.example.test"));
        assert!(routes_overlap("app.example.test", "*.example.test"));
        assert!(routes_overlap("*.example.test", "app.example.test"));
        assert!(routes_overlap("*.example.test", "*.a.example.test"));
        assert!(!routes_overlap("app.example.test", "api.example.test"));
    }
}
