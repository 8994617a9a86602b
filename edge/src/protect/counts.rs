//! Things held open at once (connections, sessions), counted per source ([`super::source`]: an
//! IPv4 address, an IPv6 /64) and in all: a
//! [`Counted`] is held for as long as the thing lasts, and none is handed out past either cap.
//! Memory is one small map entry per address that holds something now.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

pub struct Counts {
    per_address: u32,
    total: u32,
    held: Mutex<(HashMap<IpAddr, u32>, u32)>,
}

/// One thing counted; dropping it gives the place back.
pub struct Counted {
    counts: Arc<Counts>,
    address: IpAddr,
}

/// Why nothing was handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// This address holds `per_address` already.
    Address,
    /// `total` are held.
    Total,
}

impl Counts {
    pub fn new(per_address: u32, total: u32) -> Arc<Counts> {
        Arc::new(Counts {
            per_address,
            total,
            held: Mutex::new((HashMap::new(), 0)),
        })
    }

    /// The caps of edge.yml: `max-connections-per-ip` and `max-connections`.
    pub fn of_config(config: &crate::config::EdgeConfig) -> Arc<Counts> {
        Counts::new(config.max_connections_per_ip, config.max_connections)
    }

    /// One more for `address`, unless a cap is reached.
    pub fn acquire(self: &Arc<Self>, address: IpAddr) -> Result<Counted, Full> {
        let address = super::source(address);
        let mut held = self.held.lock().map_err(|_| Full::Total)?;
        let (map, total) = &mut *held;
        if *total >= self.total {
            return Err(Full::Total);
        }
        let mine = map.entry(address).or_insert(0);
        if *mine >= self.per_address {
            return Err(Full::Address);
        }
        *mine += 1;
        *total += 1;
        Ok(Counted {
            counts: self.clone(),
            address,
        })
    }

    /// Held now by `address`, and in all.
    pub fn held(&self, address: IpAddr) -> (u32, u32) {
        self.held
            .lock()
            .map(|h| (h.0.get(&super::source(address)).copied().unwrap_or(0), h.1))
            .unwrap_or((0, 0))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        if let Ok(mut held) = self.counts.held.lock() {
            let (map, total) = &mut *held;
            *total = total.saturating_sub(1);
            if let Some(mine) = map.get_mut(&self.address) {
                *mine -= 1;
                if *mine == 0 {
                    map.remove(&self.address);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_address_and_in_all_and_places_come_back() {
        let counts = Counts::new(2, 3);
        let (a, b, c): (IpAddr, IpAddr, IpAddr) = (
            "127.0.0.2".parse().unwrap(),
            "127.0.0.3".parse().unwrap(),
            "::ffff:127.0.0.4".parse().unwrap(),
        );
        let a1 = counts.acquire(a).unwrap();
        let _a2 = counts.acquire(a).unwrap();
        assert_eq!(counts.acquire(a).err(), Some(Full::Address));
        let _b1 = counts.acquire(b).unwrap();
        assert_eq!(counts.acquire(c).err(), Some(Full::Total));
        drop(a1);
        assert_eq!(counts.held(a), (1, 2));
        let _c1 = counts.acquire(c).unwrap();
        assert_eq!(counts.held("127.0.0.4".parse().unwrap()), (1, 3));
        drop(_c1);
        assert_eq!(
            counts.held(c),
            (0, 2),
            "an address holding nothing has no entry"
        );
    }
}
