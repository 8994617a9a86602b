//! The edge's phases, shared by every task: serving, draining (public listeners stop, sessions
//! move elsewhere, what is open runs on) and shut down (everything still open closes), with the
//! tasks the shutdown waits for.

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Clone, Default)]
pub struct Lifecycle {
    /// Cancelled when the edge's drain begins (`drain.rs`): public listeners stop accepting and
    /// new tunnel sessions are refused; what is open runs on.
    pub draining: CancellationToken,
    /// Cancelled when the drain is over (or cut short): everything still open closes.
    pub shutdown: CancellationToken,
    /// Session, link, access and WebSocket tasks, awaited during shutdown.
    pub tracker: TaskTracker,
}
