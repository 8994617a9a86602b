//! Certificates: the tunnel CA in the state directory ([`ca`]), and the certificate each public
//! TLS handshake gets by SNI ([`certs`]: configured ones, wildcards, dev certificates), the
//! client certificate it must present by SNI ([`client_auth`]), and the tunnel listener's own
//! ([`tunnel_cert`]).
//!
//! May use: `state` (a dev certificate is issued only for a routed name), and the leaves.

pub mod ca;
pub mod certs;
pub mod client_auth;
pub mod tunnel_cert;
