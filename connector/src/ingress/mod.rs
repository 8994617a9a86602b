//! Ingress rules and the origins they name: matching a stream to its rule ([`rules`]), what a
//! rule's service is and the `originRequest` settings it is reached with ([`service`]), and the
//! pooled origin clients (TCP, unix sockets, TLS) that reach each service ([`origin`]).
//!
//! May use: the leaves only.

pub mod origin;
mod origin_tls;
pub mod rules;
pub mod service;

pub use rules::*;
pub use service::*;
