//! The connector's operator endpoints, asked with curl: `/healthz`, `/ready` (which follows the
//! sessions' PINGs, so a half-dead session does not report ready) and `/metrics`.

use std::process::Command;
use std::time::{Duration, Instant};

use tests::tunnel::TestEdge;
use tests::READY;

/// `curl` of `url`: (status, body).
fn curl(url: &str) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-m", "5", "-w", "\n%{http_code}", url])
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (status.trim().parse().unwrap_or(0), body.to_string())
}

/// Asks `url` until its answer satisfies `done`; returns the body and how long that took.
fn wait_until(url: &str, done: impl Fn(u16, &str) -> bool) -> (String, Duration) {
    let started = Instant::now();
    loop {
        let (status, body) = curl(url);
        if done(status, &body) {
            return (body, started.elapsed());
        }
        assert!(
            started.elapsed() < READY,
            "{url} never got there; it answers {status}: {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asks `url` until it answers `status`; returns the body and how long that took.
fn wait_status(url: &str, status: u16) -> (String, Duration) {
    wait_until(url, |got, _| got == status)
}

/// The value of the first sample of `metric` with `labels` in a Prometheus text page.
fn sample(page: &str, metric: &str) -> f64 {
    page.lines()
        .find(|l| l.starts_with(metric))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {metric} in:\n{page}"))
}

#[tokio::test]
async fn ready_follows_the_sessions_pings_and_metrics_count_them() {
    let edge = TestEdge::start("liveness-timeout: 1s\n");
    let tunnel = edge.create_tunnel("health");
    edge.route(&tunnel, "health.example.test");
    let connector = edge.connect(
        &tunnel,
        "ha-connections: 2\nliveness-timeout: 1s\ningress:\n  - service: hello_world\n",
    );
    let address = connector.status_address();
    connector
        .proc
        .wait_count("tunnel session registered", 2, READY);

    assert_eq!(
        curl(&format!("http://{address}/healthz")),
        (200, "OK\n".into())
    );
    let ready = format!("http://{address}/ready");
    let (body, _) = wait_status(&ready, 200);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], 200, "{body}");
    assert_eq!(json["readyConnections"], 2, "{body}");

    let (status, _, _) =
        tests::client::get_plain(edge.addr("http"), "health.example.test", "/").await;
    assert_eq!(status, 200);
    let (status, page) = curl(&format!("http://{address}/metrics"));
    assert_eq!(status, 200);
    let edge_addr = edge.addr("tunnel");
    assert_eq!(
        sample(
            &page,
            &format!("tether_connector_sessions{{edge=\"{edge_addr}\"}}")
        ),
        2.0,
        "{page}"
    );
    assert!(sample(&page, "tether_connector_ping_rtt_seconds_count") >= 2.0);
    assert!(sample(&page, "tether_connector_requests_total{status=\"2xx\"}") >= 1.0);

    // A stopped edge still holds its TCP connections open: only the PINGs tell.
    edge.proc.signal("STOP");
    let (body, took) = wait_status(&ready, 503);
    edge.proc.signal("CONT");
    assert!(body.contains("\"readyConnections\":0"), "{body}");
    assert!(
        took < Duration::from_secs(10),
        "a half-dead session was reported ready for {took:?} with liveness-timeout 1s"
    );
    connector.proc.wait_for("answered no PING", READY);
    // The edge is back: the connector dials again and is ready again.
    wait_status(&ready, 200);
}

#[tokio::test]
async fn the_edge_counts_requests_errors_streams_and_bytes_and_logs_each_request_once() {
    let origin = tests::origin::serve(|_req: http::Request<hyper::body::Incoming>| async {
        tests::origin::ok(vec![b'x'; 1000])
    })
    .await;
    let edge = TestEdge::start_with(
        tempfile::tempdir().unwrap(),
        "  metrics: 127.0.0.1:0\n",
        "",
        "127.0.0.1:0",
    );
    let tunnel = edge.create_tunnel("counted");
    edge.route(&tunnel, "counted.example.test");
    edge.route(&tunnel, "offline.example.test");
    let _connector = edge.connect(
        &tunnel,
        &format!("ingress:\n  - hostname: counted.example.test\n    service: http://{origin}\n  - service: http_status:404\n"),
    );
    let http = edge.addr("http");
    for _ in 0..3 {
        let (status, _, body) = tests::client::get_plain(http, "counted.example.test", "/").await;
        assert_eq!((status.as_u16(), body.len()), (200, 1000));
    }
    let (status, _, _) = tests::client::get_plain(http, "nowhere.example.test", "/").await;
    assert_eq!(status.as_u16(), 404);

    let (page, _) = wait_until(
        &format!("http://{}/metrics", edge.addr("metrics")),
        |status, page| {
            status == 200 && page.contains("tether_edge_bytes_total{direction=\"out\"} 3000")
        },
    );
    for (metric, expected) in [
        ("tether_edge_requests_total{status=\"2xx\"}", 3.0),
        ("tether_edge_requests_total{status=\"4xx\"}", 1.0),
        ("tether_edge_errors_total{cause=\"no_route\"}", 1.0),
        ("tether_edge_request_duration_seconds_count", 4.0),
        ("tether_edge_streams_active{kind=\"http\"}", 0.0),
    ] {
        assert_eq!(sample(&page, metric), expected, "{metric} in {page}");
    }
    assert!(sample(&page, "tether_edge_sessions") >= 1.0, "{page}");

    // One access line per request, with its bytes, written once the body was sent.
    edge.proc.wait_count("bytes=1000 complete=true", 3, READY);
    let lines = edge.proc.count_from(0, "bytes=1000 complete=true");
    assert_eq!(lines, 3, "{}", edge.proc.log_text());
    let line = edge.proc.wait_for("status=404", READY);
    assert!(
        line.contains("path=/") && line.contains("request_id="),
        "{line}"
    );
}
