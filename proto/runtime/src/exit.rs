//! How a Tether process ends: its exit statuses, one table for every binary, and the stop
//! signals (the first SIGTERM or SIGINT drains, a second exits at once).

use tokio_util::sync::CancellationToken;

/// The exit statuses of `edge`, `connector` and `dns`. systemd units rely on them
/// (`RestartPreventExitStatus=64 77`): a bad config or a refused tunnel is not retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// Anything else that failed.
    Failure,
    /// The configuration is bad (sysexits' EX_USAGE, 64, as linkerd does).
    Config,
    /// The edge refused the tunnel for good (sysexits' EX_NOPERM, 77).
    Refused,
    /// A second SIGTERM or SIGINT cut the drain short (128 + SIGINT, as shells do).
    Signal,
}

impl Exit {
    pub fn code(self) -> i32 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Config => 64,
            Exit::Refused => 77,
            Exit::Signal => 130,
        }
    }

    /// Ends the process with this status.
    pub fn exit(self) -> ! {
        std::process::exit(self.code())
    }
}

/// Resolves on the next SIGTERM or SIGINT.
pub async fn signalled() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM; only SIGINT stops this process");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// On a task of its own: the first SIGTERM or SIGINT logs `draining` (when the drain does not
/// log its own start) and cancels `stop`; a second logs `abandoning` and exits with
/// [`Exit::Signal`] at once.
pub fn stop_on_signals(
    stop: CancellationToken,
    draining: Option<&'static str>,
    abandoning: &'static str,
) {
    tokio::spawn(async move {
        signalled().await;
        if let Some(draining) = draining {
            tracing::info!("{draining}");
        }
        stop.cancel();
        signalled().await;
        tracing::warn!("{abandoning}");
        Exit::Signal.exit();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_the_documented_ones() {
        let codes: Vec<i32> = [
            Exit::Success,
            Exit::Failure,
            Exit::Config,
            Exit::Refused,
            Exit::Signal,
        ]
        .iter()
        .map(|e| e.code())
        .collect();
        assert_eq!(codes, [0, 1, 64, 77, 130]);
    }
}
