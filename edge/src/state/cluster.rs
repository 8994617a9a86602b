//! What every edge of a cluster must share, created once: the first edge (or CLI) to need a
//! record writes it by compare-and-set, and whoever loses the race reads the winner's. So
//! `edge tunnel create` run while `edge run` starts can no longer make a second CA.

use serde::{de::DeserializeOwned, Serialize};

use super::records::*;
use super::store::Expect;
use super::State;

impl State {
    /// The record at `key`; if there is none, the one `make` builds, unless another process
    /// created one first.
    pub async fn get_or_create<T, E>(
        &self,
        key: &str,
        make: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        E: From<StateError>,
    {
        if let Some(kv) = self.store.get(key).await.map_err(StateError::from)? {
            return Ok(decode(&kv)?);
        }
        let made = make()?;
        let written = self
            .store
            .put_if(key, encode(&made), None, Expect::Absent)
            .await
            .map_err(StateError::from)?;
        match written {
            Ok(_) => Ok(made),
            Err(Some(winner)) => Ok(decode(&winner)?),
            // Absent, yet the write lost: created and deleted between the two.
            Err(None) => Err(StateError::Store(super::store::StoreError::Backend(format!(
                "{key} changed while it was being created; retry"
            )))
            .into()),
        }
    }

    /// The secret links between the edges prove, created on first use.
    pub async fn link_secret(&self) -> Result<Vec<u8>, StateError> {
        let record: LinkSecretRecord = self
            .get_or_create(CLUSTER_LINK_SECRET, || {
                Ok::<_, StateError>(LinkSecretRecord {
                    secret: hex::encode(rand::random::<[u8; 32]>()),
                })
            })
            .await?;
        hex::decode(&record.secret)
            .map_err(|e| StateError::Corrupt(CLUSTER_LINK_SECRET.into(), e.to_string()))
    }
}
