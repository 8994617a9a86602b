//! Admission in the store: enrollment tokens made and redeemed (once, by compare-and-set), and a
//! tunnel's keys added, rotated and revoked. Every change to a tunnel's keys is a
//! compare-and-set on its record, so two edges redeeming at once both land.

use std::time::Duration;

use tether_proto::enroll::secret_hash;
use uuid::Uuid;

use super::records::*;
use super::store::{Expect, KeyValue};
use super::State;

/// How long a used or expired enrollment record is kept (to say "used" or "expired" rather than
/// "unknown") before its lease removes it.
const KEEP_AFTER_EXPIRY: Duration = Duration::from_secs(24 * 3600);
/// Compare-and-set attempts on one tunnel record before giving up.
const ATTEMPTS: usize = 8;

/// Why an enrollment token was not accepted. The messages are what `connector enroll` prints.
#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    #[error("this enrollment token is not known to the edge (mistyped, or its tunnel was revoked or deleted); make a new one with `edge tunnel token NAME`")]
    Unknown,
    #[error("this enrollment token has already been used (a token works once); make a new one with `edge tunnel token NAME`")]
    Used,
    #[error("this enrollment token expired {0}s ago; make a new one with `edge tunnel token NAME --ttl 1h`")]
    Expired(u64),
    /// The token was spent but the key could not be added: it cannot be used again.
    #[error("the token was used up but the key could not be added ({0}); make a new token with `edge tunnel token NAME` once the edge's store answers")]
    Spent(StateError),
    #[error(transparent)]
    State(#[from] StateError),
}

impl State {
    /// Makes an enrollment token for `tunnel`, valid for `ttl`; with `overlap` it is a rotation.
    /// Returns the secret, which exists nowhere else, and the expiry.
    pub async fn create_enrollment(
        &self,
        tunnel: &TunnelRecord,
        ttl: Duration,
        overlap: Option<Duration>,
    ) -> Result<(String, u64), StateError> {
        let secret = hex::encode(rand::random::<[u8; 32]>());
        let now = now_secs();
        let record = EnrollmentRecord {
            tunnel_id: tunnel.id,
            created_at: now,
            expires_at: now + ttl.as_secs(),
            overlap_secs: overlap.map(|o| o.as_secs()),
            used_at: None,
        };
        let lease = self.store.grant_lease(ttl + KEEP_AFTER_EXPIRY).await?;
        let key = format!("{ENROLLMENTS}{}", secret_hash(&secret));
        self.store.put(&key, encode(&record), Some(lease)).await?;
        Ok((secret, record.expires_at))
    }

    /// Redeems an enrollment token: marks it used, then adds `public_key` to its tunnel (a
    /// rotation also gives the tunnel's other keys their overlap). A token is spent even if
    /// adding the key then fails: a token is never good twice.
    pub async fn redeem_enrollment(
        &self,
        tunnel_id: Uuid,
        secret: &str,
        public_key: &str,
    ) -> Result<TunnelRecord, RedeemError> {
        let key = format!("{ENROLLMENTS}{}", secret_hash(secret));
        let kv = self.store.get(&key).await.map_err(StateError::from)?;
        let Some(kv) = kv else {
            return Err(RedeemError::Unknown);
        };
        let mut record: EnrollmentRecord = decode(&kv)?;
        let now = now_secs();
        // A token names its tunnel; one presented for another tunnel is simply not known there.
        if record.tunnel_id != tunnel_id {
            return Err(RedeemError::Unknown);
        }
        if record.used_at.is_some() {
            return Err(RedeemError::Used);
        }
        if now >= record.expires_at {
            return Err(RedeemError::Expired(now - record.expires_at));
        }
        record.used_at = Some(now);
        let spent = self
            .store
            .put_if(
                &key,
                encode(&record),
                kv.lease,
                Expect::ModRevision(kv.mod_revision),
            )
            .await
            .map_err(StateError::from)?;
        if spent.is_err() {
            return Err(RedeemError::Used);
        }
        let overlap = record.overlap_secs;
        let added = self
            .update_keys(tunnel_id, |keys| {
                if let Some(overlap) = overlap {
                    for k in keys.iter_mut() {
                        let end = now + overlap;
                        k.not_after = Some(k.not_after.map_or(end, |t| t.min(end)));
                    }
                }
                keys.retain(|k| k.public_key != public_key);
                keys.push(TunnelKey {
                    public_key: public_key.to_string(),
                    added_at: now,
                    not_after: None,
                });
            })
            .await
            .map_err(|e| match e {
                StateError::NoSuchTunnel(_) => RedeemError::Unknown,
                e => RedeemError::Spent(e),
            })?;
        // Revoked (or deleted) while this redemption ran: its tokens were deleted, so the key
        // does not stay.
        let still = self
            .store
            .get(&key)
            .await
            .map_err(|e| RedeemError::Spent(e.into()))?;
        if still.is_none() {
            let public_key = public_key.to_string();
            let _ = self
                .update_keys(tunnel_id, |keys| {
                    keys.retain(|k| k.public_key != public_key)
                })
                .await;
            return Err(RedeemError::Unknown);
        }
        Ok(added)
    }

    /// Takes every key of a tunnel away, and its unused enrollment tokens: its sessions close
    /// on every edge, and it can run again only after a new enrollment.
    pub async fn revoke_tunnel(&self, tunnel: &TunnelRecord) -> Result<TunnelRecord, StateError> {
        // Tokens first: a redemption under way then finds its token gone after adding its key,
        // and takes the key back out (`redeem_enrollment`); one that added it earlier loses it
        // to the clear below.
        self.forget_enrollments(tunnel.id).await?;
        self.update_keys(tunnel.id, Vec::clear).await
    }

    /// Deletes the enrollment tokens of a tunnel (revoked or deleted).
    pub(super) async fn forget_enrollments(&self, tunnel_id: Uuid) -> Result<(), StateError> {
        let (kvs, _) = self.store.range(ENROLLMENTS).await?;
        for kv in kvs {
            if decode::<EnrollmentRecord>(&kv).is_ok_and(|r| r.tunnel_id == tunnel_id) {
                self.store.delete(&kv.key).await?;
            }
        }
        Ok(())
    }

    /// Changes a tunnel's keys by compare-and-set, retrying when another writer got there first.
    async fn update_keys(
        &self,
        tunnel_id: Uuid,
        change: impl Fn(&mut Vec<TunnelKey>),
    ) -> Result<TunnelRecord, StateError> {
        let key = format!("{TUNNELS}{tunnel_id}");
        for _ in 0..ATTEMPTS {
            let Some(kv): Option<KeyValue> = self.store.get(&key).await? else {
                return Err(StateError::NoSuchTunnel(tunnel_id.to_string()));
            };
            let mut tunnel: TunnelRecord = decode(&kv)?;
            change(&mut tunnel.keys);
            let written = self
                .store
                .put_if(
                    &key,
                    encode(&tunnel),
                    None,
                    Expect::ModRevision(kv.mod_revision),
                )
                .await?;
            if written.is_ok() {
                return Ok(tunnel);
            }
        }
        Err(super::records::concurrent())
    }
}
