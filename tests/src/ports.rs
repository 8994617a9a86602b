//! Ports for processes that take theirs from a command line or a config file (etcd members,
//! pebble, nginx, a connector's metrics address), where port 0 cannot be used.
//!
//! A port the kernel hands out for `bind(127.0.0.1:0)` lies in its ephemeral range, which every
//! other `bind(:0)` and every outgoing connection of the tests also draws from: between this
//! call and the process binding the port, a load test's next connection may take it (an etcd
//! member of the cluster tests once failed to start that way). So the port comes from below the
//! ephemeral range, is checked free by binding it, and is never handed out twice in one process.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::Mutex;

/// How many ports below the ephemeral range are drawn from.
const SPAN: u16 = 12_000;

/// A port on 127.0.0.1 that nothing holds now and that no `bind(:0)` will take.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    let given = given.get_or_insert_with(HashSet::new);
    let top = ephemeral_low();
    let bottom = top.saturating_sub(SPAN).max(1024);
    // Empty when the range starts at 1024 or lower: then only the fallback is left.
    let span = u32::from(top.saturating_sub(bottom));
    // Each test process starts at a random place, so two processes rarely probe the same ports.
    let start = (uuid::Uuid::new_v4().as_u128() % u128::from(span.max(1))) as u32;
    for i in 0..span {
        let port = bottom + ((start + i) % span) as u16;
        if !given.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.insert(port);
            return port;
        }
    }
    // Everything below the range is taken: fall back to one from the kernel.
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// The first port of the kernel's ephemeral range (`ip_local_port_range`; 32768 by default).
fn ephemeral_low() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768)
}
