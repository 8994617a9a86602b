//! The edges this connector knows, and which one each session slot dials. The credentials (or
//! `edge:`) name the first; every registration then lists the live edges sharing that edge's
//! store, and the slots spread over them: each new session goes to the edge holding the fewest of
//! this connector's sessions, skipping one that just failed or asked us to move, so
//! `ha-connections` sessions land on distinct edges when there are enough of them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tether_transport::dial::Dialer;

use super::dial::edge_dialer;

/// An edge whose dial failed is passed over for this long, while another is available.
const FAILED_FOR: Duration = Duration::from_secs(30);

struct Known {
    target: Dialer,
    /// Sessions of this connector on it now (dialling included).
    sessions: usize,
    /// Named by the latest registration (live and not draining), or the configured edge.
    listed: bool,
    failed_at: Option<Instant>,
}

pub struct EdgePool {
    /// The configured edge: the template for the TLS settings of the others, and always known.
    configured: Dialer,
    /// Whether registrations may add edges: not when `edge:` is a `wss://` URL (the public HTTPS
    /// port), since the edges' tunnel addresses are then most likely not reachable from here.
    learns: bool,
    server_name: String,
    known: Mutex<Vec<Known>>,
}

/// One slot's claim on an edge; counts as a session there until dropped.
pub struct Claim {
    pool: Arc<EdgePool>,
    pub target: Dialer,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.pool.update(&self.target.address, |k| {
            k.sessions = k.sessions.saturating_sub(1)
        });
    }
}

impl EdgePool {
    pub fn new(configured: Dialer, server_name: &str, learns: bool) -> Arc<EdgePool> {
        Arc::new(EdgePool {
            learns,
            known: Mutex::new(vec![Known {
                target: configured.clone(),
                sessions: 0,
                listed: true,
                failed_at: None,
            }]),
            configured,
            server_name: server_name.to_string(),
        })
    }

    fn update(&self, address: &str, change: impl FnOnce(&mut Known)) {
        if let Ok(mut known) = self.known.lock() {
            if let Some(k) = known.iter_mut().find(|k| k.target.address == address) {
                change(k);
            }
        }
    }

    /// Takes the tunnel addresses a registration listed: new ones become known, and only the
    /// listed ones (and the configured edge) are preferred from now on.
    pub fn learn(&self, addresses: &[String]) {
        let Ok(mut known) = self.known.lock() else {
            return;
        };
        if !self.learns {
            return;
        }
        for k in known.iter_mut() {
            k.listed = k.target.address == self.configured.address
                || addresses.contains(&k.target.address);
        }
        for address in addresses {
            if known.iter().any(|k| &k.target.address == address) {
                continue;
            }
            match edge_dialer(
                address,
                &self.server_name,
                self.configured.tls.clone(),
                "session",
            ) {
                Ok(target) => {
                    tracing::info!(edge = %address, "learned of another edge");
                    known.push(Known {
                        target,
                        sessions: 0,
                        listed: true,
                        failed_at: None,
                    });
                }
                Err(e) => tracing::warn!(edge = %address, error = %e, "ignoring an edge address"),
            }
        }
    }

    /// Whether an edge other than `address` is known and listed, to move a session to.
    pub fn has_other(&self, address: &str) -> bool {
        self.known.lock().is_ok_and(|known| {
            known
                .iter()
                .any(|k| k.listed && k.target.address != address)
        })
    }

    /// The dial to `address` failed, or its session was lost: pass it over for a while.
    pub fn failed(&self, address: &str) {
        self.update(address, |k| k.failed_at = Some(Instant::now()));
    }

    /// The edge for a new session: listed, not recently failed, not `avoid`, with the fewest of
    /// our sessions, in that order of preference (with one edge known, it is always that one).
    pub fn choose(self: &Arc<Self>, avoid: Option<&str>) -> Claim {
        let now = Instant::now();
        let mut known = match self.known.lock() {
            Ok(k) => k,
            Err(_) => {
                return Claim {
                    pool: self.clone(),
                    target: self.configured.clone(),
                }
            }
        };
        let best = known.iter_mut().min_by_key(|k| {
            let failed = k
                .failed_at
                .is_some_and(|at| now.duration_since(at) < FAILED_FOR);
            let avoided = Some(k.target.address.as_str()) == avoid;
            (avoided, !k.listed, failed, k.sessions)
        });
        let target = match best {
            Some(k) => {
                k.sessions += 1;
                k.target.clone()
            }
            None => self.configured.clone(),
        };
        Claim {
            pool: self.clone(),
            target,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> Arc<EdgePool> {
        tether_proto::install_crypto_provider();
        let tls = rustls::ClientConfig::builder()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        EdgePool::new(
            edge_dialer("127.0.0.1:1000", "edge.test", Arc::new(tls), "session").unwrap(),
            "edge.test",
            true,
        )
    }

    #[test]
    fn sessions_spread_over_listed_edges_and_pass_over_failed_or_avoided_ones() {
        let pool = pool();
        pool.learn(&["127.0.0.1:1000".into(), "127.0.0.1:2000".into()]);
        let a = pool.choose(None);
        let b = pool.choose(None);
        assert_ne!(a.target.address, b.target.address);
        let c = pool.choose(None);
        let d = pool.choose(None);
        assert_ne!(c.target.address, d.target.address);
        // Moving away from 1000 goes to 2000 though it holds more sessions.
        drop((a, c));
        let moved = pool.choose(Some("127.0.0.1:1000"));
        assert_eq!(moved.target.address, "127.0.0.1:2000");
        // A failed edge is passed over while another is available.
        pool.failed("127.0.0.1:2000");
        drop(moved);
        let after_failure = pool.choose(Some("127.0.0.1:1000"));
        assert_eq!(
            after_failure.target.address, "127.0.0.1:2000",
            "only one other"
        );
        pool.learn(&["127.0.0.1:3000".into()]);
        let learned = pool.choose(Some("127.0.0.1:1000"));
        assert_eq!(learned.target.address, "127.0.0.1:3000");
        drop(learned);
        assert!(pool.has_other("127.0.0.1:1000"));
    }

    #[test]
    fn an_edge_no_registration_lists_any_more_comes_last() {
        let pool = pool();
        pool.learn(&["127.0.0.1:1000".into(), "127.0.0.1:2000".into()]);
        // 1000 holds two sessions, 2000 none: 2000 would win on load alone.
        let held = (pool.choose(None), pool.choose(None));
        assert_eq!(held.0.target.address, "127.0.0.1:1000");
        assert_eq!(held.1.target.address, "127.0.0.1:2000");
        drop(held.1);
        let busier = pool.choose(Some("127.0.0.1:2000"));
        assert_eq!(busier.target.address, "127.0.0.1:1000");
        // Once no registration lists 2000 (gone, draining), the busier listed edge wins.
        pool.learn(&["127.0.0.1:1000".into()]);
        assert_eq!(pool.choose(None).target.address, "127.0.0.1:1000");
        assert!(!pool.has_other("127.0.0.1:1000"));
    }
}
