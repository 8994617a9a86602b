//! The public side: accept loops and TLS by SNI ([`listener`]), the HTTP proxy ([`proxy`]) and its
//! redirects to HTTPS (`https_redirect`), HTTP-01
//! validations ([`acme_http`]) and the
//! request body on its way ([`request_body`]), WebSockets ([`websocket`]), public TCP ports ([`tcp_ports`]), forwarding headers
//! ([`forwarded`]) and the PROXY protocol from trusted balancers ([`proxy_protocol`]), the checks before the tunnel ([`admit`]: request rate, client rules,
//! policy) and the access log ([`access_log`]). Error pages are the leaf `error`.
//!
//! May use: `tunnels` (to get a stream to a tunnel), `state`, `tls`, `policy`, `protect`, and
//! the leaves.

pub mod access_log;
pub mod acme_http;
pub mod admit;
pub mod forwarded;
mod https_redirect;
pub mod listener;
mod outcome;
pub mod proxy;
pub mod proxy_protocol;
pub mod request_body;
pub mod tcp_ports;
pub mod websocket;

pub use listener::Service;
pub use proxy::Proxy;
pub use tcp_ports::TcpPorts;
