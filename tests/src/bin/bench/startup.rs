//! Start-up: the time from starting `connector run` to the first request served through it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tests::tunnel::{TestConnector, TestEdge, Tunnel};

pub const HOST: &str = "start.example.test";

/// A tunnel of its own for the scenario, so its connector starts cold each round.
pub fn prepare(edge: &TestEdge) -> Tunnel {
    let tunnel = edge.create_tunnel("start");
    edge.route(&tunnel, HOST);
    tunnel
}

/// Starts the connector and asks the edge, again and again, until a request is answered 200;
/// returns the milliseconds that took. The connector is stopped again before returning.
pub fn once(edge: &TestEdge, tunnel: &Tunnel, nginx: SocketAddr) -> anyhow::Result<f64> {
    let rules = format!("ingress:\n  - service: http://{nginx}\n");
    let from = edge.proc.log_len();
    let started = Instant::now();
    let connector = TestConnector::spawn(edge.dir.path(), tunnel, &rules);
    let deadline = started + tests::READY;
    loop {
        if crate::load::status(edge.addr("http"), HOST)? == 200 {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the connector never served");
        // A request every millisecond: the resolution this figure needs, and little load.
        std::thread::sleep(Duration::from_millis(1));
    }
    let took = started.elapsed().as_secs_f64() * 1e3;
    drop(connector);
    // The next round must not find this session still registered.
    edge.proc.wait_for_from(
        from,
        &format!("tunnel session ended tunnel={}", tunnel.id),
        tests::READY,
    );
    Ok(took)
}
