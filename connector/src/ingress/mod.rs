//! Ingress rules and the origins they name: matching a stream to its rule ([`rules`], on the
//! path the origin will act on: [`path`]), what a
//! rule's service is and the `originRequest` settings it is reached with ([`service`]), and the
//! pooled origin clients (TCP, unix sockets, TLS) that reach each service ([`origin`]); why a
//! service cannot be used ([`ServiceError`]).
//!
//! May use: the leaves only.

pub mod origin;
mod origin_tls;
pub mod path;
pub mod rules;
pub mod service;
mod service_error;
mod service_text;
pub use service_error::ServiceError;
pub use service_text::url_with_scheme;

pub use rules::*;
pub use service::*;
