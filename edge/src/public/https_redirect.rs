//! Plain HTTP sent to HTTPS: every request under `http-redirect`, and a policy route's unless
//! its file says `allow-cleartext: true` (credentials never cross in clear); never a request a
//! trusted TLS-terminating balancer says came over HTTPS, which would loop.

use http::{header, HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::{self, EdgeBody};

use super::forwarded;
use super::proxy::{ConnInfo, Proxy};

impl Proxy {
    /// Whether a trusted proxy (`trusted-proxies`) says the client reached it over HTTPS
    /// (`X-Forwarded-Proto: https`, or `Forwarded: proto=https`): then plain HTTP from it is not
    /// redirected, or a TLS-terminating balancer in front would loop.
    pub(super) fn proxy_saw_https(&self, req: &Request<Incoming>, conn: &ConnInfo) -> bool {
        if !forwarded::is_trusted(conn.peer.ip(), &self.config.get().trusted_proxies) {
            return false;
        }
        forwarded::client_proto(req.headers()).is_some_and(|p| p.eq_ignore_ascii_case("https"))
    }

    pub(super) fn redirect_to_https(
        &self,
        req: &Request<Incoming>,
        host: &str,
    ) -> Response<EdgeBody> {
        let port = self
            .https_port
            .filter(|p| *p != 443)
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        let path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let mut response = Response::new(body::empty());
        // 308 keeps the method and body (RFC 9110 §15.4.9), unlike 301.
        *response.status_mut() = StatusCode::PERMANENT_REDIRECT;
        if let Ok(location) = HeaderValue::from_str(&format!("https://{host}{port}{path}")) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
    }
}
