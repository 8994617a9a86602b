//! The wire protocol spoken between a Tether connector and an edge.
//!
//! A map of the crate:
//! - [`handshake`]: the WebSocket upgrade that opens a tunnel session: the headers, the
//!   subprotocol (protocol version), and the Ed25519 signature over the TLS exporter value.
//! - [`credentials`]: the credentials file `edge tunnel create` writes and the connector reads.
//! - [`enroll`]: enrollment tokens, the enrollment request, and run tokens.
//! - [`wsstream`]: turns a WebSocket into a byte stream for HTTP/2, batching one h2 flush into one
//!   WebSocket message.
//! - [`h2body`]: HTTP bodies over raw h2 streams (sessions use the `h2` crate directly).
//! - [`recv_window`]: stream receive windows that start small and grow while the reader keeps up.
//! - [`pressed_window`]: smaller starting windows while the machine is short of TCP memory.
//! - [`splice`]: TCP and CONNECT streams: half-close and aborts carried both ways.
//! - [`stall`]: how long a stream's data has waited on its reader, for both sides' sweeps, and
//!   how long a session could not send meanwhile.
//! - [`sockets`]: TCP socket options: the listen backlog, aborts that reset, keepalive, what the
//!   kernel holds unsent for a public client, the segment size announced to origins.
//! - [`source`]: what counts as one client (an IPv4 address, an IPv6 /64).
//! - [`tcp_memory`]: the machine's TCP memory and the limits past which Linux throttles sockets.
//! - [`liveness`]: HTTP/2 PINGs that declare a silent session dead.
//! - [`session_io`]: the connection under a session's HTTP/2: notes reads, reads ahead while a
//!   write waits (h2 reads nothing while its PONG waits).
//! - [`control`]: the control messages the edge sends over a session (registration).
//! - [`headers`]: the `tether-*` header names used on streams, and the hop-by-hop list.
//! - [`trust`]: rustls client configuration pinned to the edge's CA or the system roots.
//! - [`reload`]: when to reload a configuration (SIGHUP, or a changed file).
//! - [`metric_parts`]: label sets and helpers both sides' Prometheus metrics use.
//! - [`status`]: the plain-HTTP server both sides use for `/metrics`, `/ready` and `/healthz`.
//! - [`logs`]: the log set-up both binaries share.
//! - [`private`]: files only their owner may read (credentials, the edge's state), written atomically.
//!
//! The protocol itself is described in `docs/protocol.md`.

pub mod cli_docs;
pub mod config_error;
pub mod control;
pub mod credentials;
pub mod endpoint;
pub mod enroll;
pub mod h2body;
pub mod handshake;
pub mod headers;
pub mod liveness;
pub mod logs;
pub mod metric_parts;
pub mod one_or_many;
pub mod pressed_window;
pub mod private;
pub mod recv_window;
pub mod relay;
pub mod reload;
pub mod session_io;
pub mod small_file;
pub mod sockets;
pub mod source;
pub mod splice;
pub mod stall;
pub mod status;
pub mod tcp_memory;
pub mod trust;
pub mod tuning;
pub mod unknown_keys;
pub mod wsframe;
pub mod wsserver;
pub mod wsstream;

/// Installs aws-lc-rs as rustls' process-wide crypto provider. Idempotent; both binaries and the
/// tests call it before building any TLS configuration.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}
