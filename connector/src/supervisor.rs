//! Keeps the connector's session alive: reconnect on loss with exponential backoff and full
//! jitter (about 1 s base, capped), stop on a permanent refusal. Shaped to hold N sessions to
//! several edges later (`ha-connections`): each session index runs its own loop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use tokio_util::sync::CancellationToken;

use crate::session::{self, EdgeTarget, SessionCtx, SessionError};

const BACKOFF_BASE: Duration = Duration::from_secs(1);
const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// A session that stayed up this long resets the backoff.
const HEALTHY_AFTER: Duration = Duration::from_secs(30);

/// Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): a uniform delay in
/// `[0, min(cap, base * 2^attempt)]`, which spreads reconnecting connectors evenly.
pub fn backoff(attempt: u32) -> Duration {
    let ceiling = BACKOFF_BASE
        .saturating_mul(1u32 << attempt.min(16))
        .min(BACKOFF_CAP);
    rand::thread_rng().gen_range(Duration::ZERO..=ceiling)
}

/// Runs one session slot until shutdown, or until the edge refuses us permanently.
pub async fn run(
    target: EdgeTarget,
    ctx: Arc<SessionCtx>,
    shutdown: CancellationToken,
) -> Result<(), String> {
    let mut attempt = 0u32;
    loop {
        let started = Instant::now();
        match session::run(&target, ctx.clone(), shutdown.clone()).await {
            Ok(()) if shutdown.is_cancelled() => return Ok(()),
            Ok(()) => tracing::warn!(
                index = ctx.index,
                "session closed by the edge; reconnecting"
            ),
            Err(SessionError::Permanent(reason)) => return Err(reason),
            Err(SessionError::Transient(reason)) => tracing::warn!(index = ctx.index, "{reason}"),
        }
        if started.elapsed() >= HEALTHY_AFTER {
            attempt = 0;
        }
        let delay = backoff(attempt);
        attempt = attempt.saturating_add(1);
        tracing::info!(
            index = ctx.index,
            delay_ms = delay.as_millis() as u64,
            "reconnecting after backoff"
        );
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.cancelled() => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_by_the_exponential_ceiling_and_the_cap() {
        for attempt in 0..40 {
            let ceiling = BACKOFF_BASE
                .saturating_mul(1u32 << attempt.min(16))
                .min(BACKOFF_CAP);
            for _ in 0..50 {
                assert!(backoff(attempt) <= ceiling);
            }
        }
        // Full jitter spreads delays: 200 draws at the cap are not all in one 100 ms bucket.
        let mut buckets = std::collections::HashSet::new();
        for _ in 0..200 {
            buckets.insert(backoff(10).as_millis() / 100);
        }
        assert!(buckets.len() > 50, "{}", buckets.len());
    }
}
