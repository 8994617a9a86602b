//! The loop that keeps every wanted name certified: on a route change, a certificate change, or
//! when the next order is due, it walks the names and orders those due. Each order is placed
//! by one edge of the cluster: whoever takes the name's lock in the store ([`HeldLock`]). Every
//! order's outcome is written to the name's record over the version read under the lock
//! ([`recorded`]), logged and counted; a failure backs off.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::client::Accounts;
use super::lock::HeldLock;
use super::order::{order, Issued, OrderContext};
use super::outcome::recorded;
use super::schedule::{due, retry_after, Due, Why};
use super::{names, AcmeError};
use crate::config::{AcmeConfig, ChallengeKind, LiveConfig};
use crate::metrics::{AcmeLabels, EdgeMetrics};
use crate::state::acme::AcmeTables;
use crate::state::route_table::RouteTable;
use crate::state::{now_secs, State};

/// The longest an order may take, validations and issuance included; a CA that accepts and
/// never answers would otherwise hold this edge's orders (and the name's lock) for good.
const ORDER_TIMEOUT: Duration = Duration::from_secs(600);
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
    accounts: Accounts,
    /// When this edge last attempted each name.
    recent: Mutex<HashMap<String, u64>>,
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
            accounts: Accounts::default(),
            recent: Mutex::default(),
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
            if let Some(at) = self.remembered(&name, &acme, now) {
                next = next.min(Duration::from_secs(at - now));
                continue;
            }
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
        kinds: &[ChallengeKind],
        edge: &str,
    ) {
        let lock = match HeldLock::take(&self.state, name, edge).await {
            Ok(Some(lock)) => lock,
            Ok(None) => return,
            Err(e) => {
                return tracing::warn!(name, error = %e, "cannot order an ACME certificate: the store is unavailable")
            }
        };
        self.attempted(name);
        match self.order_under(&lock, name, why, acme, kinds, edge).await {
            Ok(()) => {}
            Err(e) => tracing::warn!(name, error = %e, "cannot order an ACME certificate"),
        }
        lock.release().await;
    }

    async fn order_under(
        &self,
        lock: &HeldLock,
        name: &str,
        why: Why,
        acme: &AcmeConfig,
        kinds: &[ChallengeKind],
        edge: &str,
    ) -> Result<(), AcmeError> {
        // Another edge may have finished an order since this edge's table was read.
        let read = self.state.cert_record(name).await?;
        let (previous, revision) = read.map_or((None, None), |(r, v)| (Some(r), Some(v)));
        if due(previous.as_ref(), acme, now_secs()) != Due::Now(why) {
            return Ok(());
        }
        let placed = tokio::time::timeout(ORDER_TIMEOUT, self.place(name, why, acme, kinds, lock));
        let outcome = tokio::select! {
            placed = placed => placed.unwrap_or_else(|_| Err(AcmeError::Unfinished(format!(
                "the CA did not finish the order within {ORDER_TIMEOUT:?}"
            )))),
            // Another edge may hold the lock now: this one writes nothing.
            _ = lock.lost() => return Err(AcmeError::Setup("the order lock expired before the order ended".into())),
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis().div_ceil(1000) as u64);
        let (record, label) = recorded(previous, name, why, acme, edge, now, outcome);
        self.metrics
            .acme_orders
            .get_or_create(&AcmeLabels {
                result: label,
                kind: why.as_str(),
            })
            .inc();
        self.state.put_cert_record(&record, revision).await?;
        Ok(())
    }

    async fn place(
        &self,
        name: &str,
        why: Why,
        acme: &AcmeConfig,
        kinds: &[ChallengeKind],
        lock: &HeldLock,
    ) -> Result<Issued, AcmeError> {
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
        let account = self.accounts.get(&self.state, acme).await?;
        let ctx = OrderContext {
            state: &self.state,
            tables: &self.tables,
            lease: lock.lease(),
            kinds,
        };
        let result = order(&account, name, &ctx).await;
        if let Err(e) = &result {
            self.accounts.forget_if_unknown(&self.state, acme, e).await;
        }
        result
    }

    /// Notes an attempt at `name` in memory: if its outcome cannot be stored, the name still
    /// waits, as after a passing failure (a minute, or `order-interval` if shorter).
    fn attempted(&self, name: &str) {
        if let Ok(mut recent) = self.recent.lock() {
            recent.insert(name.to_string(), now_secs());
        }
    }

    /// When `name` may be attempted again by what this edge remembers, if later than `now`.
    fn remembered(&self, name: &str, acme: &AcmeConfig, now: u64) -> Option<u64> {
        let recent = self.recent.lock().ok()?;
        let next = recent
            .get(name)?
            .saturating_add(retry_after(0, 1, false, acme).as_secs());
        (next > now).then_some(next)
    }
}
