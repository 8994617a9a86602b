//! Edge protection: what keeps abusers from costing the edge more than their share. Today:
//! [`failures`], the per-address budget of failed handshakes.
//!
//! May use: the leaves only.

pub mod failures;
