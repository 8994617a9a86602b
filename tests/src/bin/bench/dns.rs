//! DNS: dnsperf against Tether's authoritative DNS and NSD serving the same zone, alternated
//! (`scripts/bench-dns.sh`, which sets both up; this runs it with the harness's edge binary).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{ensure, Context};

use crate::table::{Compare, Row};

/// Runs the DNS benchmark; one row, NSD as the direct path.
pub fn run(workspace: &Path, bin_dir: &Path, rounds: usize, time: Duration) -> anyhow::Result<Row> {
    for (tool, package) in [
        ("dnsperf", "dnsperf"),
        ("nsd", "nsd"),
        ("dig", "bind9-dnsutils"),
    ] {
        crate::origin::which(tool, package)?;
    }
    let out = Command::new(workspace.join("scripts/bench-dns.sh"))
        .args([rounds.to_string(), time.as_secs().max(1).to_string()])
        .env("TETHER_BIN", bin_dir)
        .output()
        .context("cannot run scripts/bench-dns.sh")?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success(),
        "scripts/bench-dns.sh failed:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut row = Row::new(
        "6 dns",
        "dnsperf, queries/s (direct = NSD)",
        "q/s",
        Compare::Ratio,
    );
    // "ROUND  TETHER_QPS  NSD_QPS  RATIO" after the header line.
    for line in text.lines().skip_while(|l| !l.starts_with("round")).skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if let [_, tether, nsd, _] = cols[..] {
            row.push("tether", tether.parse()?);
            row.push("direct", nsd.parse()?);
        }
    }
    ensure!(row.direct.len() == rounds, "unexpected output:\n{text}");
    Ok(row)
}
