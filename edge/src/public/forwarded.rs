//! Forwarding headers toward the origin: `X-Forwarded-For` (appended), `X-Forwarded-Proto`,
//! `X-Forwarded-Host`, `Forwarded` (RFC 7239), `X-Real-IP`, `True-Client-IP`, `X-Client-IP`,
//! `Client-IP`, and with `compat-headers: cloudflare` Cloudflare's `CF-Connecting-IP`,
//! `CF-Connecting-IPv6` and `CF-Visitor`. What a client sends under these names is kept only
//! when the peer is a trusted proxy (`trusted-proxies`); otherwise it is replaced. Every other
//! `CF-*` header (`Cf-Access-Authenticated-User-Email`, `Cf-Access-Jwt-Assertion`,
//! `CF-IPCountry`, `CF-Ray`, …) is Cloudflare's word about the client, which an origin moved
//! from Cloudflare may trust: from anyone but a trusted proxy it is removed.

use std::net::IpAddr;

use http::{HeaderMap, HeaderName, HeaderValue};
use ipnet::IpNet;

pub struct ClientFacts<'a> {
    pub peer: IpAddr,
    pub https: bool,
    pub host: &'a str,
    /// `compat-headers: cloudflare`: add Cloudflare's client headers too.
    pub cloudflare: bool,
}

pub fn is_trusted(peer: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&peer))
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// Sets `name` to `ours`, after what the client sent under it when that is trusted.
fn append(headers: &mut HeaderMap, name: HeaderName, trusted: bool, ours: &str) {
    let prev = headers
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .filter(|prev| trusted && !prev.is_empty());
    let value = match prev {
        Some(prev) => HeaderValue::from_str(&format!("{prev}, {ours}")),
        None => HeaderValue::from_str(ours),
    };
    if let Ok(v) = value {
        headers.insert(name, v);
    }
}

// Runs on every request: names are constants and each value is built once, which took this
// function from 8.9k to about 3k instructions per request (callgrind, docs/benchmarks.md).
pub fn apply(headers: &mut HeaderMap, facts: &ClientFacts<'_>, trusted: bool) {
    let proto = if facts.https { "https" } else { "http" };
    let peer = facts.peer.to_string();
    append(headers, X_FORWARDED_FOR, trusted, &peer);
    // RFC 7239 §6: IPv6 addresses are quoted and bracketed; the host is a quoted string.
    let mut forwarded = String::with_capacity(32 + peer.len() + facts.host.len());
    forwarded.push_str("for=");
    match facts.peer {
        IpAddr::V4(_) => forwarded.push_str(&peer),
        IpAddr::V6(_) => {
            forwarded.push_str("\"[");
            forwarded.push_str(&peer);
            forwarded.push_str("]\"");
        }
    }
    forwarded.push_str(";proto=");
    forwarded.push_str(proto);
    forwarded.push_str(";host=\"");
    forwarded.extend(facts.host.chars().filter(|c| *c != '"'));
    forwarded.push('"');
    append(headers, http::header::FORWARDED, trusted, &forwarded);
    if !(trusted && headers.contains_key(&X_FORWARDED_PROTO)) {
        headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(proto));
    }
    if !(trusted && headers.contains_key(&X_FORWARDED_HOST)) {
        if let Ok(v) = HeaderValue::from_str(facts.host) {
            headers.insert(X_FORWARDED_HOST, v);
        }
    }
    // The one-address headers apps read for "the client" (nginx's, Akamai's): the peer's
    // address, unless a trusted proxy already said.
    if let Ok(v) = HeaderValue::from_str(&peer) {
        for name in CLIENT_IP {
            if !(trusted && headers.contains_key(&name)) {
                headers.insert(name, v.clone());
            }
        }
    }
    cloudflare(headers, facts, trusted, &peer);
}

const CLIENT_IP: [HeaderName; 4] = [
    HeaderName::from_static("x-real-ip"),
    HeaderName::from_static("true-client-ip"),
    HeaderName::from_static("x-client-ip"),
    HeaderName::from_static("client-ip"),
];

const CF_CONNECTING_IP: HeaderName = HeaderName::from_static("cf-connecting-ip");
const CF_CONNECTING_IPV6: HeaderName = HeaderName::from_static("cf-connecting-ipv6");
const CF_VISITOR: HeaderName = HeaderName::from_static("cf-visitor");

/// Cloudflare's client headers, as its edge sends them to origins, so a set-up moved from
/// cloudflared (nginx `real_ip_header CF-Connecting-IP`, fail2ban on that address) keeps
/// working: `CF-Connecting-IP` (the client), `CF-Connecting-IPv6` (an IPv6 client) and
/// `CF-Visitor` (`{"scheme":"https"}`). A trusted proxy's are kept (Cloudflare in front of the
/// edge), every `CF-*` header with them; anyone else's `CF-*` headers are all removed, and the
/// three replaced only with `compat-headers: cloudflare`.
fn cloudflare(headers: &mut HeaderMap, facts: &ClientFacts<'_>, trusted: bool, peer: &str) {
    if !trusted {
        remove_cloudflare(headers);
    }
    if !facts.cloudflare || (trusted && headers.contains_key(&CF_CONNECTING_IP)) {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(peer) {
        if facts.peer.is_ipv6() {
            headers.insert(CF_CONNECTING_IPV6, v.clone());
        }
        headers.insert(CF_CONNECTING_IP, v);
    }
    headers.insert(
        CF_VISITOR,
        HeaderValue::from_static(if facts.https {
            r#"{"scheme":"https"}"#
        } else {
            r#"{"scheme":"http"}"#
        }),
    );
}

/// The scheme the client used, as the first proxy recorded it: `X-Forwarded-Proto`'s first
/// value, else the first `proto=` of `Forwarded` (RFC 7239 §5.4). Only a trusted proxy's word.
pub fn client_proto(headers: &HeaderMap) -> Option<&str> {
    let first = |name: HeaderName| headers.get(name)?.to_str().ok()?.split(',').next();
    if let Some(proto) = first(X_FORWARDED_PROTO) {
        return Some(proto.trim());
    }
    first(http::header::FORWARDED)?
        .split(';')
        .find_map(|pair| pair.trim().strip_prefix("proto="))
        .map(|p| p.trim_matches('"'))
}

/// Removes every `CF-*` header.
fn remove_cloudflare(headers: &mut HeaderMap) {
    let theirs: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("cf-"))
        .cloned()
        .collect();
    for name in theirs {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> ClientFacts<'static> {
        ClientFacts {
            peer: "192.0.2.7".parse().unwrap(),
            https: true,
            host: "app.example.test",
            cloudflare: false,
        }
    }

    #[test]
    fn untrusted_client_headers_are_replaced() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6".parse().unwrap());
        h.insert("x-forwarded-proto", "http".parse().unwrap());
        for name in [
            "x-real-ip",
            "true-client-ip",
            "cf-connecting-ip",
            "cf-visitor",
        ] {
            h.insert(name, "6.6.6.6".parse().unwrap());
        }
        let mut cf = h.clone();
        apply(&mut h, &facts(), false);
        for name in ["x-real-ip", "true-client-ip"] {
            assert_eq!(h[name], "192.0.2.7", "{name}");
        }
        // Cloudflare's are not forwarded from a client, and only set when asked for.
        assert!(!h.contains_key("cf-connecting-ip") && !h.contains_key("cf-visitor"));
        let with_cf = ClientFacts {
            cloudflare: true,
            ..facts()
        };
        apply(&mut cf, &with_cf, false);
        assert_eq!(cf["cf-connecting-ip"], "192.0.2.7");
        assert_eq!(cf["cf-visitor"], r#"{"scheme":"https"}"#);
        assert!(!cf.contains_key("cf-connecting-ipv6"));
        assert_eq!(h["x-forwarded-for"], "192.0.2.7");
        assert_eq!(h["x-forwarded-proto"], "https");
        assert_eq!(h["x-forwarded-host"], "app.example.test");
        assert_eq!(
            h["forwarded"],
            "for=192.0.2.7;proto=https;host=\"app.example.test\""
        );
    }

    #[test]
    fn every_cloudflare_header_from_a_client_is_removed_and_a_trusted_proxys_kept() {
        let forged = [
            "cf-access-authenticated-user-email",
            "cf-access-jwt-assertion",
            "cf-ipcountry",
            "cf-ray",
        ];
        let mut h = HeaderMap::new();
        for name in forged.iter().chain(&["x-client-ip", "client-ip"]) {
            h.insert(*name, "ceo@example.test".parse().unwrap());
        }
        let mut from_proxy = h.clone();
        apply(&mut h, &facts(), false);
        for name in forged {
            assert!(!h.contains_key(name), "{name} reached the origin");
        }
        assert_eq!(h["x-client-ip"], "192.0.2.7");
        assert_eq!(h["client-ip"], "192.0.2.7");
        apply(&mut from_proxy, &facts(), true);
        for name in forged {
            assert_eq!(
                from_proxy[name], "ceo@example.test",
                "{name} from a trusted proxy"
            );
        }
    }

    #[test]
    fn trusted_proxy_chain_is_appended() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
        h.insert("x-real-ip", "203.0.113.9".parse().unwrap());
        apply(&mut h, &facts(), true);
        assert_eq!(h["x-forwarded-for"], "203.0.113.9, 192.0.2.7");
        assert_eq!(
            h["x-real-ip"], "203.0.113.9",
            "a trusted proxy's word stands"
        );
        let mut h = HeaderMap::new();
        h.insert("cf-connecting-ip", "203.0.113.9".parse().unwrap());
        let with_cf = ClientFacts {
            cloudflare: true,
            ..facts()
        };
        apply(&mut h, &with_cf, true);
        assert_eq!(h["cf-connecting-ip"], "203.0.113.9", "Cloudflare in front");
    }

    #[test]
    fn ipv6_is_quoted_in_forwarded() {
        let mut h = HeaderMap::new();
        let f = ClientFacts {
            peer: "2001:db8::1".parse().unwrap(),
            https: false,
            host: "h",
            cloudflare: true,
        };
        apply(&mut h, &f, false);
        assert_eq!(
            h["forwarded"],
            "for=\"[2001:db8::1]\";proto=http;host=\"h\""
        );
        assert_eq!(h["cf-connecting-ip"], "2001:db8::1");
        assert_eq!(h["cf-connecting-ipv6"], "2001:db8::1");
        assert_eq!(h["cf-visitor"], r#"{"scheme":"http"}"#);
    }
}
