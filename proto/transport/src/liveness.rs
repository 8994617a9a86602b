//! Session liveness: HTTP/2 PINGs (RFC 9113 §6.7) on an otherwise idle session. A session whose
//! peer stops answering (a half-dead TCP connection, a stopped process) is declared dead after
//! `timeout`, so its streams fail and it is replaced instead of silently swallowing requests.
//!
//! A PONG waits behind whatever the peer queued before it (the TLS and socket buffers of a busy
//! session hold megabytes), so a session is also alive while its peer's bytes keep arriving:
//! its connection ([`crate::session_io::SessionIo`]) notes every read in a [`Heard`]. gRPC's
//! keepalive counts any read the same way. Without it, a machine short of TCP memory (1,024
//! attacking addresses holding 12,288 unread downloads) saw healthy, busy sessions dropped with
//! thousands of streams on them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use h2::{Ping, PingPong};
use tokio::time::Instant;

/// How long a session may go without answering a PING, unless configured (`liveness-timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The PING schedule of a session, the same on both ends.
#[derive(Debug, Clone, Copy)]
pub struct Liveness {
    /// Time between PINGs.
    pub interval: Duration,
    /// How long the peer may go without answering a PING before the session is dead.
    pub timeout: Duration,
}

impl Default for Liveness {
    fn default() -> Self {
        Liveness::new(DEFAULT_TIMEOUT)
    }
}

/// When a session last heard a PONG, for `/ready` and metrics: shared with whoever watches.
#[derive(Default, Clone)]
pub struct Pulse {
    /// When the last PONG came (`None`: a pulse that records nothing), and its round trip in
    /// microseconds.
    last_pong: Option<Heard>,
    last_rtt: Arc<AtomicU64>,
    /// Told every round trip (a metrics histogram).
    observer: Option<Arc<dyn Fn(Duration) + Send + Sync>>,
}

impl Pulse {
    pub fn new() -> Pulse {
        Pulse {
            last_pong: Some(Heard::default()),
            ..Pulse::default()
        }
    }

    /// A pulse that also tells `observer` every round trip.
    pub fn observed(observer: impl Fn(Duration) + Send + Sync + 'static) -> Pulse {
        Pulse {
            observer: Some(Arc::new(observer)),
            ..Pulse::new()
        }
    }

    fn record(&self, rtt: Duration) {
        if let Some(last_pong) = &self.last_pong {
            last_pong.now();
            self.last_rtt
                .store(rtt.as_micros() as u64, Ordering::Relaxed);
        }
        if let Some(observer) = &self.observer {
            observer(rtt);
        }
    }

    /// Whether a PONG arrived within the last `window`.
    pub fn answered_within(&self, window: Duration) -> bool {
        self.last_pong_at().is_some_and(|at| at.elapsed() <= window)
    }

    /// The session ended: it answers nothing any more.
    pub fn clear(&self) {
        if let Some(last_pong) = &self.last_pong {
            last_pong.forget();
        }
    }

    /// The round trip of the last answered PING.
    pub fn rtt(&self) -> Option<Duration> {
        let rtt = || Duration::from_micros(self.last_rtt.load(Ordering::Relaxed));
        self.last_pong_at().map(|_| rtt())
    }

    fn last_pong_at(&self) -> Option<Instant> {
        self.last_pong.as_ref().and_then(Heard::last)
    }
}

impl Liveness {
    /// PINGs four times per `timeout`, so a peer that stops answering is declared dead no later
    /// than `timeout` after its last answer.
    pub fn new(timeout: Duration) -> Liveness {
        Liveness {
            interval: timeout / 4,
            timeout,
        }
    }

    /// PINGs until the peer goes `timeout` without answering or being `heard`, or the session
    /// closes; returns why it stopped. Each answer is recorded in `pulse`. Without a `PingPong`
    /// (h2 hands it out once) it never returns.
    pub async fn watch(self, ping_pong: Option<PingPong>, pulse: Pulse, heard: Heard) -> String {
        let Some(mut ping_pong) = ping_pong else {
            return std::future::pending().await;
        };
        let mut last_answer = Instant::now();
        loop {
            let sent = Instant::now();
            // h2 allows one PING of ours in flight: wait for its answer while the peer answers
            // or is heard from.
            let ping = ping_pong.ping(Ping::opaque());
            tokio::pin!(ping);
            let answer = loop {
                let deadline =
                    heard.last().map_or(last_answer, |h| h.max(last_answer)) + self.timeout;
                tokio::select! {
                    answer = &mut ping => break answer,
                    _ = tokio::time::sleep_until(deadline) => {
                        if heard.last().is_none_or(|h| h + self.timeout <= Instant::now()) {
                            return format!(
                                "the peer answered no PING and sent nothing for {}",
                                humantime_secs(self.timeout)
                            );
                        }
                    }
                }
            };
            match answer {
                Ok(_pong) => {
                    last_answer = Instant::now();
                    pulse.record(last_answer - sent);
                }
                Err(e) => return format!("session closed: {e}"),
            }
            tokio::time::sleep_until(sent + self.interval).await;
        }
    }
}

/// When something was last heard from a session's peer, shared between threads: any byte
/// (kept by its connection, [`crate::session_io::SessionIo`], for its [`Liveness`] watch) or a
/// PONG (in its [`Pulse`]).
#[derive(Clone)]
pub struct Heard {
    epoch: Instant,
    /// Microseconds since `epoch` of the last time (0: none yet).
    last: Arc<AtomicU64>,
}

impl Default for Heard {
    fn default() -> Self {
        Heard {
            epoch: Instant::now(),
            last: Arc::default(),
        }
    }
}

impl Heard {
    /// Something was heard now.
    pub fn now(&self) {
        let at = self.epoch.elapsed().as_micros().max(1);
        self.last
            .store(u64::try_from(at).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// When something was last heard, if ever.
    pub fn last(&self) -> Option<Instant> {
        let at = self.last.load(Ordering::Relaxed);
        (at != 0).then(|| self.epoch + Duration::from_micros(at))
    }

    /// As if nothing had been heard yet.
    fn forget(&self) {
        self.last.store(0, Ordering::Relaxed);
    }
}

fn humantime_secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

#[cfg(test)]
#[path = "liveness_tests.rs"]
mod tests;
