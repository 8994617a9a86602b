//! Ingress rules and the origins they name: matching a stream to its rule ([`rules`]), and the
//! pooled origin clients (TCP, unix sockets, TLS) that reach each service ([`origin`]).
//!
//! May use: the leaves only.

pub mod origin;
pub mod rules;

pub use rules::*;
