//! Edges on many machines: three edges on 127.0.0.1, .2 and .3 sharing a real 3-member etcd.
//! Routes made on one edge are served by all; DNS on each answers with the edges holding the
//! tunnel; an edge killed drops out of DNS within its lease; and the data path survives etcd
//! losing its leader, or going away entirely (static stability).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tests::dns::{dig_at, eventually, section};
use tests::etcd::{EtcdCluster, Relay};
use tests::load::{Load, Targets};
use tests::origin;
use tests::tunnel::{TestConnector, TestEdge, Tunnel};
use tests::READY;

const APP: &str = "app.example.test";

/// Edge `n` (1, 2 or 3) on 127.0.0.n with HTTP, HTTPS, tunnel and DNS listeners, on `store`.
fn edge(n: u8, store: &str, extra: &str) -> TestEdge {
    let ip = format!("127.0.0.{n}");
    let yaml = format!(
        "state-dir: state
edge-id: edge-{n}
public-hostname: localhost
listen:
  http: {ip}:0
  https: {ip}:0
  tunnel: {ip}:0
  dns: {ip}:0
tls:
  dev-ca: true
advertise:
  addresses: [{ip}]
liveness-timeout: 1s
dns:
  tunnel-zone: tunnels.example.test
  zones:
    - name: example.test
      name-servers:
        - name: ns1.example.test
          addresses: [127.0.0.1]
{store}{extra}"
    );
    TestEdge::start_config(tempfile::tempdir().expect("tempdir"), &yaml)
}

fn three_edges(cluster: &EtcdCluster, lease_ttl: &str) -> Vec<TestEdge> {
    let store = cluster.store_yaml("/tether/", lease_ttl);
    (1..=3).map(|n| edge(n, &store, "")).collect()
}

/// A connector for `tunnel` with `ha` sessions, first dialling `first`, everything to an origin
/// answering "app"; waits until `ha` sessions are registered.
async fn connect(first: &TestEdge, tunnel: &Tunnel, ha: usize) -> TestConnector {
    let app = origin::serve(|req| async move {
        if req.uri().path() == "/slow" {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = http_body_util::BodyExt::collect(req.into_body()).await;
        origin::ok("app")
    })
    .await;
    let body = format!(
        "edge: {}\nha-connections: {ha}\nliveness-timeout: 1s\ningress:\n  - service: http://{app}\n",
        first.addr("tunnel")
    );
    let connector = TestConnector::spawn(first.dir.path(), tunnel, &body);
    tokio::task::block_in_place(|| {
        connector
            .proc
            .wait_count("tunnel session registered", ha, READY)
    });
    connector
}

/// The addresses DNS at `edge` answers for the tunnel's endpoint name, sorted.
fn endpoint_answer(edge: &TestEdge, tunnel: &Tunnel) -> Vec<String> {
    let name = format!("{}.tunnels.example.test.", tunnel.id);
    let out = dig_at(edge.addr("dns"), &[&name, "A"]);
    let mut addrs: Vec<String> = section(&out, "ANSWER")
        .iter()
        .filter_map(|l| l.split_whitespace().last().map(String::from))
        .collect();
    addrs.sort();
    addrs
}

async fn status_at(edge: &TestEdge, host: &str) -> u16 {
    tests::client::get_plain(edge.addr("http"), host, "/")
        .await
        .0
        .as_u16()
}

fn http_addrs(edges: &[TestEdge]) -> Vec<SocketAddr> {
    edges.iter().map(|e| e.addr("http")).collect()
}

/// Waits until `load` has `more` successes beyond now (bounded).
async fn run_for(load: &Load, more: u64) {
    let (before, started) = (load.succeeded(), Instant::now());
    while load.succeeded() < before + more {
        assert!(started.elapsed() < READY, "the load stalled");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn three_edges_on_etcd_share_routes_dns_and_links() {
    let cluster = EtcdCluster::start(3);
    let edges = three_edges(&cluster, "10s");
    let tunnel = edges[0].create_tunnel("c1");
    // One session, at edge 1: edges 2 and 3 hold none.
    let _connector = connect(&edges[0], &tunnel, 1).await;

    // A route made with the CLI of edge 2 reaches every edge within a second.
    let from: Vec<usize> = edges.iter().map(|e| e.proc.log_len()).collect();
    edges[1].cli_ok(&["tunnel", "route", "dns", "c1", APP]);
    let made = Instant::now();
    for (e, from) in edges.iter().zip(from) {
        let pattern = format!("route added.*hostname={}", regex::escape(APP));
        tokio::task::block_in_place(|| e.proc.wait_for_from(from, &pattern, READY));
    }
    let spread = made.elapsed();
    assert!(
        spread < Duration::from_secs(1),
        "the route took {spread:?} to reach all edges"
    );

    // Served at every edge: at 1 by its session, at 2 and 3 over a link to edge 1.
    for e in &edges {
        assert_eq!(status_at(e, APP).await, 200, "{}", e.proc.log_text());
    }
    for e in &edges[1..] {
        tokio::task::block_in_place(|| {
            e.proc
                .wait_for("edge-to-edge link open.*peer=edge-1", READY)
        });
    }
    // DNS at every edge answers the endpoint with the one edge holding the tunnel.
    for e in &edges {
        tokio::task::block_in_place(|| {
            eventually("the endpoint answers edge 1", || {
                let seen = endpoint_answer(e, &tunnel);
                (seen == ["127.0.0.1"])
                    .then_some(())
                    .ok_or(format!("{seen:?}"))
            })
        });
    }
    // The standalone DNS server on the same etcd answers the same.
    let mut command = std::process::Command::new(&tests::process::binaries().dns);
    command
        .args(["run", "--listen", "127.0.0.1:0", "--config"])
        .arg(&edges[2].config);
    let dns = tests::process::Proc::spawn("dns", command);
    let line = tokio::task::block_in_place(|| dns.wait_for("listening on dns", READY));
    let addr: SocketAddr = line.rsplit(' ').next().unwrap().trim().parse().unwrap();
    tokio::task::block_in_place(|| tests::dns::wait_answer_at(addr, APP, "A", "127.0.0.1"));
    eprintln!("route reached all three edges in {spread:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_edge_leaves_dns_within_its_lease_and_its_connectors_move() {
    let cluster = EtcdCluster::start(3);
    let mut edges = three_edges(&cluster, "3s");
    let tunnel = edges[0].create_tunnel("c1");
    edges[0].route(&tunnel, APP);
    let connector = connect(&edges[0], &tunnel, 2).await;
    // Two sessions on two edges: DNS lists both.
    let mut holders = Vec::new();
    tokio::task::block_in_place(|| {
        eventually("two edges hold the tunnel", || {
            holders = endpoint_answer(&edges[2], &tunnel);
            (holders.len() == 2)
                .then_some(())
                .ok_or(format!("{holders:?}"))
        })
    });
    // Kill a holder other than edge 3 (whose DNS the test keeps asking).
    let victim = if holders.contains(&"127.0.0.1".to_string()) {
        0
    } else {
        1
    };
    let victim_ip = format!("127.0.0.{}", victim + 1);
    let survivors: Vec<SocketAddr> = http_addrs(&edges)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != victim)
        .map(|(_, a)| a)
        .collect();

    const WORKERS: usize = 9;
    let targets = Targets::new(&http_addrs(&edges));
    let load = Load::start(targets.clone(), APP, WORKERS);
    run_for(&load, 300).await;
    let victim_http = edges[victim].addr("http");
    // As DNS would: new connections go to the survivors.
    targets.set(&survivors);
    edges[victim].proc.signal("KILL");
    let killed = Instant::now();
    let mut gone_after = Duration::ZERO;
    tokio::task::block_in_place(|| {
        eventually("the killed edge leaves the endpoint's answer", || {
            let seen = endpoint_answer(&edges[2], &tunnel);
            gone_after = killed.elapsed();
            (!seen.contains(&victim_ip))
                .then_some(())
                .ok_or(format!("{seen:?}"))
        })
    });
    // The lease is 3 s; slack for the store's expiry check and a loaded machine.
    assert!(
        gone_after < Duration::from_secs(3 + 5),
        "DNS dropped it after {gone_after:?}"
    );
    // The connector moved its session: two again, on the survivors.
    tokio::task::block_in_place(|| {
        eventually("two sessions on the survivors", || {
            let seen = endpoint_answer(&edges[2], &tunnel);
            (seen.len() == 2 && !seen.contains(&victim_ip))
                .then_some(())
                .ok_or(format!("{seen:?}"))
        })
    });
    run_for(&load, 300).await;
    let (ok, rate, failures) = load.finish().await;
    // Only streams in flight on the killed edge fail: the requests its own clients had open, and
    // those a live edge was carrying to it over a link: a 502 if it died before answering (a
    // POST, which cannot be sent again; a GET is sent again to the session that remains), or a
    // body cut off if it died while answering. A live edge failing any other way (refusing,
    // 530, 503) would be a bug. Each worker has at most one request in flight, so there are at
    // most WORKERS of them.
    let elsewhere: Vec<_> = failures
        .iter()
        .filter(|f| f.edge != victim_http)
        .filter(|f| !f.what.starts_with("502") && !f.what.starts_with("body:"))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "requests to live edges failed otherwise: {elsewhere:?}"
    );
    assert!(
        failures.len() <= WORKERS,
        "{} failed: {failures:?}",
        failures.len()
    );
    let linked = failures.iter().filter(|f| f.edge != victim_http).count();
    eprintln!(
        "kill -9 of an edge on etcd: DNS dropped it after {gone_after:?} (lease-ttl 3s); {ok} requests at {rate:.0}/s, {} failed, all in flight on the killed edge ({linked} of them over a link from a live edge)",
        failures.len()
    );
    drop(connector);
    edges.remove(victim);
}

#[tokio::test(flavor = "multi_thread")]
async fn losing_the_etcd_leader_or_all_of_etcd_fails_no_request() {
    let mut cluster = EtcdCluster::start(3);
    let edges = three_edges(&cluster, "10s");
    let tunnel = edges[0].create_tunnel("c1");
    edges[0].route(&tunnel, APP);
    let _connector = connect(&edges[0], &tunnel, 2).await;
    // A second tunnel whose connector first starts while etcd is down.
    let late = edges[0].create_tunnel("late");
    edges[0].route(&late, "late.example.test");

    let load = Load::start(Targets::new(&http_addrs(&edges)), APP, 6);
    run_for(&load, 300).await;

    // kill -9 of the leader: the others elect a new one; no request notices.
    let leader = cluster.leader();
    cluster.kill(leader);
    tokio::task::block_in_place(|| cluster.leader());
    run_for(&load, 300).await;
    let (ok, rate, failures) = load.finish().await;
    assert!(
        failures.is_empty(),
        "{} failed while etcd lost its leader: {failures:?}",
        failures.len()
    );
    eprintln!("kill -9 of the etcd leader: {ok} requests at {rate:.0}/s, 0 failed");
    cluster.start_member(leader);
    cluster.wait_healthy();

    // All of etcd down for 30 s, under load.
    let load = Load::start(Targets::new(&http_addrs(&edges)), APP, 6);
    run_for(&load, 100).await;
    cluster.kill_all();
    let down = Instant::now();
    // What needs a write fails, and says why.
    let out = edges[1].cli(&["tunnel", "route", "dns", "c1", "new.example.test"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a route was made without etcd");
    assert!(stderr.contains("etcd at http://127.0.0.1"), "{stderr}");
    // DNS still answers, from every edge.
    for e in &edges {
        let seen = endpoint_answer(e, &tunnel);
        assert_eq!(
            seen.len(),
            2,
            "DNS at {} without etcd: {seen:?}",
            e.addr("dns")
        );
    }
    // A session registers with an edge that knows the tunnel, and is served there.
    let late_connector = connect(&edges[2], &late, 1).await;
    assert_eq!(status_at(&edges[2], "late.example.test").await, 200);
    while down.elapsed() < Duration::from_secs(30) {
        run_for(&load, 50).await;
    }
    let (ok, rate, failures) = load.finish().await;
    assert!(
        failures.is_empty(),
        "{} failed while etcd was down: {failures:?}",
        failures.len()
    );
    eprintln!("etcd down for 30 s: {ok} requests at {rate:.0}/s, 0 failed");

    // etcd back: the session made meanwhile is written, so the other edges link to it.
    let from = edges[2].proc.log_len();
    cluster.start_all();
    tokio::task::block_in_place(|| {
        edges[2]
            .proc
            .wait_for_from(from, "presence rewritten in the store", READY);
    });
    let started = Instant::now();
    while status_at(&edges[0], "late.example.test").await != 200 {
        assert!(
            started.elapsed() < READY,
            "edge 1 never reached the late session"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // And a new route works.
    let made = edges[1].route(&tunnel, "new.example.test");
    assert!(made.contains("new.example.test"), "{made}");
    for e in &edges {
        let started = Instant::now();
        while status_at(e, "new.example.test").await != 200 {
            assert!(
                started.elapsed() < READY,
                "{} never served the new route",
                e.addr("http")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    drop(late_connector);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_watch_that_falls_behind_a_compaction_reloads_and_loses_no_route() {
    let cluster = EtcdCluster::start(1);
    let direct = cluster.endpoints()[0].clone();
    let relay = Relay::start(&direct).await;
    let via_relay = format!(
        "store:\n  etcd:\n    endpoints: [http://{}]\n    prefix: /tether/\n",
        relay.addr
    );
    let edge = edge(1, &via_relay, "");
    let tunnel = edge.create_tunnel("c1");
    edge.route(&tunnel, "one.example.test");
    edge.route(&tunnel, "two.example.test");

    // The edge loses etcd; meanwhile routes change and the history is compacted.
    relay.cut();
    let cli = tempfile::tempdir().unwrap();
    let config = cli.path().join("edge.yml");
    let direct_store =
        format!("store:\n  etcd:\n    endpoints: [{direct}]\n    prefix: /tether/\n");
    std::fs::write(
        &config,
        format!("listen:\n  http: 127.0.0.1:0\n{direct_store}"),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&tests::process::binaries().edge)
            .args(args)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["tunnel", "route", "dns", "c1", "three.example.test"]);
    run(&["tunnel", "route", "dns", "c1", "four.example.test"]);
    run(&["tunnel", "route", "delete", "one.example.test"]);
    let store = tether_edge::state::store::open(
        &tether_edge::config::EdgeConfig::load(&config)
            .unwrap()
            .store,
        cli.path(),
    )
    .await
    .unwrap();
    let (_, now) = store.range("").await.unwrap();
    store.compact(now).await.unwrap();
    let from = edge.proc.log_len();
    relay.restore().await;
    tokio::task::block_in_place(|| {
        edge.proc
            .wait_for_from(from, "fell behind compaction; reloading.*routes/", READY)
    });
    // Every route as etcd has it: no session, so 530 for a routed host, 404 for the deleted one.
    for host in [
        "two.example.test",
        "three.example.test",
        "four.example.test",
    ] {
        let started = Instant::now();
        while status_at(&edge, host).await != 530 {
            assert!(started.elapsed() < READY, "{host} lost after the reload");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_eq!(status_at(&edge, "one.example.test").await, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn moving_from_sqlite_to_etcd_keeps_connectors_credentials() {
    // A one-host edge on SQLite, with a tunnel, a route and an access token.
    let old = TestEdge::start("");
    let tunnel = old.create_tunnel("moved");
    old.route(&tunnel, APP);
    old.cli_ok(&["token", "create", "ops"]);
    let dir = old.dir.path().to_path_buf();
    let TestEdge {
        dir: keep,
        mut proc,
        ..
    } = old;
    proc.kill();

    // The same edge.yml, now naming etcd; state-dir still the old one.
    let cluster = EtcdCluster::start(1);
    let yaml = format!(
        "state-dir: state\npublic-hostname: localhost\nlisten:\n  http: 127.0.0.1:0\n  https: 127.0.0.1:0\n  tunnel: 127.0.0.1:0\ntls:\n  dev-ca: true\n{}",
        cluster.store_yaml("/tether/", "10s")
    );
    let config = dir.join("edge.yml");
    std::fs::write(&config, &yaml).unwrap();
    let copy = |more: &[&str]| {
        std::process::Command::new(&tests::process::binaries().edge)
            .args([
                "store", "copy", "--from", "sqlite", "--to", "etcd", "--config",
            ])
            .arg(&config)
            .args(more)
            .output()
            .unwrap()
    };
    let out = copy(&[]);
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        printed.contains("1 tunnels")
            && printed.contains("1 routes/http")
            && printed.contains("1 tokens"),
        "{printed}"
    );
    // A second copy would overwrite: refused without --force.
    let again = copy(&[]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert!(copy(&["--force"]).status.success());

    // The edge on etcd: the connector's old credentials (which pin the old CA) still work.
    let new = TestEdge::start_config(keep, &yaml);
    let app = origin::serve(|_| async { origin::ok("app") }).await;
    let body = format!(
        "edge: {}\ningress:\n  - service: http://{app}\n",
        new.addr("tunnel")
    );
    let connector = new.connect(&tunnel, &body);
    assert_eq!(status_at(&new, APP).await, 200);
    let tokens = new.cli_ok(&["token", "list"]);
    assert!(tokens.contains("ops"), "{tokens}");
    drop(connector);
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_stale_limit_new_sessions_wait_for_the_store_and_old_ones_stay() {
    let mut cluster = EtcdCluster::start(1);
    let store = cluster.store_yaml("/tether/", "10s");
    let edge = edge(1, &store, "store-stale-limit: 2s\n");
    let tunnel = edge.create_tunnel("c1");
    edge.route(&tunnel, APP);
    let _kept = connect(&edge, &tunnel, 1).await;
    let other = edge.create_tunnel("c2");
    edge.route(&other, "other.example.test");

    let from = edge.proc.log_len();
    cluster.kill_all();
    // A renewal fails a third of lease-ttl (3.3 s) after the last one that worked: by then the
    // store has been silent for longer than the 2 s limit.
    tokio::task::block_in_place(|| {
        edge.proc
            .wait_for_from(from, "cannot renew presence lease", READY)
    });
    // Known tunnel, store silent past the limit: refused, and told to retry (elsewhere).
    let newcomer = TestConnector::spawn(
        edge.dir.path(),
        &other,
        &format!(
            "edge: {}\ningress:\n  - service: http_status:204\n",
            edge.addr("tunnel")
        ),
    );
    tokio::task::block_in_place(|| {
        newcomer
            .proc
            .wait_for("503 Service Unavailable.*has not reached its store", READY)
    });
    assert_eq!(newcomer.proc.count_from(0, "tunnel session registered"), 0);
    // The session it had goes on serving.
    assert_eq!(status_at(&edge, APP).await, 200);

    // The store back: the newcomer's next try registers.
    cluster.start_all();
    tokio::task::block_in_place(|| newcomer.proc.wait_for("tunnel session registered", READY));
    let started = Instant::now();
    while status_at(&edge, "other.example.test").await != 204 {
        assert!(started.elapsed() < READY, "the newcomer never served");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
