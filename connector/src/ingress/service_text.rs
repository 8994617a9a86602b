//! What a rule's `service:` says, read into a [`Service`]: cloudflared's forms (`http://`,
//! `ws://`, `unix:`, `http_status:NNN`, `hello_world`, `tcp://` and any other scheme as TCP), with
//! the port checked where `http::Uri` would let a bad one fall back to the default.

use std::path::Path;
use std::sync::Arc;

use http::StatusCode;

use super::origin::Origin;
use super::service::{OriginRequest, Service, TcpOrigin};
use super::service_error::ServiceError;

/// cloudflared's `--url`/`url:` may leave out the scheme (`localhost:8080`): it means http://.
pub fn url_with_scheme(url: &str) -> String {
    let special = ["hello_world", "hello-world", "bastion", "socks-proxy"].contains(&url)
        || ["http_status:", "unix:", "unix+tls:"]
            .iter()
            .any(|p| url.starts_with(p));
    if special || url.contains("://") {
        url.to_string()
    } else {
        format!("http://{url}")
    }
}

/// Default ports of the TCP service schemes, as cloudflared fills them in. `tcp://` has none of
/// its own; cloudflared's 7864 is kept so a migrated `tcp://host` reaches the same place. Any
/// other scheme (`postgres://db:5432`) is TCP too, and must name its port.
const TCP_DEFAULT_PORTS: [(&str, u16); 4] =
    [("tcp", 7864), ("ssh", 22), ("rdp", 3389), ("smb", 445)];

/// The port written after the host, which must be a number from 1 to 65535: `http::Uri` takes
/// `localhost:port_nbr` or `localhost:80880` and reports no port, which would send the traffic to
/// the scheme's default port. cloudflared refuses such a URL, and so does Tether.
fn checked_port(text: &str, uri: &http::Uri, example: &str) -> Result<Option<u16>, ServiceError> {
    let Some(authority) = uri.authority() else {
        return Ok(None);
    };
    let host_port = authority.as_str().rsplit('@').next().unwrap_or_default();
    // An IPv6 address has colons of its own: the port follows its closing bracket.
    let after_host = match host_port.rfind(']') {
        Some(end) => &host_port[end + 1..],
        None => host_port.find(':').map_or("", |i| &host_port[i..]),
    };
    let Some(port) = after_host.strip_prefix(':') else {
        return Ok(None);
    };
    match port.parse::<u16>() {
        Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(p)),
        _ => Err(ServiceError::BadPort {
            text: text.to_string(),
            port: port.to_string(),
            example: example.to_string(),
        }),
    }
}

fn parse_tcp(text: &str, scheme: &str) -> Result<String, ServiceError> {
    let uri = url(text)?;
    let written_port = checked_port(text, &uri, &format!("{scheme}://localhost:2222"))?;
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ServiceError::NoHost(text.to_string()))?;
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(ServiceError::TcpWithPath {
            text: text.to_string(),
            scheme: scheme.to_string(),
        });
    }
    let default_port = TCP_DEFAULT_PORTS
        .iter()
        .find(|(s, _)| *s == scheme)
        .map(|(_, p)| *p);
    let port = written_port
        .or(default_port)
        .ok_or_else(|| ServiceError::TcpWithoutPort {
            text: text.to_string(),
            scheme: scheme.to_string(),
            host: host.to_string(),
        })?;
    Ok(format!("{host}:{port}"))
}

pub(super) fn parse_service(
    text: &str,
    settings: OriginRequest,
    base: &Path,
) -> Result<Service, ServiceError> {
    // cloudflared accepts both spellings.
    if text == "hello_world" || text == "hello-world" {
        return Ok(Service::HelloWorld);
    }
    if text == "bastion" || text == "socks-proxy" {
        return Err(ServiceError::Unsupported(text.to_string()));
    }
    if let Some(code) = text.strip_prefix("http_status:") {
        let status = code
            .parse::<u16>()
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
            .filter(|s| s.as_u16() >= 100);
        return status
            .map(Service::Status)
            .ok_or_else(|| ServiceError::BadStatus(text.to_string()));
    }
    for (prefix, tls) in [("unix+tls:", true), ("unix:", false)] {
        if let Some(path) = text.strip_prefix(prefix) {
            if path.is_empty() {
                return Err(ServiceError::NoSocketPath(text.to_string()));
            }
            let path = base.join(path);
            return Origin::unix(path, tls, settings).map(|o| Service::Origin(Arc::new(o)));
        }
    }
    // Schemes are case-insensitive (`HTTP://`); `ws://` and `wss://` are HTTP origins, as in
    // cloudflared: the upgrade is HTTP's.
    let text = match text.split_once("://") {
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "ws" => format!("http://{rest}"),
            "wss" => format!("https://{rest}"),
            lower => format!("{lower}://{rest}"),
        },
        None => text.to_string(),
    };
    let text = text.as_str();
    if text.starts_with("http://") || text.starts_with("https://") {
        let uri = url(text)?;
        if uri.path() != "/" && !uri.path().is_empty() {
            return Err(ServiceError::UrlWithPath(text.to_string()));
        }
        checked_port(text, &uri, "http://localhost:8080")?;
        return Origin::http(&uri, settings).map(|o| Service::Origin(Arc::new(o)));
    }
    // Any other scheme is raw TCP, as cloudflared treats it.
    if let Some((scheme, _)) = text.split_once("://") {
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            let address = parse_tcp(text, scheme)?;
            return Ok(Service::Tcp(Arc::new(TcpOrigin { address, settings })));
        }
    }
    Err(ServiceError::Unknown(text.to_string()))
}

fn url(text: &str) -> Result<http::Uri, ServiceError> {
    text.parse()
        .map_err(|e: http::uri::InvalidUri| ServiceError::NotAUrl {
            text: text.to_string(),
            why: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::ConnectorConfig;

    fn parse(rules: &str) -> Result<ConnectorConfig, tether_runtime::config_error::ConfigError> {
        tether_proto::install_crypto_provider();
        let text = format!("credentials-file: c.json\ningress:\n{rules}");
        ConnectorConfig::parse(Path::new("/etc/tether/tunnel.yml"), &text)
    }

    #[test]
    fn a_malformed_port_is_refused_at_its_line_not_sent_to_the_default_port() {
        for service in [
            "http://localhost:port_nbr",
            "http://localhost:8o80",
            "http://localhost:80880",
            "https://localhost:0",
            "http://user@localhost:x1",
            "ws://[::1]:http",
            "tcp://host:port",
            "ssh://localhost:22a",
            "postgres://db:-1",
        ] {
            let e = parse(&format!(
                "  - hostname: a.test\n    service: {service}\n  - service: http_status:404\n"
            ))
            .unwrap_err();
            assert_eq!(e.line, Some(4), "{service}: {e}");
            assert!(
                e.message
                    .contains("is not a port; write a number from 1 to 65535"),
                "{service}: {e}"
            );
        }
        for (service, address) in [
            ("tcp://[::1]:2222", "[::1]:2222"),
            ("tcp://localhost", "localhost:7864"),
        ] {
            let c = parse(&format!("  - service: {service}\n")).unwrap();
            let super::Service::Tcp(tcp) = &c.ingress.rules[0].service else {
                panic!("{service}: TCP")
            };
            assert_eq!(tcp.address, address);
        }
        let c = parse("  - service: http://user@[::1]:8080\n").unwrap();
        let super::Service::Origin(origin) = &c.ingress.rules[0].service else {
            panic!("an origin")
        };
        assert_eq!(origin.base.port_u16(), Some(8080));
    }

    #[test]
    fn an_empty_path_matches_every_path() {
        let c = parse("  - hostname: a.test\n    path: \"\"\n    service: http_status:201\n  - service: http_status:404\n").unwrap();
        let rule = c.ingress.find("a.test", "/any/thing").unwrap();
        assert_eq!(rule.number, 1);
        assert!(rule.path.is_none());
    }
}
