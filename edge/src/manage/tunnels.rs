//! Tunnels: create (with a public key the caller made, or none, to be enrolled), enrollment
//! tokens, revoke, delete, list and info.

use std::time::Duration;

use tether_proto::enroll::{EdgeRef, EnrollmentToken};

use super::views::{CreatedView, EnrollmentView, SessionView, TunnelView};
use super::{ManageError, Manager};
use crate::state::{decode, EdgeRecord, TunnelRecord, EDGES};
use crate::tls::ca::TunnelCa;

/// The longest an enrollment token or a rotation's overlap may last.
const LONGEST: Duration = Duration::from_secs(365 * 24 * 3600);

impl Manager {
    /// Creates a tunnel. With `public_key` (the caller made the private key and keeps it) it
    /// can run at once; without, it waits for `connector enroll`.
    pub async fn create_tunnel(
        &self,
        name: &str,
        public_key: Option<String>,
        id: Option<uuid::Uuid>,
    ) -> Result<CreatedView, ManageError> {
        if name.is_empty() || name.len() > 200 || name.chars().any(|c| c.is_control()) {
            return Err(ManageError::invalid(
                "a tunnel name is 1 to 200 printable characters, e.g. web-prod",
            ));
        }
        if let Some(key) = &public_key {
            tether_proto::credentials::public_key_from_b64(key)
                .map_err(|e| ManageError::invalid(format!("public_key: {e}")))?;
        }
        let edge = self.edge_address().await?;
        let ca = TunnelCa::load_or_create(&self.state, &self.config.state_dir).await?;
        let tunnel = self.state.create_tunnel(name, public_key, id).await?;
        Ok(CreatedView {
            tunnel: TunnelView::of(&tunnel, &[], &[]),
            edge,
            server_name: self.config.server_name.clone(),
            // A public certificate is verified against the system roots; otherwise pin our CA.
            edge_ca: (!self.config.public_certificate).then(|| ca.pem.clone()),
        })
    }

    /// A one-time enrollment token for `tunnel` (with `overlap`, a rotation of its key).
    pub async fn enrollment(
        &self,
        tunnel: &str,
        ttl: Duration,
        overlap: Option<Duration>,
    ) -> Result<EnrollmentView, ManageError> {
        if ttl.is_zero() {
            return Err(ManageError::invalid(
                "--ttl must be longer than 0s, e.g. --ttl 1h",
            ));
        }
        if ttl > LONGEST || overlap.is_some_and(|o| o > LONGEST) {
            return Err(ManageError::invalid(
                "--ttl and --overlap are at most 365 days",
            ));
        }
        let tunnel = self.state.resolve(tunnel).await?;
        let edge = self.edge_address().await?;
        let ca = TunnelCa::load_or_create(&self.state, &self.config.state_dir).await?;
        let ca_pin = match self.config.public_certificate {
            true => None,
            false => Some(
                tether_proto::trust::ca_pin_of_pem(&ca.pem)
                    .map_err(|e| ManageError::new(super::ErrorKind::Internal, e.to_string()))?,
            ),
        };
        let (secret, expires_at) = self.state.create_enrollment(&tunnel, ttl, overlap).await?;
        let token = EnrollmentToken {
            edge: EdgeRef {
                address: edge,
                server_name: self.config.server_name.clone(),
                ca_pin,
            },
            tunnel_id: tunnel.id,
            secret,
            expires_at,
        };
        Ok(EnrollmentView {
            tunnel_id: tunnel.id,
            tunnel_name: tunnel.name,
            token: token.encode(),
            expires_at,
            overlap_secs: overlap.map(|o| o.as_secs()),
        })
    }

    /// Takes every key of `tunnel` away: its sessions close on every edge.
    pub async fn revoke(&self, tunnel: &str) -> Result<TunnelView, ManageError> {
        let tunnel = self.state.resolve(tunnel).await?;
        let tunnel = self.state.revoke_tunnel(&tunnel).await?;
        self.view(&tunnel).await
    }

    /// Deletes `tunnel` and its routes; its sessions close.
    pub async fn delete_tunnel(&self, tunnel: &str) -> Result<TunnelView, ManageError> {
        let tunnel = self.state.resolve(tunnel).await?;
        let view = self.view(&tunnel).await?;
        self.state.delete_tunnel(&tunnel).await?;
        Ok(view)
    }

    pub async fn tunnels(&self) -> Result<Vec<TunnelView>, ManageError> {
        let tunnels = self.state.tunnels().await?;
        let routes = self.state.routes().await?;
        let sessions = self.sessions().await?;
        Ok(tunnels
            .iter()
            .map(|t| TunnelView::of(t, &routes, &sessions))
            .collect())
    }

    pub async fn tunnel(&self, tunnel: &str) -> Result<TunnelView, ManageError> {
        let tunnel = self.state.resolve(tunnel).await?;
        self.view(&tunnel).await
    }

    /// Every live session, with the RTT its edge last published.
    pub async fn sessions(&self) -> Result<Vec<SessionView>, ManageError> {
        let rtts = self.state.session_rtts().await?;
        let mut sessions: Vec<SessionView> = self
            .state
            .sessions()
            .await?
            .iter()
            .map(|s| SessionView::of(s, rtts.get(&s.session_id).copied()))
            .collect();
        sessions.sort_by(|a, b| (a.tunnel_id, &a.edge_id).cmp(&(b.tunnel_id, &b.edge_id)));
        Ok(sessions)
    }

    async fn view(&self, tunnel: &TunnelRecord) -> Result<TunnelView, ManageError> {
        let routes = self.state.routes().await?;
        let sessions = self.sessions().await?;
        Ok(TunnelView::of(tunnel, &routes, &sessions))
    }

    /// Where connectors dial: `advertise.tunnel`, else the address a running edge announced.
    pub async fn edge_address(&self) -> Result<String, ManageError> {
        if let Some(addr) = &self.config.advertise_tunnel {
            return Ok(addr.clone());
        }
        let (edges, _) = self
            .state
            .store
            .range(EDGES)
            .await
            .map_err(|e| ManageError::new(super::ErrorKind::Unavailable, e.to_string()))?;
        edges
            .iter()
            .filter_map(|kv| decode::<EdgeRecord>(kv).ok())
            .find_map(|e| e.tunnel_address)
            .ok_or_else(|| ManageError::new(super::ErrorKind::Conflict, format!("{}: set advertise.tunnel (HOST:PORT connectors dial), or start the edge first so it announces its tunnel address", self.config.source.display())))
    }
}
