//! The session side: reaching an edge ([`dial`]), one session's handshake and accept loop
//! ([`run`]), the edge's control messages ([`control`]), the edges known and which one each
//! session dials ([`edges`]), and keeping `ha-connections` sessions alive ([`supervisor`]).
//!
//! May use: `serve` (it hands every stream the edge opens to it), `ingress`, and the leaves
//! (`metrics`, `health`).

pub mod control;
pub mod dial;
pub mod edges;
pub mod run;
pub mod supervisor;

pub use dial::{EdgeTarget, SessionError};
pub use run::{run, SessionCtx};
