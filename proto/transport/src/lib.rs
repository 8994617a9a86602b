//! The one transport under every Tether session: TCP (direct or through a proxy) → TLS (the
//! peer verified, its keying material exported) → a WebSocket upgrade with a negotiated
//! subprotocol → HTTP/2, with PINGs that declare a silent peer dead.
//!
//! A map of the crate:
//! - [`dial`]: the one dialer (connector sessions, edge-to-edge links, access clients, and any
//!   connection that is not a session); [`proxy`]: reaching the peer through an HTTP CONNECT proxy.
//! - [`accept`]: the one acceptor for the upgrades an edge takes (sessions, links, access
//!   sessions): negotiation, the 101 or a refusal, and the HTTP/2 that follows.
//! - [`error`]: what failed, and whether trying again is safe.
//! - [`wsstream`], [`wsserver`], [`wsframe`]: the WebSocket as the byte stream HTTP/2 runs over.
//! - [`session_io`]: the connection under a session's HTTP/2: notes reads, reads ahead while a
//!   write waits; [`liveness`]: HTTP/2 PINGs that declare a silent session dead.
//! - [`tuning`]: the HTTP/2 settings of every session kind.
//! - [`recv_window`], [`pressed_window`], [`tcp_memory`]: stream receive windows that start small
//!   and grow while the reader keeps up, smaller while the machine is short of TCP memory.
//! - [`h2body`]: HTTP bodies over raw h2 streams; [`splice`] and [`relay`]: TCP and CONNECT
//!   streams, half-close and aborts carried both ways; [`stall`]: how long a stream's data has
//!   waited on its reader.
//! - [`sockets`]: TCP socket options: the listen backlog, aborts that reset, keepalive, what the
//!   kernel holds unsent for a public client, the segment size announced to origins.

pub mod accept;
pub mod dial;
pub mod error;
pub mod h2body;
pub mod liveness;
pub mod pressed_window;
pub mod proxy;
pub mod recv_window;
pub mod relay;
pub mod session_io;
pub mod sockets;
pub mod splice;
pub mod stall;
pub mod tcp_memory;
pub mod tuning;
pub mod wsframe;
pub mod wsserver;
pub mod wsstream;
