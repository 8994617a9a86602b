//! Where a connector reaches an edge: `HOST:PORT` (the tunnel listener, path `/`), or a `wss://`
//! URL such as the public HTTPS port's reserved path. One parser, used by the edge (config
//! validation, certificate names) and the connector (dialing).

use crate::handshake::TUNNEL_PATH;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The WebSocket URL to request.
    pub url: String,
    /// The host, without IPv6 brackets: the TLS name unless the credentials give another.
    pub host: String,
    pub port: u16,
    /// Whether it was written as a URL (its host is then also the TLS name).
    pub is_url: bool,
}

/// The text is neither `HOST:PORT` nor a `wss://` URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not HOST:PORT or a wss:// URL (such as wss://edge.example.com/.well-known/tether/tunnel)")]
pub struct BadEndpoint(pub String);

impl Endpoint {
    pub fn parse(text: &str) -> Result<Endpoint, BadEndpoint> {
        let bad = || BadEndpoint(text.to_string());
        if text.starts_with("wss://") {
            let uri: http::Uri = text.parse().map_err(|_| bad())?;
            let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(bad)?;
            let host = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let port = uri.port_u16().unwrap_or(443);
            return Ok(Endpoint {
                url: text.to_string(),
                host,
                port,
                is_url: true,
            });
        }
        let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
        let port = port.parse::<u16>().map_err(|_| bad())?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains('/') {
            return Err(bad());
        }
        Ok(Endpoint {
            url: format!("wss://{text}{TUNNEL_PATH}"),
            host: host.to_string(),
            port,
            is_url: false,
        })
    }

    /// `host:port` to dial, IPv6 in brackets.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_and_urls_parse() {
        let e = Endpoint::parse("edge.example.com:7844").unwrap();
        assert_eq!(
            (e.url.as_str(), e.address(), e.is_url),
            (
                "wss://edge.example.com:7844/",
                "edge.example.com:7844".into(),
                false
            )
        );
        let e = Endpoint::parse("wss://edge.example.com/.well-known/tether/tunnel").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.is_url),
            ("edge.example.com", 443, true)
        );
        let e = Endpoint::parse("wss://[::1]/.well-known/tether/tunnel").unwrap();
        assert_eq!((e.host.as_str(), e.address()), ("::1", "[::1]:443".into()));
        let e = Endpoint::parse("[::1]:7844").unwrap();
        assert_eq!(e.address(), "[::1]:7844");
        for bad in ["edge.example.com", ":7844", "wss://", "host:port"] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }
}
