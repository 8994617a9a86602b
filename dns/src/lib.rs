//! Tether's authoritative DNS server. Empty until the DNS issue (#3) lands; the crate exists so the
//! workspace already has its final shape.
