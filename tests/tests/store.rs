//! The `Store` contract, one suite run against both backends: SQLite in a temporary directory, and
//! a real single-member etcd. Each contract gets a fresh key prefix (etcd) or file (SQLite).

use std::sync::Arc;
use std::time::Duration;

use tests::etcd::{EtcdCluster, ServerTls};
use tether_edge::config::{EtcdSettings, EtcdTls, StoreConfig};
use tether_edge::state::store::{self, Event, Expect, Store, StoreError};
use tokio::time::timeout;

/// A store of the backend under test, and whatever keeps it alive.
struct Backend {
    store: Arc<dyn Store>,
    /// A second handle on the same data (another process, in real use).
    other: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let open = || store::open(&StoreConfig::Sqlite, dir.path());
    Backend {
        store: open().await.unwrap(),
        other: open().await.unwrap(),
        _dir: Some(dir),
    }
}

async fn etcd(cluster: &EtcdCluster) -> Backend {
    etcd_with(cluster, None).await
}

async fn etcd_with(cluster: &EtcdCluster, tls: Option<EtcdTls>) -> Backend {
    let settings = EtcdSettings {
        endpoints: cluster.endpoints(),
        prefix: format!("/contract-{}/", uuid::Uuid::new_v4().simple()),
        tls,
        user: None,
        lease_ttl: Duration::from_secs(10),
    };
    let config = StoreConfig::Etcd(settings);
    let open = || store::open(&config, std::path::Path::new("."));
    Backend {
        store: open().await.unwrap(),
        other: open().await.unwrap(),
        _dir: None,
    }
}

/// The next change on a watch, bounded.
async fn next(changes: &mut store::Changes) -> Event {
    timeout(Duration::from_secs(10), changes.recv())
        .await
        .expect("a change within 10s")
        .expect("watch open")
        .expect("no watch error")
}

async fn revisions_increase_and_ranges_are_consistent(b: &Backend) {
    let s = &b.store;
    let r1 = s.put("routes/a", b"1".to_vec(), None).await.unwrap();
    let r2 = s.put("tunnels/x", b"2".to_vec(), None).await.unwrap();
    let r3 = s.put("routes/b", b"3".to_vec(), None).await.unwrap();
    assert!(r1 < r2 && r2 < r3);
    let (kvs, revision) = s.range("routes/").await.unwrap();
    assert!(revision >= r3);
    let keys: Vec<&str> = kvs.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["routes/a", "routes/b"]);
    assert_eq!(kvs[0].mod_revision, r1);
    assert_eq!(s.get("tunnels/x").await.unwrap().unwrap().value, b"2");
    assert!(s.get("tunnels/none").await.unwrap().is_none());
    assert!(s.delete("routes/a").await.unwrap());
    assert!(!s.delete("routes/a").await.unwrap());
}

async fn watch_replays_in_order_and_follows_live(b: &Backend) {
    let s = &b.store;
    let start = s.range("").await.unwrap().1;
    s.put("routes/a", b"1".to_vec(), None).await.unwrap();
    s.put("other/x", b"-".to_vec(), None).await.unwrap();
    s.delete("routes/a").await.unwrap();
    let mut changes = s.watch("routes/", start);
    assert!(
        matches!(next(&mut changes).await, Event::Put(kv) if kv.key == "routes/a" && kv.value == b"1")
    );
    let deleted = next(&mut changes).await;
    assert!(matches!(&deleted, Event::Delete { key, .. } if key == "routes/a"));
    // Live, and written through another handle.
    let live = b.other.put("routes/b", b"2".to_vec(), None).await.unwrap();
    let event = next(&mut changes).await;
    assert!(matches!(&event, Event::Put(kv) if kv.key == "routes/b"));
    assert_eq!(event.revision(), live);
    assert!(event.revision() > deleted.revision());
}

async fn compare_and_set_lets_exactly_one_claim_win(b: &Backend) {
    let s = &b.store;
    let first = s.put_if("routes/h", b"A".to_vec(), None, Expect::Absent);
    let second = b
        .other
        .put_if("routes/h", b"B".to_vec(), None, Expect::Absent);
    let (first, second) = tokio::join!(first, second);
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(first.is_ok() != second.is_ok(), "exactly one claim wins");
    let current = s.get("routes/h").await.unwrap().unwrap();
    let loser = if first.is_ok() { second } else { first };
    assert_eq!(loser.unwrap_err().unwrap(), current);
    let stale = Expect::ModRevision(current.mod_revision - 1);
    assert!(s
        .put_if("routes/h", b"C".to_vec(), None, stale)
        .await
        .unwrap()
        .is_err());
    let fresh = Expect::ModRevision(current.mod_revision);
    assert!(s
        .put_if("routes/h", b"C".to_vec(), None, fresh)
        .await
        .unwrap()
        .is_ok());
    assert_eq!(s.get("routes/h").await.unwrap().unwrap().value, b"C");
}

async fn compare_and_delete_spares_a_newer_value(b: &Backend) {
    let s = &b.store;
    let old = s.put("ports/22", b"A".to_vec(), None).await.unwrap();
    let new = s.put("ports/22", b"B".to_vec(), None).await.unwrap();
    assert!(!s.delete_if("ports/22", old).await.unwrap());
    assert_eq!(s.get("ports/22").await.unwrap().unwrap().value, b"B");
    assert!(s.delete_if("ports/22", new).await.unwrap());
    assert!(s.get("ports/22").await.unwrap().is_none());
}

async fn a_lease_takes_its_keys_when_revoked_or_expired(b: &Backend) {
    let s = &b.store;
    let start = s.range("").await.unwrap().1;
    let kept = s.grant_lease(Duration::from_secs(30)).await.unwrap();
    let short = s.grant_lease(Duration::from_secs(2)).await.unwrap();
    s.put("sessions/t/kept", b"x".to_vec(), Some(kept))
        .await
        .unwrap();
    s.put("sessions/t/short", b"x".to_vec(), Some(short))
        .await
        .unwrap();
    assert_eq!(
        s.get("sessions/t/kept").await.unwrap().unwrap().lease,
        Some(kept)
    );
    let mut changes = s.watch("sessions/", start);
    next(&mut changes).await;
    next(&mut changes).await;
    // Not kept alive: gone within its TTL plus the backend's check interval.
    let expired = next(&mut changes).await;
    assert!(
        matches!(&expired, Event::Delete { key, .. } if key == "sessions/t/short"),
        "{expired:?}"
    );
    assert!(!s.keep_alive(short).await.unwrap());
    let refused = s.put("sessions/t/again", b"x".to_vec(), Some(short)).await;
    assert!(refused.unwrap_err().to_string().contains("not found"));
    assert!(s.keep_alive(kept).await.unwrap());
    s.revoke(kept).await.unwrap();
    assert!(
        matches!(next(&mut changes).await, Event::Delete { key, .. } if key == "sessions/t/kept")
    );
    assert!(s.get("sessions/t/kept").await.unwrap().is_none());
}

async fn a_watch_from_before_a_compaction_is_told_so(b: &Backend) {
    let s = &b.store;
    let before = s.put("routes/a", b"1".to_vec(), None).await.unwrap();
    s.put("routes/b", b"2".to_vec(), None).await.unwrap();
    let now = s.put("routes/c", b"3".to_vec(), None).await.unwrap();
    s.compact(now).await.unwrap();
    let mut changes = s.watch("routes/", before - 1);
    let got = timeout(Duration::from_secs(10), changes.recv())
        .await
        .unwrap();
    assert!(
        matches!(got, Some(Err(StoreError::Compacted(_)))),
        "{got:?}"
    );
    // From the compaction point on, watching works.
    let mut changes = s.watch("routes/", now);
    s.put("routes/d", b"4".to_vec(), None).await.unwrap();
    assert!(matches!(next(&mut changes).await, Event::Put(kv) if kv.key == "routes/d"));
}

/// Runs every contract, each on a fresh backend made by `$backend`.
macro_rules! suite {
    ($backend:expr) => {
        for_each_contract!($backend;
            revisions_increase_and_ranges_are_consistent,
            watch_replays_in_order_and_follows_live,
            compare_and_set_lets_exactly_one_claim_win,
            compare_and_delete_spares_a_newer_value,
            a_lease_takes_its_keys_when_revoked_or_expired,
            a_watch_from_before_a_compaction_is_told_so,
        )
    };
}

macro_rules! for_each_contract {
    ($backend:expr; $($name:ident),+ $(,)?) => {
        $(
            let backend = $backend;
            timeout(Duration::from_secs(60), $name(&backend))
                .await
                .unwrap_or_else(|_| panic!("{} timed out", stringify!($name)));
        )+
    };
}

#[tokio::test]
async fn the_contract_holds_on_sqlite() {
    suite!(sqlite().await);
}

#[tokio::test]
async fn the_contract_holds_on_etcd() {
    let cluster = EtcdCluster::start(1);
    suite!(etcd(&cluster).await);
}

/// A self-signed certificate for `names`, written as NAME.pem and NAME-key.pem in `dir`.
fn certificate(
    dir: &std::path::Path,
    name: &str,
    names: &[&str],
) -> (std::path::PathBuf, std::path::PathBuf) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let pair = rcgen::generate_simple_self_signed(names).unwrap();
    let (cert, key) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}-key.pem")),
    );
    std::fs::write(&cert, pair.cert.pem()).unwrap();
    std::fs::write(&key, pair.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

#[tokio::test]
async fn the_contract_holds_on_etcd_over_tls_with_a_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (server, server_key) = certificate(dir.path(), "server", &["127.0.0.1", "localhost"]);
    let (client, client_key) = certificate(dir.path(), "client", &["tether-edge"]);
    let cluster = EtcdCluster::start_tls(
        1,
        ServerTls {
            cert: server.clone(),
            key: server_key,
            client_ca: client.clone(),
            client_cert: client.clone(),
            client_key: client_key.clone(),
        },
    );
    assert!(cluster.endpoints()[0].starts_with("https://"));
    let tls = EtcdTls {
        ca: server.clone(),
        cert: Some(client),
        key: Some(client_key),
    };
    suite!(etcd_with(&cluster, Some(tls.clone())).await);
    // Without the client certificate etcd refuses the connection, and the error says where.
    // TLS 1.3 lets the refusal arrive either as a failed handshake or as a connection closed
    // under the first call; several fresh connections see both, and each must read as
    // "unavailable".
    let anonymous = EtcdTls {
        cert: None,
        key: None,
        ..tls
    };
    for _ in 0..8 {
        let refused = etcd_with(&cluster, Some(anonymous.clone())).await;
        for key in ["tunnels/x", "tunnels/y"] {
            let e = refused.store.get(key).await.unwrap_err();
            assert!(matches!(e, StoreError::Unavailable(_)), "{e}");
            assert!(e.to_string().contains("etcd at https://127.0.0.1"), "{e}");
        }
    }
}
