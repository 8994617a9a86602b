//! When a name is ordered: at once when it has no certificate, when a third of its certificate's
//! life is left (or `renew-before`), never more than once per `order-interval`, and after a
//! failure only once the backoff has passed. Pure functions of a record and the clock.

use std::time::Duration;

use crate::config::AcmeConfig;
use crate::state::acme_records::CertRecord;

/// The longest wait between two attempts after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);

/// Why a name is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// It has no certificate yet (or one from another CA).
    New,
    /// Its certificate is due for renewal.
    Renewal,
}

impl Why {
    pub fn as_str(self) -> &'static str {
        match self {
            Why::New => "new",
            Why::Renewal => "renewal",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Now(Why),
    /// Not before this unix second.
    At(u64),
}

/// When `record`'s certificate is renewed: when `renew-before` is left, else a third of its
/// life. Never earlier than a third into its life, so a `renew-before` longer than what the
/// CA issues renews once per third of a lifetime, not in a loop.
pub fn renew_at(record: &CertRecord, config: &AcmeConfig) -> u64 {
    let lifetime = record.not_after.saturating_sub(record.not_before);
    let left = config
        .renew_before
        .map_or(lifetime / 3, |d| d.as_secs())
        .min(lifetime - lifetime / 3);
    record.not_after.saturating_sub(left)
}

/// Whether and when `name`'s next order is due.
pub fn due(record: Option<&CertRecord>, config: &AcmeConfig, now: u64) -> Due {
    let Some(record) = record else {
        return Due::Now(Why::New);
    };
    let why = if !record.has_certificate() || record.directory != config.directory {
        Why::New
    } else {
        Why::Renewal
    };
    let mut at = match why {
        Why::New => 0,
        Why::Renewal => renew_at(record, config),
    };
    // One order per name per interval at a CA; after a failure its own backoff instead (never
    // shorter than the interval after the CA's verdict, within minutes after a passing
    // failure); a new CA (staging to production) starts afresh.
    if record.order_directory == config.directory {
        at = at.max(match record.failures {
            0 => record
                .last_order_at
                .saturating_add(config.order_interval.as_secs()),
            _ => record.next_attempt_at,
        });
    }
    if now >= at {
        Due::Now(why)
    } else {
        Due::At(at)
    }
}

/// How long to wait after the `failures`th failure in a row: the order interval, doubled for
/// each failure after the first, at most a day.
pub fn backoff(failures: u32, config: &AcmeConfig) -> Duration {
    let base = config.order_interval.max(Duration::from_secs(1));
    let doubled = base.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    doubled.min(MAX_BACKOFF.max(base))
}

/// The first wait after a failure that is not the CA's verdict (the CA down for a moment, its
/// certificate not yet trusted): a minute, as certmagic retries, doubling with each failure.
const FIRST_RETRY: Duration = Duration::from_secs(60);

/// How long to wait after a failure, given the CA's `verdicts` and the `passing` failures in a
/// row so far (this one counted in its kind): a verdict waits [`backoff`] of the verdicts alone,
/// so a CA that was down for a while does not lengthen it; a passing failure waits a minute,
/// doubling with each, never longer than a verdict would.
pub fn retry_after(verdicts: u32, passing: u32, verdict: bool, config: &AcmeConfig) -> Duration {
    let long = backoff(verdicts.max(1), config);
    if verdict {
        return long;
    }
    let short = FIRST_RETRY.saturating_mul(1u32 << passing.saturating_sub(1).min(16));
    short.min(long)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(renew_before: Option<u64>, interval: u64) -> AcmeConfig {
        AcmeConfig {
            directory: "https://ca.test/dir".into(),
            email: None,
            ca_roots: vec![],
            challenges: vec![crate::config::ChallengeKind::Http01],
            challenge_order_set: false,
            renew_before: renew_before.map(Duration::from_secs),
            eab: None,
            domains: None,
            names: vec![],
            order_interval: Duration::from_secs(interval),
        }
    }

    fn issued(not_before: u64, not_after: u64, ordered: u64) -> CertRecord {
        CertRecord {
            name: "app.example.test".into(),
            chain_pem: "PEM".into(),
            directory: "https://ca.test/dir".into(),
            not_before,
            not_after,
            last_order_at: ordered,
            order_directory: "https://ca.test/dir".into(),
            ..CertRecord::default()
        }
    }

    #[test]
    fn renewal_comes_when_a_third_of_the_life_is_left() {
        let c = config(None, 3600);
        // 90 days: renewed at day 60.
        let r = issued(0, 90 * 86400, 0);
        assert_eq!(due(Some(&r), &c, 59 * 86400), Due::At(60 * 86400));
        assert_eq!(due(Some(&r), &c, 60 * 86400), Due::Now(Why::Renewal));
        assert_eq!(due(None, &c, 5), Due::Now(Why::New));
    }

    #[test]
    fn a_renew_before_longer_than_the_life_renews_once_per_third_not_in_a_loop() {
        let c = config(Some(10 * 365 * 86400), 1);
        let first = issued(1000, 1000 + 300, 1000);
        assert_eq!(due(Some(&first), &c, 1100), Due::Now(Why::Renewal));
        // The renewal, just issued, is not due again until a third of its life has passed.
        let renewed = issued(1101, 1101 + 300, 1101);
        assert_eq!(due(Some(&renewed), &c, 1102), Due::At(1201));
    }

    #[test]
    fn one_order_per_interval_and_failures_back_off() {
        let c = config(None, 3600);
        let mut failed = CertRecord {
            name: "app.example.test".into(),
            last_order_at: 100,
            order_directory: "https://ca.test/dir".into(),
            failures: 1,
            next_attempt_at: 100 + backoff(1, &c).as_secs(),
            ..CertRecord::default()
        };
        assert_eq!(due(Some(&failed), &c, 200), Due::At(3700));
        failed.failures = 3;
        failed.next_attempt_at = 100 + backoff(3, &c).as_secs();
        assert_eq!(due(Some(&failed), &c, 200), Due::At(100 + 4 * 3600));
        assert_eq!(backoff(30, &c), MAX_BACKOFF);
        // A change of CA (staging to production) orders anew at once...
        let mut other = issued(0, 90 * 86400, 50);
        other.directory = "https://staging.test/dir".into();
        other.order_directory = "https://staging.test/dir".into();
        assert_eq!(due(Some(&other), &c, 60), Due::Now(Why::New));
        // ... and a failure there backs off like any other.
        other.order_directory = c.directory.clone();
        other.failures = 1;
        other.next_attempt_at = 60 + 3600;
        assert_eq!(due(Some(&other), &c, 70), Due::At(3660));
    }

    #[test]
    fn a_passing_failure_is_retried_within_minutes_doubling() {
        let c = config(None, 3600);
        let waits: Vec<u64> = (1..=8)
            .map(|n| retry_after(0, n, false, &c).as_secs())
            .collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
        // A verdict after the CA was down a while waits the interval, not 2^failures of it.
        assert_eq!(retry_after(1, 4, true, &c), Duration::from_secs(3600));
        assert_eq!(retry_after(3, 4, true, &c), Duration::from_secs(4 * 3600));
        // After verdicts, a passing failure may wait longer, never more than the verdicts'.
        assert_eq!(retry_after(3, 8, false, &c), Duration::from_secs(7680));
        // The next attempt is the backoff's, not the hour's interval.
        let failed = CertRecord {
            name: "app.example.test".into(),
            last_order_at: 100,
            order_directory: "https://ca.test/dir".into(),
            failures: 1,
            next_attempt_at: 160,
            ..CertRecord::default()
        };
        assert_eq!(due(Some(&failed), &c, 120), Due::At(160));
        assert_eq!(due(Some(&failed), &c, 160), Due::Now(Why::New));
        // Never longer than the verdict's wait: with a 1 s interval, 1 s.
        let c = config(None, 1);
        assert_eq!(retry_after(0, 3, false, &c), Duration::from_secs(1));
    }
}
