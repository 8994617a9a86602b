//! Child processes whose stderr (the log) is collected so tests can wait for lines.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use regex::Regex;

/// Paths of the `edge` and `connector` binaries, built once per test process so that
/// `cargo test --workspace` alone is enough.
pub struct Binaries {
    pub edge: PathBuf,
    pub connector: PathBuf,
    /// The standalone DNS server (`dns run`).
    pub dns: PathBuf,
}

/// This package built optimised (`cargo run --release -p tests --bin bench`) drives release
/// binaries of the edge and connector too; the test suite drives debug ones.
const RELEASE: bool = !cfg!(debug_assertions);

pub fn binaries() -> &'static Binaries {
    static BINS: OnceLock<Binaries> = OnceLock::new();
    BINS.get_or_init(|| {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root")
            .to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(&workspace)
            .args([
                "build",
                "--quiet",
                "-p",
                "tether-edge",
                "-p",
                "tether-connector",
                "--bins",
            ])
            .args(RELEASE.then_some("--release"))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building edge and connector failed");
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| workspace.join("target"));
        let profile = target.join(if RELEASE { "release" } else { "debug" });
        Binaries {
            edge: profile.join("edge"),
            connector: profile.join("connector"),
            dns: profile.join("dns"),
        }
    })
}

type Log = Arc<(Mutex<Vec<String>>, Condvar)>;

/// A running process; killed when dropped.
pub struct Proc {
    pub name: String,
    child: Child,
    log: Log,
}

/// Strips ANSI colour codes so patterns match what a person reads.
fn plain(line: &str) -> String {
    static ANSI: OnceLock<Regex> = OnceLock::new();
    ANSI.get_or_init(|| Regex::new(r"\x1b\[[0-9;]*m").expect("regex"))
        .replace_all(line, "")
        .into_owned()
}

impl Proc {
    pub fn spawn(name: &str, mut command: Command) -> Proc {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // Plain log lines, unless the caller set it (wstunnel wants `true`, not `1`).
        if !command.get_envs().any(|(k, _)| k == "NO_COLOR") {
            command.env("NO_COLOR", "1");
        }
        // The caller may set RUST_LOG, or remove it to test the programs' own level settings.
        let chosen = command.get_envs().any(|(k, _)| k == "RUST_LOG");
        if std::env::var_os("RUST_LOG").is_none() && !chosen {
            command.env("RUST_LOG", "info,hickory_server=warn,hickory_proto=warn");
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        let log: Log = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let stderr = child.stderr.take().expect("stderr");
        let (writer, echo) = (log.clone(), std::env::var_os("TETHER_TEST_ECHO").is_some());
        let tag = name.to_string();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let line = plain(&line);
                if echo {
                    eprintln!("[{tag}] {line}");
                }
                let (lines, cv) = &*writer;
                lines.lock().expect("log lock").push(line);
                cv.notify_all();
            }
        });
        Proc {
            name: name.into(),
            child,
            log,
        }
    }

    /// Waits until `found` returns something for the log so far; `what` describes the wait for
    /// the failure message.
    fn wait_until<T>(
        &self,
        timeout: Duration,
        what: &str,
        mut found: impl FnMut(&[String]) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        let (lines, cv) = &*self.log;
        let mut guard = lines.lock().expect("log lock");
        loop {
            if let Some(result) = found(&guard) {
                return result;
            }
            let now = Instant::now();
            assert!(
                now < deadline,
                "{}: {what} within {timeout:?}; log:\n{}",
                self.name,
                guard.join("\n")
            );
            guard = cv.wait_timeout(guard, deadline - now).expect("log lock").0;
        }
    }

    /// Waits for a log line matching `pattern` after the first `skip` lines; returns it.
    pub fn wait_for_from(&self, skip: usize, pattern: &str, timeout: Duration) -> String {
        let re = Regex::new(pattern).expect("pattern");
        let what = format!("no log line matching `{pattern}`");
        self.wait_until(timeout, &what, |lines| {
            lines.iter().skip(skip).find(|l| re.is_match(l)).cloned()
        })
    }

    /// Waits until `n` log lines match `pattern`.
    pub fn wait_count(&self, pattern: &str, n: usize, timeout: Duration) {
        let re = Regex::new(pattern).expect("pattern");
        let what = format!("fewer than {n} log lines matching `{pattern}`");
        self.wait_until(timeout, &what, |lines| {
            (lines.iter().filter(|l| re.is_match(l)).count() >= n).then_some(())
        })
    }

    /// How many log lines after the first `skip` match `pattern`.
    pub fn count_from(&self, skip: usize, pattern: &str) -> usize {
        let re = Regex::new(pattern).expect("pattern");
        let lines = self.log.0.lock().expect("log lock");
        lines.iter().skip(skip).filter(|l| re.is_match(l)).count()
    }

    pub fn wait_for(&self, pattern: &str, timeout: Duration) -> String {
        self.wait_for_from(0, pattern, timeout)
    }

    /// How many log lines there are so far (to wait only for later ones).
    pub fn log_len(&self) -> usize {
        self.log.0.lock().expect("log lock").len()
    }

    pub fn log_text(&self) -> String {
        self.log.0.lock().expect("log lock").join("\n")
    }

    /// Waits for the process to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {timeout:?}; log:\n{}",
                self.name,
                self.log_text()
            );
            // Polling a child's exit has no notification in std; 20 ms granularity, bounded above.
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (a name such as TERM, STOP, CONT or KILL) with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {signal} {}", self.name);
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}
