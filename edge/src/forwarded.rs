//! Forwarding headers toward the origin: `X-Forwarded-For` (appended), `X-Forwarded-Proto`,
//! `X-Forwarded-Host`, and `Forwarded` (RFC 7239). What a client sends under these names is kept
//! only when the peer is a trusted proxy (`trusted-proxies`); otherwise it is replaced.

use std::net::IpAddr;

use http::{HeaderMap, HeaderName, HeaderValue};
use ipnet::IpNet;

pub struct ClientFacts<'a> {
    pub peer: IpAddr,
    pub https: bool,
    pub host: &'a str,
}

pub fn is_trusted(peer: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&peer))
}

/// RFC 7239 §6: IPv6 addresses are quoted and bracketed.
fn forwarded_node(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("\"[{v6}]\""),
    }
}

pub fn apply(headers: &mut HeaderMap, facts: &ClientFacts<'_>, trusted: bool) {
    let proto = if facts.https { "https" } else { "http" };
    let append = |headers: &mut HeaderMap, name: HeaderName, sep: &str, ours: String| {
        let value = match headers.get(&name).and_then(|v| v.to_str().ok()) {
            Some(prev) if trusted && !prev.is_empty() => format!("{prev}{sep}{ours}"),
            _ => ours,
        };
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    append(
        headers,
        HeaderName::from_static("x-forwarded-for"),
        ", ",
        facts.peer.to_string(),
    );
    let host_quoted = format!("\"{}\"", facts.host.replace('"', ""));
    append(
        headers,
        http::header::FORWARDED,
        ", ",
        format!(
            "for={};proto={proto};host={host_quoted}",
            forwarded_node(facts.peer)
        ),
    );
    if !(trusted && headers.contains_key("x-forwarded-proto")) {
        headers.insert(
            "x-forwarded-proto",
            HeaderValue::from_static(if facts.https { "https" } else { "http" }),
        );
    }
    if !(trusted && headers.contains_key("x-forwarded-host")) {
        if let Ok(v) = HeaderValue::from_str(facts.host) {
            headers.insert("x-forwarded-host", v);
        }
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
        }
    }

    #[test]
    fn untrusted_client_headers_are_replaced() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6".parse().unwrap());
        h.insert("x-forwarded-proto", "http".parse().unwrap());
        apply(&mut h, &facts(), false);
        assert_eq!(h["x-forwarded-for"], "192.0.2.7");
        assert_eq!(h["x-forwarded-proto"], "https");
        assert_eq!(h["x-forwarded-host"], "app.example.test");
        assert_eq!(
            h["forwarded"],
            "for=192.0.2.7;proto=https;host=\"app.example.test\""
        );
    }

    #[test]
    fn trusted_proxy_chain_is_appended() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
        apply(&mut h, &facts(), true);
        assert_eq!(h["x-forwarded-for"], "203.0.113.9, 192.0.2.7");
    }

    #[test]
    fn ipv6_is_quoted_in_forwarded() {
        let mut h = HeaderMap::new();
        let f = ClientFacts {
            peer: "2001:db8::1".parse().unwrap(),
            https: false,
            host: "h",
        };
        apply(&mut h, &f, false);
        assert_eq!(
            h["forwarded"],
            "for=\"[2001:db8::1]\";proto=http;host=\"h\""
        );
    }
}
