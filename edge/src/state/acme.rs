//! The ACME records' operations ([`super::acme_records`]): the account created once per CA, a
//! name's certificate record, the order lock taken by compare-and-set, and the challenges in
//! flight; and [`AcmeTables`], the certificates and challenges followed in memory, which the
//! handshakes, the HTTP-01 responder and the DNS read instead of the store.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::acme_records::*;
use super::records::{decode, encode, StateError};
use super::store::{Expect, LeaseId, Revision, Store};
use super::table::Table;
use super::State;

impl State {
    /// The account at `directory`, if one was made.
    pub async fn acme_account(&self, directory: &str) -> Result<Option<AccountRecord>, StateError> {
        match self.store.get(&account_key(directory)).await? {
            Some(kv) => Ok(Some(decode(&kv)?)),
            None => Ok(None),
        }
    }

    /// Keeps `record` as the account at its directory, unless another edge saved one first:
    /// then that one is returned, and every edge goes on with the same account.
    pub async fn save_acme_account(
        &self,
        record: AccountRecord,
    ) -> Result<AccountRecord, StateError> {
        let key = account_key(&record.directory);
        match self
            .store
            .put_if(&key, encode(&record), None, Expect::Absent)
            .await?
        {
            Ok(_) => Ok(record),
            Err(Some(winner)) => decode(&winner),
            Err(None) => Err(super::records::concurrent()),
        }
    }

    /// Drops the stored account at `directory` if it still holds `credentials` (the CA no
    /// longer knows it).
    pub async fn forget_acme_account(
        &self,
        directory: &str,
        credentials: &str,
    ) -> Result<(), StateError> {
        let key = account_key(directory);
        if let Some(kv) = self.store.get(&key).await? {
            let stored: AccountRecord = decode(&kv)?;
            if stored.credentials.0 == credentials {
                self.store.delete_if(&key, kv.mod_revision).await?;
            }
        }
        Ok(())
    }

    /// A name's record, and the revision to write its next version against.
    pub async fn cert_record(
        &self,
        name: &str,
    ) -> Result<Option<(CertRecord, Revision)>, StateError> {
        match self.store.get(&format!("{ACME_CERTS}{name}")).await? {
            Some(kv) => Ok(Some((decode(&kv)?, kv.mod_revision))),
            None => Ok(None),
        }
    }

    /// Every name's record, in name order (`edge cert list`).
    pub async fn cert_records(&self) -> Result<Vec<CertRecord>, StateError> {
        let (kvs, _) = self.store.range(ACME_CERTS).await?;
        kvs.iter().map(decode).collect()
    }

    /// Written by the holder of the name's order lock, over the version it read (`None`: there
    /// was none): a write that finds another version (the lock was lost meanwhile) is refused.
    pub async fn put_cert_record(
        &self,
        record: &CertRecord,
        read: Option<Revision>,
    ) -> Result<(), StateError> {
        let key = format!("{ACME_CERTS}{}", record.name);
        let expect = read.map_or(Expect::Absent, Expect::ModRevision);
        match self
            .store
            .put_if(&key, encode(record), None, expect)
            .await?
        {
            Ok(_) => Ok(()),
            Err(_) => Err(super::records::concurrent()),
        }
    }

    /// Takes the order lock of `name` for `edge`, bound to `lease` (it goes with the lease when
    /// the edge dies); `Ok(Err(holder))` when another edge holds it.
    pub async fn lock_order(
        &self,
        name: &str,
        edge: &str,
        lease: LeaseId,
    ) -> Result<Result<(), Option<OrderLock>>, StateError> {
        let lock = OrderLock {
            edge: edge.to_string(),
            since: super::now_secs(),
        };
        let key = format!("{ACME_LOCKS}{name}");
        match self
            .store
            .put_if(&key, encode(&lock), Some(lease), Expect::Absent)
            .await?
        {
            Ok(_) => Ok(Ok(())),
            Err(holder) => Ok(Err(holder.and_then(|kv| decode(&kv).ok()))),
        }
    }

    /// Publishes a challenge for every edge, bound to the order's `lease`.
    pub async fn publish_challenge(
        &self,
        challenge: &Challenge,
        lease: LeaseId,
    ) -> Result<(), StateError> {
        let key = format!("{ACME_CHALLENGES}{}", challenge.key());
        self.store.put(&key, encode(challenge), Some(lease)).await?;
        Ok(())
    }

    pub async fn withdraw_challenge(&self, challenge: &Challenge) -> Result<(), StateError> {
        let key = format!("{ACME_CHALLENGES}{}", challenge.key());
        self.store.delete(&key).await?;
        Ok(())
    }
}

fn account_key(directory: &str) -> String {
    format!("{ACME_ACCOUNTS}{}", super::records::sha256_hex(directory))
}

/// The certificates and challenges in the store, followed in memory.
#[derive(Clone)]
pub struct AcmeTables {
    pub certs: Table<CertRecord>,
    pub challenges: Table<Challenge>,
}

impl Default for AcmeTables {
    fn default() -> Self {
        AcmeTables {
            certs: Table::new(ACME_CERTS),
            challenges: Table::new(ACME_CHALLENGES),
        }
    }
}

impl AcmeTables {
    /// Starts following the store until `shutdown`, and waits for the first full read.
    pub async fn follow(store: Arc<dyn Store>, shutdown: CancellationToken) -> AcmeTables {
        let tables = AcmeTables::default();
        tokio::spawn(tables.certs.clone().follow(store.clone(), shutdown.clone()));
        tokio::spawn(tables.challenges.clone().follow(store, shutdown));
        tables.certs.loaded().await;
        tables.challenges.loaded().await;
        tables
    }

    /// The key authorization for an HTTP-01 token in flight for `host`.
    pub fn http01(&self, host: &str, token: &str) -> Option<String> {
        match self.challenges.get(&format!("http-01/{token}"))? {
            Challenge::Http01 {
                name,
                key_authorization,
                ..
            } if name == host => Some(key_authorization),
            _ => None,
        }
    }

    /// The `acme-tls/1` certificate and key (PEM) for `name`, while its order is in flight.
    pub fn tls_alpn01(&self, name: &str) -> Option<(String, String)> {
        match self.challenges.get(&format!("tls-alpn-01/{name}"))? {
            Challenge::TlsAlpn01 {
                cert_pem, key_pem, ..
            } => Some((cert_pem, key_pem.0)),
            _ => None,
        }
    }

    /// Every `_acme-challenge` TXT value in flight, by name (without `_acme-challenge.`).
    pub fn dns01(&self) -> Vec<(String, String)> {
        self.challenges
            .under("dns-01/")
            .into_iter()
            .filter_map(|c| match c {
                Challenge::Dns01 { name, value } => Some((name, value)),
                _ => None,
            })
            .collect()
    }
}
