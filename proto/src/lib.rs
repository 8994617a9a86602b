//! The wire protocol spoken between a Tether connector and an edge: what the messages, headers
//! and files mean. The transport that carries them is `tether-transport` (`proto/transport`); what
//! every process needs around its work is `tether-runtime` (`proto/runtime`).
//!
//! A map of the crate:
//! - [`handshake`]: the WebSocket upgrade that opens a tunnel session: the headers, the
//!   subprotocol (protocol version), and the Ed25519 signature over the TLS exporter value.
//! - [`credentials`]: the credentials file `edge tunnel create` writes and the connector reads.
//! - [`enroll`]: enrollment tokens, the enrollment request, and run tokens.
//! - [`source`]: what counts as one client (an IPv4 address, an IPv6 /64).
//! - [`control`]: the control messages the edge sends over a session (registration).
//! - [`hostname`]: hostnames: normalisation, the Host a request names, route and certificate
//!   wildcards (each named for what it means).
//! - [`headers`]: the `tether-*` header names used on streams, and the hop-by-hop list.
//! - [`trust`]: rustls client configuration pinned to the edge's CA or the system roots.
//!
//! The protocol itself is described in `docs/protocol.md`.

pub mod control;
pub mod credentials;
pub mod endpoint;
pub mod enroll;
pub mod handshake;
pub mod headers;
pub mod hostname;
pub mod source;
pub mod trust;

/// Installs aws-lc-rs as rustls' process-wide crypto provider. Idempotent; both binaries and the
/// tests call it before building any TLS configuration.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}
