//! `connector access tcp`: the client side of access sessions, for ssh's ProxyCommand or a local
//! port.
//!
//! May use: `session` (dialling the edge), and the leaves.

pub mod tcp;

pub use tcp::*;
