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

use std::net::IpAddr;

/// What counts as one source: an IPv4 address, or an IPv6 /64 (IPv4-mapped ones as IPv4).
pub fn source(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V4(_) => peer,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                IpAddr::V6(octets.into())
            }
        },
    }
}
