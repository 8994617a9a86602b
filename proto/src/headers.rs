//! Header names used on tunnel streams, and the hop-by-hop headers a proxy must not forward.

use http::header::HeaderName;
use http::HeaderMap;

/// Set by the edge on every stream: the request id it also echoes to the public client.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("tether-request-id");
/// Set by the edge on control requests (value: the control message kind). The edge strips every
/// `tether-*` header from public requests, so a public client can never forge one.
pub const CONTROL: HeaderName = HeaderName::from_static("tether-control");
/// Set by the connector on a response it generated itself because the origin failed; the value
/// names the cause (see [`OriginFailure`]) so the edge can render an error page that blames the
/// origin rather than the tunnel.
pub const ORIGIN_ERROR: HeaderName = HeaderName::from_static("tether-origin-error");
/// Set by the connector when the origin answered a WebSocket handshake with a success status
/// other than 101: a 2xx answer to extended CONNECT would mean "tunnel open" (RFC 8441 §5), so
/// the stream carries 502 and the origin's real status here, which the edge restores.
pub const ORIGIN_STATUS: HeaderName = HeaderName::from_static("tether-origin-status");
/// What every header above starts with: the edge strips such headers from public requests, the
/// connector from origin responses.
pub const PREFIX: &str = "tether-";
/// Set by the edge on every stream (on TCP streams only before 2026-12): the public client's
/// address (`IP:PORT`), for the PROXY protocol header a rule may ask the connector to send to
/// the origin, and for the connector's relief of stalled streams (by client address).
pub const CLIENT_ADDR: HeaderName = HeaderName::from_static("tether-client-addr");
/// Set by the edge on a TCP stream: the address the public client connected to.
pub const SERVER_ADDR: HeaderName = HeaderName::from_static("tether-server-addr");

/// Set by an edge on a stream it sends over an edge-to-edge link: the tunnel whose session the
/// receiving edge should carry it on. The receiving edge removes it before it does.
pub const LINK_TUNNEL: HeaderName = HeaderName::from_static("tether-link-tunnel");
/// Set by the receiving edge on a link stream's response when it could not carry the stream
/// itself; the value names the error (`tunnel_busy`, `tunnel_failed`).
pub const LINK_ERROR: HeaderName = HeaderName::from_static("tether-link-error");

/// Why the connector could not get a response from the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginFailure {
    /// Connection refused, DNS failure, TLS failure or reset before a response.
    Unreachable,
    /// The origin did not connect or answer in time.
    Timeout,
}

impl OriginFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            OriginFailure::Unreachable => "unreachable",
            OriginFailure::Timeout => "timeout",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "unreachable" => Some(OriginFailure::Unreachable),
            "timeout" => Some(OriginFailure::Timeout),
            _ => None,
        }
    }
}

/// The hop-by-hop headers every proxy drops (RFC 9110 §7.6.1), besides those `Connection` names.
/// `Trailer` is end-to-end in RFC 9110 and kept.
static HOP_BY_HOP: [HeaderName; 7] = [
    http::header::CONNECTION,
    HeaderName::from_static("proxy-connection"),
    HeaderName::from_static("keep-alive"),
    http::header::TE,
    http::header::TRANSFER_ENCODING,
    http::header::UPGRADE,
    HeaderName::from_static("http2-settings"),
];

/// Removes the hop-by-hop headers of RFC 9110 §7.6.1: those named by `Connection`, and the fixed
/// list above.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Most requests and responses carry none: one pass over the names settles it. Removing each
    // name blindly cost 6.8k instructions per request at the connector, 6% of its total
    // (callgrind, docs/benchmarks.md).
    if !headers.keys().any(|name| HOP_BY_HOP.contains(name)) {
        return;
    }
    // `TE: trailers` is the one TE value HTTP/2 allows (RFC 9113 §8.2.2), and gRPC needs it.
    let te_trailers = has_token(headers, http::header::TE, "trailers");
    let named: Vec<HeaderName> = headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named.iter().chain(&HOP_BY_HOP) {
        headers.remove(name);
    }
    if te_trailers {
        headers.insert(http::header::TE, http::HeaderValue::from_static("trailers"));
    }
}

/// Whether a comma-separated header (`Connection`, `Upgrade`, …) lists `token`, ignoring case.
pub fn has_token(headers: &HeaderMap, name: impl http::header::AsHeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Removes every `tether-*` header: what a public client sends under our names is never trusted.
pub fn strip_tether(headers: &mut HeaderMap) {
    let ours: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with(PREFIX))
        .cloned()
        .collect();
    for name in ours {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_fixed_and_connection_named_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("connection", "close, x-private".parse().unwrap());
        headers.insert("x-private", "1".parse().unwrap());
        headers.insert("keep-alive", "timeout=5".parse().unwrap());
        headers.insert("x-kept", "1".parse().unwrap());
        strip_hop_by_hop(&mut headers);
        assert!(headers.get("x-private").is_none());
        assert!(headers.get("keep-alive").is_none());
        assert!(headers.get("connection").is_none());
        assert_eq!(headers.get("x-kept").unwrap(), "1");
    }

    #[test]
    fn te_trailers_survives_other_te_values_do_not() {
        let mut headers = HeaderMap::new();
        headers.insert("te", "trailers, deflate".parse().unwrap());
        strip_hop_by_hop(&mut headers);
        assert_eq!(headers["te"], "trailers");
        let mut headers = HeaderMap::new();
        headers.insert("te", "gzip".parse().unwrap());
        strip_hop_by_hop(&mut headers);
        assert!(headers.get("te").is_none());
    }

    #[test]
    fn strips_client_supplied_tether_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("tether-control", "register".parse().unwrap());
        headers.insert("x-kept", "1".parse().unwrap());
        strip_tether(&mut headers);
        assert!(headers.get("tether-control").is_none());
        assert_eq!(headers.len(), 1);
    }
}
