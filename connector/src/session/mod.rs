//! The session side: reaching an edge ([`dial`]), one session's handshake and accept loop
//! ([`run`]), the edge's control messages ([`control`]), the edges known and which one each
//! session dials ([`edges`]), keeping `ha-connections` sessions alive ([`supervisor`]), and what
//! the slots share and hold ([`slot`]).
//!
//! May use: `serve` (a session hands every stream the edge opens to [`crate::serve::Streams`]),
//! `ingress`, and the leaves (`metrics`, `health`).

pub mod control;
pub mod dial;
pub mod edges;
pub mod run;
pub mod slot;
pub mod supervisor;

pub use dial::{edge_dialer, SessionError, Stopped};
pub use slot::{Connector, Slot};
