//! What counts as one client when limits are shared out per client: an IPv4 address, or an IPv6
//! /64 (one subscriber's prefix, as a host there can pick any address in it at will); and the
//! order in which clients lose what they hold when there is too much of it: the largest holder
//! first.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::Duration;

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

/// `held` (holder, item, how long the item has waited) grouped by holder: the holder with the
/// most first, and among holders with as many, the one whose item has waited longest. So a
/// client with one stream slowed for a moment (by the machine, not by itself) comes after every
/// client with one stream stalled for longer.
pub fn largest_first<K: Hash + Eq, T>(
    held: impl IntoIterator<Item = (K, T, Duration)>,
) -> Vec<(K, Vec<T>)> {
    let mut by_holder: HashMap<K, (Vec<T>, Duration)> = HashMap::new();
    for (holder, item, waited) in held {
        let (items, longest) = by_holder.entry(holder).or_default();
        items.push(item);
        *longest = waited.max(*longest);
    }
    let mut holders: Vec<(K, (Vec<T>, Duration))> = by_holder.into_iter().collect();
    holders.sort_by_key(|(_, (items, longest))| std::cmp::Reverse((items.len(), *longest)));
    holders
        .into_iter()
        .map(|(k, (items, _))| (k, items))
        .collect()
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
        let s = Duration::from_secs;
        let held = [
            ("a", 1, s(1)),
            ("b", 2, s(1)),
            ("b", 3, s(1)),
            ("c", 4, s(1)),
            ("b", 5, s(1)),
            ("c", 6, s(1)),
            ("d", 7, s(9)),
        ];
        let order: Vec<(&str, usize)> = largest_first(held)
            .into_iter()
            .map(|(k, v)| (k, v.len()))
            .collect();
        assert_eq!(order, [("b", 3), ("c", 2), ("d", 1), ("a", 1)]);
    }
}
