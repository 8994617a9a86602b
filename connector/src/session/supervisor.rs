//! Keeps one session slot alive: reconnect on loss with exponential backoff and full jitter
//! (up to 2 s at first, growing to 1 s × 2^`retries`), stop on a permanent refusal. `connector run` runs
//! one slot per `ha-connections`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use tokio_util::sync::CancellationToken;

use super::dial::{SessionError, Stopped};
use super::edges::EdgePool;
use super::slot::Slot;

const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// A session that stayed up this long resets the backoff.
const HEALTHY_AFTER: Duration = Duration::from_secs(30);

/// The longest wait before attempt `attempt`: 1 s × 2^min(attempt, retries).
fn ceiling(attempt: u32, retries: u32) -> Duration {
    BACKOFF_BASE.saturating_mul(1u32 << attempt.min(retries).min(16))
}

/// Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): a uniform delay in
/// `[0, base × 2^min(attempt, retries)]`, which spreads reconnecting connectors evenly.
pub fn backoff(attempt: u32, retries: u32) -> Duration {
    rand::thread_rng().gen_range(Duration::ZERO..=ceiling(attempt, retries))
}

/// How long the other sessions wait for the first one to register before starting anyway.
const STAGGER: Duration = Duration::from_secs(1);

/// Runs every slot (`ha-connections`) until shutdown: the first alone, the rest once it is
/// registered (or a moment later), so a connector that cannot get in fails once rather than N
/// times, and the later ones know every edge the first registration listed. A permanent refusal
/// in any slot stops them all and is returned.
pub async fn run_slots(
    edges: Arc<EdgePool>,
    slots: Vec<Arc<Slot>>,
    retries: u32,
    shutdown: CancellationToken,
) -> Result<(), Stopped> {
    let stop = shutdown.child_token();
    let mut running = tokio::task::JoinSet::new();
    let Some(first_slot) = slots.first() else {
        return Ok(());
    };
    // Subscribed before the first session starts, so its registration cannot be missed.
    let mut first = first_slot.registrations.subscribe();
    for (n, ctx) in slots.iter().enumerate() {
        if n == 1 {
            let _ = tokio::time::timeout(STAGGER, first.changed()).await;
        }
        if stop.is_cancelled() {
            break;
        }
        let slot = run(edges.clone(), ctx.clone(), retries, stop.clone());
        let stop_all = stop.clone();
        running.spawn(async move {
            let result = slot.await;
            if result.is_err() {
                stop_all.cancel();
            }
            result
        });
    }
    let mut stopped = None;
    while let Some(joined) = running.join_next().await {
        match joined {
            Ok(Err(reason)) => stopped = stopped.or(Some(reason)),
            Ok(Ok(())) => {}
            Err(e) => stopped = stopped.or(Some(Stopped::Failed(e.to_string()))),
        }
    }
    stopped.map_or(Ok(()), Err)
}

/// Runs one session slot until shutdown, or until the edge refuses us permanently. A lost
/// session, or a failed dial, is replaced on another edge when one is known; a session whose
/// edge asks it to move (the edge is draining) is replaced at once, and serves on until its
/// replacement is registered (make before break).
pub async fn run(
    edges: Arc<EdgePool>,
    ctx: Arc<Slot>,
    retries: u32,
    shutdown: CancellationToken,
) -> Result<(), Stopped> {
    // The first wait is already up to 2 s: when an edge restarts, all its sessions are lost at
    // once, and 100 tunnels reconnecting within 1 s put about 18 in the busiest 100 ms (the
    // restart test); within 2 s, about 10. Other sessions carry the traffic meanwhile.
    const FIRST: u32 = 1;
    let mut attempt = FIRST;
    let mut avoid: Option<String> = None;
    let handovers = tokio_util::task::TaskTracker::new();
    let result = loop {
        let claim = edges.choose(avoid.take().as_deref());
        let address = claim.target.address.clone();
        if let Ok(mut dialled) = ctx.dialled.lock() {
            dialled.clone_from(&address);
        }
        let (drain, replaced) = (shutdown.child_token(), CancellationToken::new());
        let started = Instant::now();
        let mut session = tokio::spawn({
            let (ctx, drain, replaced) = (ctx.clone(), drain.clone(), replaced.clone());
            async move { super::run::run(&claim.target, ctx, drain, replaced).await }
        });
        let outcome = tokio::select! {
            joined = &mut session => joined.unwrap_or_else(|e| Err(SessionError::Transient(e.to_string()))),
            _ = ctx.move_requested.notified() => {
                tracing::info!(index = ctx.index, edge = %address, "opening a replacement session on another edge before this one closes");
                let registered = ctx.registrations.subscribe();
                handovers.spawn(hand_over(session, registered, drain, replaced));
                avoid = Some(address);
                continue;
            }
        };
        if let Some(reason) = ctx.connector.revoked_reason() {
            break Err(Stopped::Refused(reason));
        }
        match outcome {
            Ok(()) if shutdown.is_cancelled() => break Ok(()),
            // Closing a drained session can end in an error from the WebSocket layer (a frame
            // after the close): nothing is reconnected at shutdown, so it is no warning.
            Err(SessionError::Transient(reason)) if shutdown.is_cancelled() => {
                tracing::info!(index = ctx.index, "session closed at shutdown ({reason})");
                break Ok(());
            }
            Ok(()) => tracing::warn!(
                index = ctx.index,
                "session closed by the edge; reconnecting"
            ),
            Err(SessionError::Permanent(reason)) => break Err(Stopped::Refused(reason)),
            Err(SessionError::Transient(reason)) => tracing::warn!(index = ctx.index, "{reason}"),
        }
        // Try another edge next, if there is one.
        edges.failed(&address);
        avoid = Some(address);
        if started.elapsed() >= HEALTHY_AFTER {
            attempt = FIRST;
        }
        let delay = backoff(attempt, retries);
        ctx.connector.metrics.reconnects.inc();
        attempt = attempt.saturating_add(1);
        tracing::info!(
            index = ctx.index,
            delay_ms = delay.as_millis() as u64,
            "reconnecting after backoff"
        );
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.cancelled() => break Ok(()),
        }
    };
    handovers.close();
    handovers.wait().await;
    result
}

/// Keeps a session that was asked to move serving until the slot's next registration (its
/// replacement), then drains it (GOAWAY, in-flight streams finish within `grace-period`). If it
/// ends first, the edge closed it.
async fn hand_over(
    mut old: tokio::task::JoinHandle<Result<(), SessionError>>,
    mut registered: tokio::sync::watch::Receiver<u64>,
    drain: CancellationToken,
    replaced: CancellationToken,
) {
    tokio::select! {
        changed = registered.changed() => {
            if changed.is_ok() {
                replaced.cancel();
                drain.cancel();
            }
            let _ = old.await;
        }
        _ = &mut old => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_by_the_exponential_ceiling_and_the_cap() {
        assert_eq!(ceiling(0, 5), Duration::from_secs(1));
        assert_eq!(ceiling(3, 5), Duration::from_secs(8));
        assert_eq!(ceiling(40, 5), Duration::from_secs(32));
        assert_eq!(ceiling(40, 0), Duration::from_secs(1));
        for attempt in 0..40 {
            for _ in 0..50 {
                assert!(backoff(attempt, 5) <= ceiling(attempt, 5));
            }
        }
        // Full jitter spreads delays: 200 draws at the cap are not all in one 100 ms bucket.
        let mut buckets = std::collections::HashSet::new();
        for _ in 0..200 {
            buckets.insert(backoff(10, 5).as_millis() / 100);
        }
        assert!(buckets.len() > 50, "{}", buckets.len());
    }
}
