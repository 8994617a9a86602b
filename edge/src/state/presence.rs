//! Which edges are alive and which sessions each holds: rows under the edge's presence lease,
//! gone with it when the edge dies.

use uuid::Uuid;

use super::records::*;
use super::store::LeaseId;
use super::State;

impl State {
    pub async fn sessions(&self) -> Result<Vec<SessionRecord>, StateError> {
        self.store
            .range(SESSIONS)
            .await?
            .0
            .iter()
            .map(decode)
            .collect()
    }

    /// The sessions of one tunnel, on every edge.
    pub async fn sessions_of(&self, tunnel: Uuid) -> Result<Vec<SessionRecord>, StateError> {
        let prefix = format!("{SESSIONS}{tunnel}/");
        self.store
            .range(&prefix)
            .await?
            .0
            .iter()
            .map(decode)
            .collect()
    }

    /// Every edge whose presence lease is alive, draining or not.
    pub async fn edges(&self) -> Result<Vec<EdgeRecord>, StateError> {
        self.store
            .range(EDGES)
            .await?
            .0
            .iter()
            .map(decode)
            .collect()
    }

    pub async fn announce_edge(&self, edge: &EdgeRecord, lease: LeaseId) -> Result<(), StateError> {
        self.store
            .put(&format!("{EDGES}{}", edge.id), encode(edge), Some(lease))
            .await?;
        Ok(())
    }

    pub async fn add_session(
        &self,
        session: &SessionRecord,
        lease: LeaseId,
    ) -> Result<(), StateError> {
        let key = format!("{SESSIONS}{}/{}", session.tunnel_id, session.session_id);
        self.store.put(&key, encode(session), Some(lease)).await?;
        Ok(())
    }

    pub async fn remove_session(
        &self,
        tunnel_id: Uuid,
        session_id: Uuid,
    ) -> Result<(), StateError> {
        self.store
            .delete(&format!("{SESSIONS}{tunnel_id}/{session_id}"))
            .await?;
        Ok(())
    }
}
