//! Edge protection: what keeps abusers from costing the edge more than their share:
//! [`failures`], the per-address budget of failed handshakes, [`counts`], what is held open
//! at once per address and in all, [`rates`], requests per second per address, and [`stalls`],
//! streams a client stopped reading, and [`first_request`], the deadline on a connection's first
//! request head.
//!
//! May use: the leaves only.

pub mod counts;
pub mod failures;
pub mod first_request;
pub mod rates;
pub mod stalls;

pub use tether_proto::source::source;
