//! The public side: accept loops and TLS by SNI ([`listener`]), the HTTP proxy ([`proxy`]),
//! WebSockets ([`websocket`]), public TCP ports ([`tcp_ports`]), forwarding headers
//! ([`forwarded`]), the access log ([`access_log`]) and idle tracking ([`activity`]).
//!
//! May use: `tunnels` (to get a stream to a tunnel), `state`, `tls`, and the leaves.

pub mod access_log;
pub mod activity;
pub mod forwarded;
pub mod listener;
pub mod proxy;
pub mod tcp_ports;
pub mod websocket;
