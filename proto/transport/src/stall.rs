//! How long a stream's data has been waiting on its reader. The code that moves a stream's
//! bytes toward a client (an HTTP body, [`crate::splice`], [`crate::splice::relay`]) marks when
//! the client stopped taking them; the edge's sweep (`edge/src/protect/stalls.rs`) reads the
//! mark and resets what waited too long, the same way for every kind of stream. At the
//! connector the same clock runs while an origin's answer waits for the edge's credit
//! ([`crate::h2body::poll_send`]), for its relief of the machine's TCP memory
//! (`connector/src/serve/stalls.rs`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::{Duration, Instant};

static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Milliseconds since a day before [`EPOCH`]: never 0 (0 is "not waiting"), and a wait that
/// began before the epoch can still be told ([`StallClock::waiting_since`]).
fn now_ms() -> u64 {
    EPOCH.elapsed().as_millis() as u64 + 86_400_000
}

/// Since when a stream's data has waited on its reader; shared by the stream and the sweep.
#[derive(Debug, Default)]
pub struct StallClock {
    /// Milliseconds since [`EPOCH`] when data began waiting, while it still waits; 0 otherwise.
    since: AtomicU64,
}

impl StallClock {
    /// Data is waiting and the reader took none of it: the clock runs from the first such moment.
    pub fn waiting(&self) {
        let _ = self
            .since
            .compare_exchange(0, now_ms(), Ordering::AcqRel, Ordering::Relaxed);
    }

    /// Data is waiting from now on (a frame the reader has not asked for since it took it).
    pub fn waiting_from_now(&self) {
        self.since.store(now_ms(), Ordering::Release);
    }

    /// Data has waited for `ago` already: how a sweep's tests age a stream without sleeping.
    pub fn waiting_since(&self, ago: Duration) {
        let ago = ago.as_millis() as u64;
        self.since
            .store(now_ms().saturating_sub(ago).max(1), Ordering::Release);
    }

    /// The reader took data, or nothing waits for it.
    pub fn moving(&self) {
        if self.since.load(Ordering::Relaxed) != 0 {
            self.since.store(0, Ordering::Release);
        }
    }

    /// How long data has waited, or `None` when nothing waits.
    pub fn waited(&self) -> Option<Duration> {
        match self.since.load(Ordering::Acquire) {
            0 => None,
            since => Some(Duration::from_millis(now_ms().saturating_sub(since))),
        }
    }

    /// When the wait began (ordering stalled streams: the longest first).
    pub fn since(&self) -> u64 {
        self.since.load(Ordering::Acquire)
    }
}

/// How long a session's own connection has made its writes wait (its socket's send buffer
/// full): shared by the session's I/O ([`crate::session_io::SessionIo`]), which marks it, and
/// the streams on the session. A stream waiting for its peer's credit while its session cannot
/// send is held up by the session (a machine short of TCP memory, a slow path), not by its
/// reader: [`Excused`] takes that time out of the stream's wait.
#[derive(Clone, Debug, Default)]
pub struct Backpressure(Arc<Pressed>);

#[derive(Debug, Default)]
struct Pressed {
    /// When the write now waiting began to wait; 0 while none waits.
    since: AtomicU64,
    /// Milliseconds the writes that waited and then went had waited, in all.
    waited: AtomicU64,
}

impl Backpressure {
    /// A write is waiting on the connection.
    pub fn waiting(&self) {
        if self.0.since.load(Ordering::Relaxed) == 0 {
            self.0.since.store(now_ms(), Ordering::Release);
        }
    }

    /// The connection took a write.
    pub fn flowing(&self) {
        // Only this session's I/O marks it, so nothing races here but readers: add the wait
        // before clearing it, so that a reader may count it twice for a moment (excusing more)
        // but never drop it.
        let since = self.0.since.load(Ordering::Acquire);
        if since != 0 {
            let waited = now_ms().saturating_sub(since);
            self.0.waited.fetch_add(waited, Ordering::AcqRel);
            self.0.since.store(0, Ordering::Release);
        }
    }

    /// A wait of `waited` that has ended: how a sweep's tests age a session without sleeping.
    pub fn waited_for(&self, waited: Duration) {
        (self.0.waited).fetch_add(waited.as_millis() as u64, Ordering::AcqRel);
    }

    /// How long writes have waited on the connection in all, the wait going on included.
    pub fn blocked(&self) -> Duration {
        let since = self.0.since.load(Ordering::Acquire);
        let now = if since == 0 {
            0
        } else {
            now_ms().saturating_sub(since)
        };
        Duration::from_millis(self.0.waited.load(Ordering::Acquire) + now)
    }
}

/// A watched stream's wait less what its session spent unable to send meanwhile: the time its
/// reader is to blame for. On a session that is slowed, not stopped (writes waiting half the
/// time under a bulk load), a stalled stream's blame still grows, at half speed.
#[derive(Debug, Default)]
pub struct Excused(Mutex<(u64, Duration)>);

impl Excused {
    /// The blame for the wait `clock` shows, or `None` while nothing waits. Called by each
    /// sweep: the first call of a wait notes where the session's blocked time stood (a
    /// quarter-second late at most).
    pub fn blame(&self, clock: &StallClock, session: &Backpressure) -> Option<Duration> {
        let since = clock.since();
        let waited = clock.waited()?;
        let blocked = session.blocked();
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if seen.0 != since {
            *seen = (since, blocked);
        }
        Some(waited.saturating_sub(blocked.saturating_sub(seen.1)))
    }
}

/// The streams a sweep watches, held weakly: a stream that ends leaves the list by itself.
pub struct Watchlist<T>(Mutex<Vec<Weak<T>>>);

impl<T> Default for Watchlist<T> {
    fn default() -> Self {
        Watchlist(Mutex::default())
    }
}

impl<T> Watchlist<T> {
    pub fn add(&self, watch: &Arc<T>) {
        if let Ok(mut watched) = self.0.lock() {
            watched.push(Arc::downgrade(watch));
        }
    }

    /// The streams still live; the ended ones are dropped from the list.
    pub fn live(&self) -> Vec<Arc<T>> {
        match self.0.lock() {
            Ok(mut watched) => {
                watched.retain(|w| w.strong_count() > 0);
                watched.iter().filter_map(Weak::upgrade).collect()
            }
            Err(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_runs_from_the_first_wait_until_data_moves() {
        let clock = StallClock::default();
        assert_eq!(clock.waited(), None);
        clock.waiting();
        let first = clock.since();
        std::thread::sleep(Duration::from_millis(5));
        clock.waiting();
        assert_eq!(clock.since(), first, "a second wait does not restart it");
        assert!(clock.waited().unwrap() >= Duration::from_millis(5));
        clock.moving();
        assert_eq!(clock.waited(), None);
        clock.waiting_from_now();
        assert!(clock.since() > first);
    }

    #[test]
    fn a_wait_is_blamed_for_what_passed_while_the_session_could_send() {
        let (clock, session, excused) = (
            StallClock::default(),
            Backpressure::default(),
            Excused::default(),
        );
        assert_eq!(excused.blame(&clock, &session), None, "nothing waits");
        clock.waiting_since(Duration::from_secs(9));
        session.waited_for(Duration::from_secs(100));
        let first = excused.blame(&clock, &session).unwrap();
        assert!(
            first >= Duration::from_secs(9),
            "what came before is not counted: {first:?}"
        );
        session.waited_for(Duration::from_secs(4));
        let later = excused.blame(&clock, &session).unwrap();
        assert!(
            later < Duration::from_secs(6),
            "4 s of it excused: {later:?}"
        );
        session.waiting();
        assert!(
            session.blocked() >= Duration::from_secs(104),
            "a wait just begun"
        );
        std::thread::sleep(Duration::from_millis(5));
        assert!(
            session.blocked() > Duration::from_secs(104),
            "the wait going on counts"
        );
        session.flowing();
        let total = session.blocked();
        assert!(total >= Duration::from_millis(104_005), "{total:?}");
        // A new wait starts from the session's time then.
        clock.waiting_from_now();
        let fresh = excused.blame(&clock, &session).unwrap();
        assert!(fresh < Duration::from_secs(1), "{fresh:?}");
    }

    #[test]
    fn a_watchlist_holds_only_the_live() {
        let list = Watchlist::default();
        let kept = Arc::new(1);
        list.add(&kept);
        list.add(&Arc::new(2));
        assert_eq!(list.live(), [kept]);
    }
}
