//! A connection's first request head must arrive within the header-read timeout of its accept,
//! TLS handshake included. hyper-util's `auto` server reads the first bytes to tell HTTP/1.1
//! from HTTP/2 with no timeout, and hyper's own `header_read_timeout` starts only after that,
//! so a connection that sends nothing at all would hold its slot until `idle-timeout` on the
//! public listeners, and for ever on the admin listener. Every listener's connection task
//! races its connection against [`FirstRequest::missed`] and drops it when that wins.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::time::Instant;

/// Whether a connection has sent a whole request head yet.
#[derive(Debug, Default)]
pub struct FirstRequest {
    seen: AtomicBool,
}

impl FirstRequest {
    /// A request head arrived (the service was called).
    pub fn seen(&self) {
        self.seen.store(true, Ordering::Relaxed);
    }

    /// Resolves at `deadline` if no request head has arrived by then; never otherwise.
    pub async fn missed(&self, deadline: Instant) {
        tokio::time::sleep_until(deadline).await;
        if self.seen.load(Ordering::Relaxed) {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn only_a_connection_that_sent_nothing_misses_its_deadline() {
        let deadline = Instant::now() + Duration::from_secs(30);
        let silent = FirstRequest::default();
        silent.missed(deadline).await;
        let talking = FirstRequest::default();
        talking.seen();
        let mut missed = Box::pin(talking.missed(deadline));
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!((&mut missed).now_or_never().is_none());
    }
}
