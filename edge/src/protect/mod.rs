//! Edge protection: what keeps abusers from costing the edge more than their share:
//! [`failures`], the per-address budget of failed handshakes, and [`counts`], what is held open
//! at once per address and in all.
//!
//! May use: the leaves only.

pub mod counts;
pub mod failures;
