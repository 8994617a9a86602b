//! The benchmark harness in its smoke mode (`bench all --smoke`: one short round of every
//! scenario, debug binaries), so it never rots. It checks that every scenario produced its
//! figures; it asserts nothing about their values (performance is measured by running the
//! harness itself, see docs/benchmarks.md).

use std::process::Command;

#[test]
fn the_benchmark_harness_runs_every_scenario() {
    let out_file = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["all", "--smoke", "--out"])
        .arg(out_file.path())
        .output()
        .expect("run bench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed:\n{stderr}");
    let report = std::fs::read_to_string(out_file.path()).unwrap();
    for metric in [
        "wrk -t2 -c50, HTTP/1.1",
        "wrk -t2 -c50, HTTPS",
        "HTTP/2 over TLS",
        "download, HTTP",
        "upload, HTTP",
        "iperf3, 1 stream",
        "iperf3, 8 streams",
        "p50, 1 connection",
        "p99, 50 connections",
        "per idle WebSocket stream",
        "per connected tunnel",
        "to first request served",
        "dnsperf",
    ] {
        let row = report
            .lines()
            .find(|l| l.starts_with('|') && l.contains(metric))
            .unwrap_or_else(|| panic!("no row for `{metric}` in:\n{report}"));
        // Every row has a figure for Tether: a number in its last cell.
        let last = row.trim_end_matches('|').rsplit('|').next().unwrap();
        assert!(
            last.chars().any(|c| c.is_ascii_digit()),
            "no figure in `{row}`"
        );
    }
}
