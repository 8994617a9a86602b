//! Open-stream accounting for one public connection, for `idle-timeout`: a connection is idle only
//! while no request or WebSocket on it is open, so a quiet server-sent-event stream or WebSocket
//! is never cut, while an HTTP/2 connection that carries nothing is closed (hyper's header read
//! timeout already bounds an idle HTTP/1.1 keep-alive connection).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

#[derive(Default)]
pub struct Activity {
    open: AtomicUsize,
    changed: Notify,
}

/// Counts one open stream until dropped.
pub struct Active(Arc<Activity>);

impl Drop for Active {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
        self.0.changed.notify_waiters();
    }
}

impl Activity {
    pub fn enter(self: &Arc<Self>) -> Active {
        self.open.fetch_add(1, Ordering::AcqRel);
        self.changed.notify_waiters();
        Active(self.clone())
    }

    /// Completes once no stream has been open for `idle` without interruption.
    pub async fn idle_for(&self, idle: Duration) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Register before reading the count, so a change in between is not missed.
            changed.as_mut().enable();
            if self.open.load(Ordering::Acquire) == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(idle) => return,
                    _ = changed => {}
                }
            } else {
                changed.await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn idle_only_counts_time_without_open_streams() {
        let activity = Arc::new(Activity::default());
        let active = activity.enter();
        let waiter = {
            let activity = activity.clone();
            tokio::spawn(async move { activity.idle_for(Duration::from_secs(10)).await })
        };
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(
            !waiter.is_finished(),
            "an open stream keeps the connection busy"
        );
        drop(active);
        tokio::time::sleep(Duration::from_secs(11)).await;
        tokio::task::yield_now().await;
        assert!(waiter.is_finished());
    }
}
