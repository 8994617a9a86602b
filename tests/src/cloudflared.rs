//! cloudflared config.yml files (config-examples/cloudflared/) migrated as a user would: the
//! tunnel created under the file's UUID (`edge tunnel create NAME --id UUID`), so the `tunnel:`
//! line stays as it was, and only `credentials-file:` changed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{binaries, Proc};
use crate::tunnel::{TestEdge, Tunnel};

pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../config-examples/cloudflared")
        .join(name)
}

/// The `tunnel:` UUID of an example.
pub fn uuid_of(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("tunnel: "))
        .expect("a tunnel: line")
        .trim()
        .to_string()
}

/// The tunnel of `file`, created with its cloudflared UUID; and the file as a user would
/// migrate it: only `credentials-file:` changed (and, here, origins moved to the test's ports).
pub fn migrate(edge: &TestEdge, file: &str, origins: &[(&str, String)]) -> (Tunnel, PathBuf) {
    let text = std::fs::read_to_string(example(file)).unwrap();
    let uuid = uuid_of(&text);
    let tunnel = edge.create_tunnel_with(file.trim_end_matches(".yml"), &["--id", &uuid]);
    assert_eq!(tunnel.id, uuid, "the chosen id is kept");
    let mut migrated: String = text
        .lines()
        .map(|l| match l.starts_with("credentials-file:") {
            true => format!("credentials-file: {}\n", tunnel.credentials.display()),
            false => format!("{l}\n"),
        })
        .collect();
    for (from, to) in origins {
        assert!(migrated.contains(from), "{file} has {from}");
        migrated = migrated.replace(from, to);
    }
    let path = tunnel.credentials.with_extension("yml");
    std::fs::write(&path, migrated).unwrap();
    (tunnel, path)
}

/// `connector tunnel --config F run`, cloudflared's own command line, until a session is up.
pub fn run(edge: &TestEdge, tunnel: &Tunnel, config: &Path) -> Proc {
    let from = edge.proc.log_len();
    let mut command = Command::new(&binaries().connector);
    command
        .args(["tunnel", "--config"])
        .arg(config)
        .args(["--metrics", "127.0.0.1:0", "run"])
        // The file's `loglevel` is in force, not the harness's RUST_LOG.
        .env_remove("RUST_LOG");
    let proc = Proc::spawn("connector", command);
    edge.wait_session(from, tunnel);
    proc
}

/// `connector tunnel --config PATH ingress validate`.
pub fn validate(path: &Path) -> std::process::Output {
    Command::new(&binaries().connector)
        .args(["tunnel", "--config"])
        .arg(path)
        .args(["ingress", "validate"])
        .output()
        .unwrap()
}
