//! What an order leaves in the name's record: the new certificate and its facts, or the error,
//! the failures in a row and when to try again. Logged here too, one line per order.

use super::order::Issued;
use super::schedule::{retry_after, Why};
use super::{issued, AcmeError};
use crate::config::AcmeConfig;
use crate::state::acme_records::{CertRecord, Secret};

/// The record after an order that ended at `now` (unix seconds, rounded up: `due` compares
/// whole seconds rounded down, so an interval or a backoff never comes round sooner than it
/// says), and `issued` or `failed` for the metric.
pub fn recorded(
    previous: Option<CertRecord>,
    name: &str,
    why: Why,
    acme: &AcmeConfig,
    edge: &str,
    now: u64,
    outcome: Result<Issued, AcmeError>,
) -> (CertRecord, &'static str) {
    let mut record = previous.unwrap_or_else(|| CertRecord {
        name: name.to_string(),
        ..CertRecord::default()
    });
    if record.order_directory != acme.directory {
        record.failures = 0;
        record.verdicts = 0;
    }
    record.last_order_at = now;
    record.order_directory = acme.directory.clone();
    record.ordered_by = edge.to_string();
    match outcome.and_then(|issued| Ok((issued::facts(&issued.chain_pem)?, issued))) {
        Ok((facts, issued)) => {
            record.chain_pem = issued.chain_pem;
            record.key_pem = Secret(issued.key_pem);
            record.directory = acme.directory.clone();
            record.challenge = issued.challenge.as_str().to_string();
            record.not_before = facts.not_before;
            record.not_after = facts.not_after;
            record.serial = facts.serial;
            record.issuer = facts.issuer;
            record.failures = 0;
            record.verdicts = 0;
            record.last_error = None;
            record.next_attempt_at = 0;
            tracing::info!(name, kind = why.as_str(), serial = %record.serial, issuer = %record.issuer,
                not_after = record.not_after, challenge = %record.challenge, "ACME certificate issued");
            (record, "issued")
        }
        Err(e) => {
            record.failures = record.failures.saturating_add(1);
            let verdict = e.is_verdict();
            if verdict {
                record.verdicts = record.verdicts.saturating_add(1);
            }
            let passing = record.failures.saturating_sub(record.verdicts);
            let wait = retry_after(record.verdicts, passing, verdict, acme);
            record.next_attempt_at = now.saturating_add(wait.as_secs());
            record.last_error = Some(e.to_string());
            let retry_in = format!("{}s", wait.as_secs());
            tracing::warn!(name, kind = why.as_str(), error = %e, failures = record.failures,
                retry_in = %retry_in, "ACME order failed; the certificate in force stays");
            (record, "failed")
        }
    }
}
