//! When to reload a configuration: on SIGHUP, or when any of its files' contents change. Both
//! binaries use it (tunnel.yml; edge.yml and its certificates).
//!
//! The files are read every second rather than watched with inotify: editors, certbot and
//! Kubernetes ConfigMaps replace files by renaming or swapping symlinks, which silently ends a
//! watch on the old inode, and reading a few kilobytes a second costs nothing.

use std::path::PathBuf;
use std::time::Duration;

use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio_util::sync::CancellationToken;

const POLL: Duration = Duration::from_secs(1);

pub struct Trigger {
    hangup: Option<Signal>,
    files: Vec<(PathBuf, Option<Vec<u8>>)>,
}

impl Trigger {
    /// Starts listening for SIGHUP and remembers the files' contents now.
    pub fn new(files: Vec<PathBuf>) -> Trigger {
        let hangup = match signal(SignalKind::hangup()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; configuration files are still reloaded when they change");
                None
            }
        };
        let mut trigger = Trigger {
            hangup,
            files: Vec::new(),
        };
        trigger.watch(files);
        trigger
    }

    /// Watches these files from now on (a reload may name other certificate files). Files
    /// already watched keep the contents last seen, so a write that lands while a reload runs is
    /// still noticed.
    pub fn watch(&mut self, files: Vec<PathBuf>) {
        let mut known = std::mem::take(&mut self.files);
        self.files = files
            .into_iter()
            .map(|path| match known.iter().position(|(p, _)| *p == path) {
                Some(i) => known.swap_remove(i),
                None => {
                    let seen = std::fs::read(&path).ok();
                    (path, seen)
                }
            })
            .collect();
    }

    /// Waits for SIGHUP, or for changed files that then stay the same for one more poll (a file
    /// being written is not read half-way), and says which; `None` once `stop` is cancelled.
    pub async fn next(&mut self, stop: &CancellationToken) -> Option<&'static str> {
        let mut settling = false;
        loop {
            let hangup = &mut self.hangup;
            let asked = tokio::select! {
                _ = stop.cancelled() => return None,
                _ = tokio::time::sleep(POLL) => false,
                Some(()) = async { hangup.as_mut()?.recv().await } => true,
            };
            let mut changed = false;
            for (path, seen) in &mut self.files {
                let now = std::fs::read(&*path).ok();
                if now != *seen {
                    *seen = now;
                    changed = true;
                }
            }
            if asked {
                return Some("SIGHUP");
            }
            if settling && !changed {
                return Some("a file changed");
            }
            settling |= changed;
        }
    }
}
