//! The `mtls` policy: the request's connection must carry a client certificate its TLS
//! handshake verified against the route's CA. The handshake asks for one when the SNI names the
//! route (`tls::client_auth`), and fails without it; a connection opened for another name and
//! reused for this one (HTTP/2 coalescing) carries none and gets 421, so the browser opens a
//! new connection for this name (RFC 9110 §15.5.20).

use crate::error::EdgeError;

use super::compiled::MtlsRule;
use super::Identity;

pub fn check(
    rule: &MtlsRule,
    certificate: Option<([u8; 32], &str)>,
) -> Result<Identity, EdgeError> {
    match certificate {
        Some((ca, subject)) if ca == rule.ca_id => Ok(Identity {
            method: "mtls",
            name: subject.to_string(),
        }),
        _ => Err(EdgeError::Misdirected),
    }
}
