//! The loop that keeps every wanted name certified: on a route change, a certificate change, or
//! when the next order is due, it walks the names and orders those due. Each order is placed
//! by one edge of the cluster: whoever takes the name's lock in the store (compare-and-set,
//! bound to the order's lease, so an edge dying mid-order frees it). Every order's outcome is
//! written to the name's record, logged and counted; a failure backs off.

use std::sync::Arc;
use std::time::Duration;

use instant_acme::Account;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::order::{order, OrderContext};
use super::schedule::{backoff, due, Due, Why};
use super::{client, issued, names, AcmeError};
use crate::config::{AcmeConfig, LiveConfig};
use crate::metrics::{AcmeLabels, EdgeMetrics};
use crate::state::acme::AcmeTables;
use crate::state::acme_records::{CertRecord, Secret};
use crate::state::route_table::RouteTable;
use crate::state::{now_secs, State};

/// The order lock's lease: renewed every third of it while the order runs.
const LOCK_TTL: Duration = Duration::from_secs(30);
/// The longest the loop sleeps without looking again (a lock another edge held may be free).
const RESCAN: Duration = Duration::from_secs(60);

/// Whether a configured certificate already covers a name (it then needs no order).
pub type Covered = Arc<dyn Fn(&str) -> bool + Send + Sync>;

pub struct Manager {
    pub state: State,
    pub tables: AcmeTables,
    pub routes: RouteTable,
    pub config: LiveConfig,
    pub metrics: Arc<EdgeMetrics>,
    pub covered: Covered,
    /// The account, kept once made, for the directory and roots it was made with.
    account: Mutex<Option<(String, Account)>>,
}

impl Manager {
    pub fn new(
        state: State,
        tables: AcmeTables,
        routes: RouteTable,
        config: LiveConfig,
        metrics: Arc<EdgeMetrics>,
        covered: Covered,
    ) -> Manager {
        Manager {
            state,
            tables,
            routes,
            config,
            metrics,
            covered,
            account: Mutex::new(None),
        }
    }

    /// Runs until `shutdown`; idle while `tls.acme` is off (a reload may turn it on).
    pub async fn run(self, shutdown: CancellationToken) {
        let mut routes = self.routes.changed();
        let mut certs = self.tables.certs.changed();
        loop {
            let wait = tokio::select! {
                wait = self.pass() => wait,
                _ = shutdown.cancelled() => return,
            };
            tokio::select! {
                _ = routes.changed() => {}
                _ = certs.changed() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }

    /// Orders every name due now; returns how long until the next one is.
    async fn pass(&self) -> Duration {
        let edge = self.config.snapshot();
        let Some(acme) = edge.acme.clone() else {
            return RESCAN;
        };
        let routed = self.routes.all().into_iter().map(|r| r.hostname).collect();
        let mut next = RESCAN;
        for name in names::wanted(&edge, &acme, routed) {
            if (self.covered)(&name) {
                continue;
            }
            let now = now_secs();
            match due(self.tables.certs.get(&name).as_ref(), &acme, now) {
                Due::At(at) => next = next.min(Duration::from_secs(at - now)),
                Due::Now(why) => {
                    let kinds = names::challenges_for(&name, &acme, edge.dns.as_ref());
                    self.attempt(&name, why, &acme, &kinds, &edge.edge_id).await;
                }
            }
        }
        next
    }

    /// Takes the name's lock and, if the order is still due, places it and records the outcome.
    async fn attempt(
        &self,
        name: &str,
        why: Why,
        acme: &AcmeConfig,
        kinds: &[crate::config::ChallengeKind],
        edge: &str,
    ) {
        let store = &self.state.store;
        let lease = match store.grant_lease(LOCK_TTL).await {
            Ok(lease) => lease,
            Err(e) => {
                return tracing::warn!(name, error = %e, "cannot order an ACME certificate: the store is unavailable")
            }
        };
        let ordering = async {
            match self.state.lock_order(name, edge, lease).await? {
                Ok(()) => {}
                Err(holder) => {
                    let holder = holder.map(|h| h.edge).unwrap_or_default();
                    tracing::debug!(name, holder, "another edge is ordering this certificate");
                    return Ok(None);
                }
            }
            // Another edge may have finished an order since this edge's table was read.
            let record = self.state.cert_record(name).await?;
            if due(record.as_ref(), acme, now_secs()) != Due::Now(why) {
                return Ok(None);
            }
            let keeping = tokio::spawn(keep_lease(self.state.clone(), lease));
            let outcome = self.place(name, why, acme, kinds, lease).await;
            keeping.abort();
            Ok::<_, AcmeError>(Some((record, outcome)))
        };
        match ordering.await {
            Ok(Some((record, outcome))) => {
                self.record(name, why, acme, edge, record, outcome).await
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(name, error = %e, "cannot order an ACME certificate"),
        }
        // Deletes the lock and any challenge left behind.
        if let Err(e) = store.revoke(lease).await {
            tracing::warn!(name, error = %e, "cannot release the ACME order lock; it expires with its lease");
        }
    }

    async fn place(
        &self,
        name: &str,
        why: Why,
        acme: &AcmeConfig,
        kinds: &[crate::config::ChallengeKind],
        lease: crate::state::store::LeaseId,
    ) -> Result<super::order::Issued, AcmeError> {
        if kinds.is_empty() {
            return Err(AcmeError::Setup(match name.starts_with("*.") {
                true => format!("{name}: a wildcard certificate needs dns-01, and its zone served by this edge's DNS (`dns:` zones)"),
                false => format!("{name}: none of tls.acme.challenge can be answered for this name"),
            }));
        }
        tracing::info!(
            name,
            kind = why.as_str(),
            challenge = kinds[0].as_str(),
            "ordering an ACME certificate"
        );
        let account = self.account(acme).await?;
        let ctx = OrderContext {
            state: &self.state,
            tables: &self.tables,
            lease,
            kinds,
        };
        let result = order(&account, name, &ctx).await;
        if let Err(e) = &result {
            self.forget_unknown_account(acme, e).await;
        }
        result
    }

    /// The cluster's account at the configured directory, made or read once.
    async fn account(&self, acme: &AcmeConfig) -> Result<Account, AcmeError> {
        let key = format!("{} {:?}", acme.directory, acme.ca_roots);
        let mut cached = self.account.lock().await;
        if let Some((made_for, account)) = cached.as_ref() {
            if *made_for == key {
                return Ok(account.clone());
            }
        }
        let account = client::account(&self.state, acme).await?;
        *cached = Some((key, account.clone()));
        Ok(account)
    }

    /// A CA that no longer knows the account (its data was reset, as staging's sometimes is):
    /// the stored one is dropped, and the next order registers anew.
    async fn forget_unknown_account(&self, acme: &AcmeConfig, error: &AcmeError) {
        let AcmeError::Acme(instant_acme::Error::Api(problem)) = error else {
            return;
        };
        if problem.r#type.as_deref() != Some("urn:ietf:params:acme:error:accountDoesNotExist") {
            return;
        }
        tracing::warn!(directory = %acme.directory, "the CA no longer knows the ACME account; registering a new one at the next order");
        *self.account.lock().await = None;
        if let Err(e) = self.state.forget_acme_account(&acme.directory).await {
            tracing::warn!(error = %e, "cannot drop the stored ACME account");
        }
    }

    /// Writes the order's outcome to the name's record (what every edge serves and `edge cert
    /// list` shows), logs and counts it.
    async fn record(
        &self,
        name: &str,
        why: Why,
        acme: &AcmeConfig,
        edge: &str,
        previous: Option<CertRecord>,
        outcome: Result<super::order::Issued, AcmeError>,
    ) {
        // Rounded up: `due` compares whole seconds rounded down, so an interval or a backoff
        // never comes round sooner than it says.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis().div_ceil(1000) as u64);
        let mut record = previous.unwrap_or_else(|| CertRecord {
            name: name.to_string(),
            ..CertRecord::default()
        });
        if record.order_directory != acme.directory {
            record.failures = 0;
        }
        record.last_order_at = now;
        record.order_directory = acme.directory.clone();
        record.ordered_by = edge.to_string();
        let result = outcome.and_then(|issued| Ok((issued::facts(&issued.chain_pem)?, issued)));
        let label = match result {
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
                record.last_error = None;
                record.next_attempt_at = 0;
                tracing::info!(name, kind = why.as_str(), serial = %record.serial, issuer = %record.issuer,
                    not_after = record.not_after, challenge = %record.challenge, "ACME certificate issued");
                "issued"
            }
            Err(e) => {
                record.failures += 1;
                let wait = backoff(record.failures, acme);
                record.next_attempt_at = now + wait.as_secs();
                record.last_error = Some(e.to_string());
                tracing::warn!(name, kind = why.as_str(), error = %e, failures = record.failures,
                    retry_in = ?wait, "ACME order failed; the certificate in force stays");
                "failed"
            }
        };
        self.metrics
            .acme_orders
            .get_or_create(&AcmeLabels {
                result: label,
                kind: why.as_str(),
            })
            .inc();
        if let Err(e) = self.state.put_cert_record(&record).await {
            tracing::error!(name, error = %e, "cannot store the ACME order's outcome");
        }
    }
}

/// Keeps the order's lease alive until aborted.
async fn keep_lease(state: State, lease: crate::state::store::LeaseId) {
    loop {
        tokio::time::sleep(LOCK_TTL / 3).await;
        if let Err(e) = state.store.keep_alive(lease).await {
            tracing::warn!(error = %e, "cannot renew the ACME order lock");
        }
    }
}
