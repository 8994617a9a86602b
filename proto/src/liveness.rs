//! Session liveness: HTTP/2 PINGs (RFC 9113 §6.7) on an otherwise idle session. A session whose
//! peer stops answering (a half-dead TCP connection, a stopped process) is declared dead after
//! `timeout`, so its streams fail and it is replaced instead of silently swallowing requests.

use std::time::Duration;

use h2::{Ping, PingPong};

/// The PING schedule of a session, the same on both ends.
#[derive(Debug, Clone, Copy)]
pub struct Liveness {
    /// Time between PINGs.
    pub interval: Duration,
    /// How long a PING may go unanswered before the session is dead.
    pub timeout: Duration,
}

impl Default for Liveness {
    fn default() -> Self {
        Liveness {
            interval: Duration::from_secs(15),
            timeout: Duration::from_secs(10),
        }
    }
}

impl Liveness {
    /// PINGs until the peer fails to answer in time or the session closes; returns why it stopped.
    /// Without a `PingPong` (h2 hands it out once) it never returns.
    pub async fn watch(self, ping_pong: Option<PingPong>) -> String {
        let Some(mut ping_pong) = ping_pong else {
            return std::future::pending().await;
        };
        loop {
            tokio::time::sleep(self.interval).await;
            match tokio::time::timeout(self.timeout, ping_pong.ping(Ping::opaque())).await {
                Ok(Ok(_pong)) => {}
                Ok(Err(e)) => return format!("session closed: {e}"),
                Err(_) => {
                    return format!(
                        "the peer answered no PING within {}",
                        humantime_secs(self.timeout)
                    )
                }
            }
        }
    }
}

fn humantime_secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
