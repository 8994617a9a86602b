//! Reaching a peer through an HTTP proxy: `CONNECT host:port` (RFC 9110 §9.3.6), with basic
//! credentials when the proxy URL carries them, then TLS to the peer straight through the tunnel
//! the proxy opened. The exchange is hyper's HTTP/1.1 client; what follows the 200 is the same
//! TCP socket, so the rest of the dial does not know a proxy was there.

use std::time::Duration;

use base64::Engine;
use http::{header, HeaderValue, Method, Request, StatusCode};
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::error::{Step, TransportError, Who};

/// An HTTP proxy: `http://[user:password@]host:port`.
#[derive(Clone)]
pub struct Proxy {
    /// `host:port` of the proxy.
    pub address: String,
    /// `Proxy-Authorization: Basic …`, from the URL's credentials.
    authorization: Option<HeaderValue>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("Proxy")
            .field("address", &self.address)
            .field("authorization", &self.authorization.is_some())
            .finish()
    }
}

impl Proxy {
    /// Reads `http://[user:password@]host[:port]` (port 3128, squid's, when absent) or the bare
    /// `host:port`.
    pub fn parse(url: &str) -> Result<Proxy, TransportError> {
        let bad = |why: &str| {
            TransportError::local(
                Step::Proxy,
                format!("proxy `{url}`: {why}; write http://[USER:PASSWORD@]HOST:PORT"),
            )
        };
        let rest = match url.split_once("://") {
            Some(("http", rest)) => rest,
            Some((scheme, _)) => return Err(bad(&format!("the scheme `{scheme}` is not http"))),
            None => url,
        };
        let rest = rest.trim_end_matches('/');
        let (credentials, host) = match rest.rsplit_once('@') {
            Some((credentials, host)) => (Some(credentials), host),
            None => (None, rest),
        };
        let authority: http::uri::Authority = host.parse().map_err(|_| bad("no host"))?;
        if authority.host().is_empty() || host.contains('/') {
            return Err(bad("no host"));
        }
        let address = format!(
            "{}:{}",
            authority.host(),
            authority.port_u16().unwrap_or(3128)
        );
        let authorization = credentials
            .map(|c| {
                // `%XX` escapes in the credentials, as curl reads them.
                let decoded: Vec<u8> = percent_encoding::percent_decode_str(c).collect();
                let basic = base64::engine::general_purpose::STANDARD.encode(decoded);
                HeaderValue::from_str(&format!("Basic {basic}")).map_err(|_| bad("bad credentials"))
            })
            .transpose()?;
        Ok(Proxy {
            address,
            authorization,
        })
    }

    /// A TCP connection to `target` (`host:port`) through the proxy.
    pub async fn connect(
        &self,
        target: &str,
        timeout: Duration,
    ) -> Result<TcpStream, TransportError> {
        tokio::time::timeout(timeout, self.tunnel(target))
            .await
            .map_err(|_| {
                let message = format!("proxy {} did not open {target} in time", self.address);
                TransportError::transient(Step::Proxy, Who::Proxy, message)
            })?
    }

    async fn tunnel(&self, target: &str) -> Result<TcpStream, TransportError> {
        let failed = |what: String| TransportError::transient(Step::Proxy, Who::Proxy, what);
        let tcp = TcpStream::connect(&self.address)
            .await
            .map_err(|e| failed(format!("cannot connect to proxy {}: {e}", self.address)))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| failed(format!("proxy {}: {e}", self.address)))?;
        // Driven until the upgrade hands the socket back (then it ends by itself).
        tokio::spawn(connection.with_upgrades());
        let mut request = Request::builder()
            .method(Method::CONNECT)
            .uri(target)
            .header(header::HOST, target);
        if let Some(authorization) = &self.authorization {
            request = request.header(header::PROXY_AUTHORIZATION, authorization);
        }
        let request = request
            .body(Empty::<bytes::Bytes>::new())
            .map_err(|e| TransportError::local(Step::Proxy, format!("CONNECT {target}: {e}")))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| failed(format!("proxy {}: {e}", self.address)))?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::PROXY_AUTHENTICATION_REQUIRED => {
                let why = match self.authorization {
                    Some(_) => "refused the credentials in the proxy URL",
                    None => "wants credentials: write them in the proxy URL, http://USER:PASSWORD@HOST:PORT",
                };
                let message = format!("proxy {} {why} (407)", self.address);
                return Err(TransportError::permanent(Step::Proxy, Who::Proxy, message));
            }
            status => {
                let message = format!("proxy {} refused CONNECT {target}: {status}", self.address);
                return Err(failed(message));
            }
        }
        let upgraded = hyper::upgrade::on(response)
            .await
            .map_err(|e| failed(format!("proxy {}: {e}", self.address)))?;
        let parts = upgraded
            .downcast::<TokioIo<TcpStream>>()
            .map_err(|_| failed(format!("proxy {}: not a TCP connection", self.address)))?;
        // The peer speaks only after our ClientHello: bytes already here came from the proxy.
        if !parts.read_buf.is_empty() {
            let message = format!("proxy {} sent data after its 200", self.address);
            return Err(failed(message));
        }
        Ok(parts.io.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_read_as_curl_reads_them() {
        let p = Proxy::parse("http://user:p%40ss@proxy.example:8080").unwrap();
        assert_eq!(p.address, "proxy.example:8080");
        let basic = base64::engine::general_purpose::STANDARD.encode("user:p@ss");
        assert_eq!(p.authorization.unwrap(), format!("Basic {basic}").as_str());
        assert_eq!(Proxy::parse("10.0.0.1").unwrap().address, "10.0.0.1:3128");
        assert_eq!(
            Proxy::parse("http://[::1]:3128/").unwrap().address,
            "[::1]:3128"
        );
        let e = Proxy::parse("socks5://h:1").unwrap_err();
        assert!(e.to_string().contains("`socks5` is not http"), "{e}");
        assert!(!e.retry_is_safe());
        assert!(Proxy::parse("http://").is_err());
    }
}
