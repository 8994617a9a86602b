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
    let header: Vec<&str> = report
        .lines()
        .find(|l| l.starts_with("| scenario | metric | direct |"))
        .unwrap_or_else(|| panic!("no table in:\n{report}"))
        .split('|')
        .map(str::trim)
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|c| *c == name)
            .unwrap_or_else(|| panic!("no `{name}` column in {header:?}"))
    };
    let (l7, l4) = (column("tether"), column("tether L4"));
    let row = |metric: &str| -> Vec<String> {
        report
            .lines()
            .find(|l| l.starts_with('|') && l.contains(metric))
            .unwrap_or_else(|| panic!("no row for `{metric}` in:\n{report}"))
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let figure = |cell: &str| cell.chars().any(|c| c.is_ascii_digit());
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
        // Every row has a figure for Tether, through the HTTP listener or a public TCP port.
        let cells = row(metric);
        assert!(
            figure(&cells[l7]) || figure(&cells[l4]),
            "no figure for Tether in `{metric}`: {cells:?}"
        );
    }
    // Small requests and latency go through both of Tether's paths, and the CPU each process
    // spent per request is there for the direct path and both of Tether's.
    for metric in [
        "wrk -t2 -c50, HTTP/1.1",
        "p50, 1 connection",
        "CPU per request (wrk, HTTP/1.1): load generator",
        "CPU per request (wrk, HTTP/1.1): origin (nginx)",
        "CPU per request (wrk, HTTP/1.1): tunnel, public side",
        "CPU per request (wrk, HTTP/1.1): tunnel, origin side",
        "CPU per request (wrk, HTTP/1.1): all processes",
    ] {
        let cells = row(metric);
        assert!(
            figure(&cells[l7]) && figure(&cells[l4]),
            "`{metric}` lacks a path: {cells:?}"
        );
    }
    assert!(figure(
        &row("CPU per request (wrk, HTTP/1.1): all processes")[column("direct")]
    ));
    // The machine's load before and after every scenario, in a table of its own.
    let load = report
        .split_once("Machine load")
        .and_then(|(_, rest)| rest.split_once("Raw samples"))
        .map(|(table, _)| table)
        .unwrap_or_else(|| panic!("no machine load in:\n{report}"));
    for scenario in ["1 small requests", "2 bulk", "3 latency", "6 dns"] {
        let prefix = format!("| {scenario} | ");
        let line = load
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no load averages for {scenario} in:\n{load}"));
        let averages: Vec<f64> = line[prefix.len()..]
            .split(['|', ' '])
            .filter_map(|w| w.parse().ok())
            .collect();
        assert_eq!(averages.len(), 6, "{line}");
    }
}
