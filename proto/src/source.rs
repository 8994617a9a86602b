//! What counts as one client when limits are shared out per client: an IPv4 address, or an IPv6
//! /64 (one subscriber's prefix, as a host there can pick any address in it at will); and the
//! order in which clients lose what they hold when there is too much of it: the largest holder
//! first.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;

/// The source `peer` counts under: itself for IPv4, its /64 for IPv6 (IPv4-mapped ones as IPv4).
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

/// `held` grouped by holder, the holder with the most first.
pub fn largest_first<K: Hash + Eq, T>(held: impl IntoIterator<Item = (K, T)>) -> Vec<(K, Vec<T>)> {
    let mut by_holder: HashMap<K, Vec<T>> = HashMap::new();
    for (holder, item) in held {
        by_holder.entry(holder).or_default().push(item);
    }
    let mut holders: Vec<(K, Vec<T>)> = by_holder.into_iter().collect();
    holders.sort_by_key(|(_, items)| std::cmp::Reverse(items.len()));
    holders
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(source(a), source(b));
        assert_ne!(source(a), source(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(source(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(source(v4), v4);
    }

    #[test]
    fn the_largest_holder_comes_first() {
        let held = [("a", 1), ("b", 2), ("b", 3), ("c", 4), ("b", 5), ("c", 6)];
        let order: Vec<(&str, usize)> = largest_first(held)
            .into_iter()
            .map(|(k, v)| (k, v.len()))
            .collect();
        assert_eq!(order, [("b", 3), ("c", 2), ("a", 1)]);
    }
}
