//! The cluster [`Store`]: etcd's v3 API through the etcd-client crate, for edges on many
//! machines. Every key lives under the configured prefix (`/tether/` by default); leases, watches
//! and compare-and-set are etcd's own. Each call has a deadline, so a caller learns within
//! [`REQUEST_TIMEOUT`] that etcd is unreachable or has no leader instead of waiting on it.

use std::path::PathBuf;
use std::time::Duration;

use etcd_client::{
    Certificate, Client, Compare, CompareOp, ConnectOptions, EventType, GetOptions, Identity,
    PutOptions, TlsOptions, Txn, TxnOp, TxnOpResponse, WatchOptions,
};

use crate::config::{EtcdSettings, EtcdTls};

use super::{Changes, Event, Expect, KeyValue, LeaseId, Revision, Store, StoreError};

/// The longest one call to etcd may take before it fails as unavailable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct EtcdStore {
    client: Client,
    prefix: String,
    /// For messages: "etcd at http://127.0.0.1:2379, http://127.0.0.2:2379".
    name: String,
}

impl EtcdStore {
    /// Builds the client. Without `username` nothing is sent yet (etcd may be down while an edge
    /// starts its listeners); with one, etcd is asked for a token now.
    pub async fn connect(settings: &EtcdSettings) -> Result<EtcdStore, StoreError> {
        let name = format!("etcd at {}", settings.endpoints.join(", "));
        let fail = |e: String| StoreError::Unavailable(format!("cannot connect to {name}: {e}"));
        let mut options = ConnectOptions::new()
            .with_connect_timeout(Duration::from_secs(2))
            .with_keep_alive(Duration::from_secs(2), Duration::from_secs(2))
            .with_keep_alive_while_idle(true)
            .with_require_leader(true);
        if let Some(tls) = &settings.tls {
            // etcd-client's TLS is rustls: the process-wide crypto provider must be chosen
            // before any rustls builder runs (a second install is a harmless no-op).
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
            options = options.with_tls(tls_options(tls).map_err(|e| fail(e.to_string()))?);
        }
        if let Some((user, password)) = &settings.user {
            options = options
                .with_user(user, password)
                .with_auto_token_refresh(true);
        }
        let client = tokio::time::timeout(
            REQUEST_TIMEOUT,
            Client::connect(&settings.endpoints, Some(options)),
        )
        .await
        .map_err(|_| fail("timed out".into()))?
        .map_err(|e| fail(e.to_string()))?;
        Ok(EtcdStore {
            client,
            prefix: settings.prefix.clone(),
            name,
        })
    }

    fn full(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn kv(&self, kv: &etcd_client::KeyValue) -> KeyValue {
        let key = String::from_utf8_lossy(kv.key());
        KeyValue {
            key: key.strip_prefix(&self.prefix).unwrap_or(&key).to_string(),
            value: kv.value().to_vec(),
            mod_revision: kv.mod_revision(),
            lease: (kv.lease() != 0).then_some(kv.lease()),
        }
    }

    /// Runs one call with the deadline, mapping etcd's errors to the store's.
    async fn call<T>(
        &self,
        what: &str,
        call: impl std::future::Future<Output = Result<T, etcd_client::Error>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(REQUEST_TIMEOUT, call).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(self.error(what, e)),
            Err(_) => Err(StoreError::Unavailable(format!(
                "{} did not answer within {}s ({what}): is it running, and does it have a leader?",
                self.name,
                REQUEST_TIMEOUT.as_secs()
            ))),
        }
    }

    fn error(&self, what: &str, e: etcd_client::Error) -> StoreError {
        use tonic_code::*;
        let unavailable = match &e {
            etcd_client::Error::TransportError(_) | etcd_client::Error::IoError(_) => true,
            etcd_client::Error::GRpcStatus(s) => {
                matches!(s.code() as i32, UNAVAILABLE | DEADLINE_EXCEEDED | CANCELLED)
                    || s.message().contains("no leader")
                    || s.message().contains("leader changed")
                    || caused_by_the_connection(s)
            }
            _ => false,
        };
        let message = format!("{} ({what}): {e}", self.name);
        if unavailable {
            StoreError::Unavailable(format!("cannot reach {message}"))
        } else {
            StoreError::Backend(message)
        }
    }
}

/// Whether a status stands for a connection that failed under the call rather than an answer
/// from etcd. tonic reports those as code Unknown with the transport error as its source: a TLS 1.3
/// server that refuses the client certificate, for one, closes the connection only after the
/// client's handshake has finished, so the first call sees a broken pipe or a reset.
fn caused_by_the_connection(status: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = status.source();
    while let Some(e) = source {
        if e.downcast_ref::<std::io::Error>().is_some() {
            return true;
        }
        source = e.source();
    }
    false
}

/// gRPC status codes, as numbers, so this file needs no direct dependency on tonic.
mod tonic_code {
    pub const CANCELLED: i32 = 1;
    pub const DEADLINE_EXCEEDED: i32 = 4;
    pub const UNAVAILABLE: i32 = 14;
}

/// store.etcd.tls that cannot be used.
#[derive(Debug, thiserror::Error)]
enum BadEtcdTls {
    #[error("cannot read {}: {error}", .path.display())]
    Unreadable {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("store.etcd.tls needs both cert and key, or neither")]
    HalfIdentity,
}

fn tls_options(tls: &EtcdTls) -> Result<TlsOptions, BadEtcdTls> {
    let read = |p: &PathBuf| {
        tether_runtime::small_file::read(p).map_err(|error| BadEtcdTls::Unreadable {
            path: p.clone(),
            error,
        })
    };
    let mut options = TlsOptions::new().ca_certificate(Certificate::from_pem(read(&tls.ca)?));
    match (&tls.cert, &tls.key) {
        (Some(cert), Some(key)) => {
            options = options.identity(Identity::from_pem(read(cert)?, read(key)?));
        }
        (None, None) => {}
        _ => return Err(BadEtcdTls::HalfIdentity),
    }
    Ok(options)
}

#[async_trait::async_trait]
impl Store for EtcdStore {
    async fn get(&self, key: &str) -> Result<Option<KeyValue>, StoreError> {
        let mut client = self.client.clone();
        let response = self.call("get", client.get(self.full(key), None)).await?;
        Ok(response.kvs().first().map(|kv| self.kv(kv)))
    }

    async fn range(&self, prefix: &str) -> Result<(Vec<KeyValue>, Revision), StoreError> {
        let mut client = self.client.clone();
        let options = GetOptions::new().with_prefix();
        let response = self
            .call("range", client.get(self.full(prefix), Some(options)))
            .await?;
        let revision = response.header().map_or(0, |h| h.revision());
        let mut kvs: Vec<KeyValue> = response.kvs().iter().map(|kv| self.kv(kv)).collect();
        kvs.sort_by(|a, b| a.key.cmp(&b.key));
        Ok((kvs, revision))
    }

    async fn put(
        &self,
        key: &str,
        value: Vec<u8>,
        lease: Option<LeaseId>,
    ) -> Result<Revision, StoreError> {
        let mut client = self.client.clone();
        let options = lease.map(|l| PutOptions::new().with_lease(l));
        let response = self
            .call("put", client.put(self.full(key), value, options))
            .await?;
        Ok(response.header().map_or(0, |h| h.revision()))
    }

    async fn put_if(
        &self,
        key: &str,
        value: Vec<u8>,
        lease: Option<LeaseId>,
        expect: Expect,
    ) -> Result<Result<Revision, Option<KeyValue>>, StoreError> {
        let full = self.full(key);
        let compare = match expect {
            Expect::Absent => Compare::create_revision(full.clone(), CompareOp::Equal, 0),
            Expect::ModRevision(r) => Compare::mod_revision(full.clone(), CompareOp::Equal, r),
        };
        let options = lease.map(|l| PutOptions::new().with_lease(l));
        let txn = Txn::new()
            .when([compare])
            .and_then([TxnOp::put(full.clone(), value, options)])
            .or_else([TxnOp::get(full, None)]);
        let mut client = self.client.clone();
        let response = self.call("compare-and-set", client.txn(txn)).await?;
        if response.succeeded() {
            return Ok(Ok(response.header().map_or(0, |h| h.revision())));
        }
        let current = response.op_responses().into_iter().find_map(|r| match r {
            TxnOpResponse::Get(get) => get.kvs().first().map(|kv| self.kv(kv)),
            _ => None,
        });
        Ok(Err(current))
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let mut client = self.client.clone();
        let response = self
            .call("delete", client.delete(self.full(key), None))
            .await?;
        Ok(response.deleted() > 0)
    }

    async fn delete_if(&self, key: &str, revision: Revision) -> Result<bool, StoreError> {
        let full = self.full(key);
        let txn = Txn::new()
            .when([Compare::mod_revision(
                full.clone(),
                CompareOp::Equal,
                revision,
            )])
            .and_then([TxnOp::delete(full, None)]);
        let mut client = self.client.clone();
        let response = self.call("compare-and-delete", client.txn(txn)).await?;
        Ok(response.succeeded())
    }

    async fn grant_lease(&self, ttl: Duration) -> Result<LeaseId, StoreError> {
        // etcd counts TTLs in whole seconds.
        let seconds = ttl.as_millis().div_ceil(1000).max(1) as i64;
        let mut client = self.client.clone();
        let response = self
            .call("grant lease", client.lease_grant(seconds, None))
            .await?;
        Ok(response.id())
    }

    async fn keep_alive(&self, lease: LeaseId) -> Result<bool, StoreError> {
        let mut client = self.client.clone();
        // One renewal per call: the keep-alive stream is opened, answered once, and dropped.
        match self
            .call("renew lease", client.lease_keep_alive(lease))
            .await
        {
            Ok(_) => Ok(true),
            Err(StoreError::Backend(m)) if m.contains("lease not found") => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn revoke(&self, lease: LeaseId) -> Result<(), StoreError> {
        let mut client = self.client.clone();
        match self.call("revoke lease", client.lease_revoke(lease)).await {
            Err(StoreError::Backend(m)) if m.contains("not found") => Ok(()),
            other => other.map(|_| ()),
        }
    }

    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        let mut client = self.client.clone();
        match self.call("compact", client.compact(revision, None)).await {
            // Compacting what already is compacted is no error.
            Err(StoreError::Backend(m)) if m.contains("compacted") => Ok(()),
            other => other.map(|_| ()),
        }
    }

    fn watch(&self, prefix: &str, after: Revision) -> Changes {
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        let (store, full) = (self.clone(), self.full(prefix));
        tokio::spawn(async move {
            let mut client = store.client.clone();
            let options = WatchOptions::new()
                .with_prefix()
                .with_start_revision(after + 1);
            let mut stream = match store.call("watch", client.watch(full, Some(options))).await {
                Ok(stream) => stream,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            loop {
                let message = tokio::select! {
                    message = stream.message() => message,
                    _ = tx.closed() => return,
                };
                let response = match message {
                    Ok(Some(response)) => response,
                    Ok(None) => {
                        let error =
                            StoreError::Unavailable(format!("{}: watch closed", store.name));
                        let _ = tx.send(Err(error)).await;
                        return;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(store.error("watch", e))).await;
                        return;
                    }
                };
                if response.compact_revision() > 0 {
                    let _ = tx.send(Err(StoreError::Compacted(after))).await;
                    return;
                }
                if response.canceled() {
                    let reason = format!(
                        "{}: watch cancelled: {}",
                        store.name,
                        response.cancel_reason()
                    );
                    let _ = tx.send(Err(StoreError::Unavailable(reason))).await;
                    return;
                }
                for event in response.events() {
                    let Some(kv) = event.kv() else { continue };
                    let kv = store.kv(kv);
                    let event = match event.event_type() {
                        EventType::Put => Event::Put(kv),
                        EventType::Delete => Event::Delete {
                            key: kv.key,
                            revision: kv.mod_revision,
                        },
                    };
                    if tx.send(Ok(event)).await.is_err() {
                        return;
                    }
                }
            }
        });
        rx
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}
