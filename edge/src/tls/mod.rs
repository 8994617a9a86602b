//! Certificates: the tunnel CA in the state directory ([`ca`]), and the certificate each public
//! TLS handshake gets by SNI ([`certs`]: configured ones, wildcards, dev certificates), the
//! client certificate it must present by SNI ([`client_auth`]), the tunnel listener's own
//! ([`tunnel_cert`]), and ACME's certificates and TLS-ALPN-01 validations ([`acme_certs`]).
//!
//! May use: `state` (a dev certificate is issued only for a routed name), and the leaves.

pub mod acme_certs;
pub mod ca;
pub mod certs;
pub mod client_auth;
pub mod tunnel_cert;
