//! Edge-to-edge links: a stream for a tunnel this edge holds no session of goes over a link to an
//! edge that holds one ([`dial`], the sending side, which is the tunnels room's
//! [`crate::tunnels::Elsewhere`]); [`accept`] is the receiving side, [`key`] the proof between
//! them, and [`LinkError`] why a link could not be had.
//!
//! May use: `tunnels`, `state`, and the leaves.

pub mod accept;
pub mod dial;
mod error;
pub mod key;

pub use accept::LinkAcceptor;
pub use dial::Links;
pub use error::LinkError;
