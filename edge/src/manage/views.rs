//! What the operations answer: the admin API's JSON bodies, and what the CLI prints from, on
//! either path. Nothing secret is in them (a route's policy shows as its summary). Fields they
//! do not know are ignored, so an older CLI reads a newer edge's answers.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::state::{now_secs, RouteRecord, SessionRecord, TunnelRecord};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TunnelView {
    pub id: Uuid,
    pub name: String,
    pub created_at: u64,
    /// Keys that a session may prove now (0: enrollment pending, or revoked).
    pub keys: usize,
    pub routes: Vec<RouteView>,
    pub sessions: Vec<SessionView>,
}

impl TunnelView {
    pub fn of(tunnel: &TunnelRecord, routes: &[RouteRecord], sessions: &[SessionView]) -> Self {
        TunnelView {
            id: tunnel.id,
            name: tunnel.name.clone(),
            created_at: tunnel.created_at,
            keys: tunnel.live_keys(now_secs()).count(),
            routes: routes
                .iter()
                .filter(|r| r.tunnel_id == tunnel.id)
                .map(RouteView::of)
                .collect(),
            sessions: sessions
                .iter()
                .filter(|s| s.tunnel_id == tunnel.id)
                .cloned()
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteView {
    pub hostname: String,
    pub tunnel_id: Uuid,
    /// Split horizon: internal DNS askers get this address.
    pub direct: Option<IpAddr>,
    /// The public TCP port every edge listens on for it (`route tcp --port`).
    pub port: Option<u16>,
    pub require_token: bool,
    /// What its policy asks (`ip-rules:2,basic,limits`); empty: open to everyone.
    pub policy: String,
}

impl RouteView {
    pub fn of(route: &RouteRecord) -> RouteView {
        RouteView {
            hostname: route.hostname.clone(),
            tunnel_id: route.tunnel_id,
            direct: route.direct,
            port: route.port,
            require_token: route.require_token,
            policy: route.rules.summary(),
        }
    }

    /// `db.example.com:tcp/5432 (token) (basic)`, as `edge tunnel list` shows it.
    pub fn label(&self) -> String {
        let port = self.port.map(|p| format!(":tcp/{p}")).unwrap_or_default();
        let token = if self.require_token { " (token)" } else { "" };
        let rules = match self.policy.as_str() {
            "" => String::new(),
            s => format!(" ({s})"),
        };
        format!("{}{port}{token}{rules}", self.hostname)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub session_id: Uuid,
    pub tunnel_id: Uuid,
    pub edge_id: String,
    pub connector_id: Uuid,
    pub conn_index: u8,
    /// The connector's version.
    pub version: String,
    pub connected_at: u64,
    pub age_secs: u64,
    /// The last PING round trip the owning edge measured, in milliseconds (`None` until it
    /// has published one).
    pub rtt_ms: Option<f64>,
}

impl SessionView {
    pub fn of(session: &SessionRecord, rtt_ms: Option<f64>) -> SessionView {
        SessionView {
            session_id: session.session_id,
            tunnel_id: session.tunnel_id,
            edge_id: session.edge_id.clone(),
            connector_id: session.connector_id,
            conn_index: session.conn_index,
            version: session.version.clone(),
            connected_at: session.connected_at,
            age_secs: now_secs().saturating_sub(session.connected_at),
            rtt_ms,
        }
    }
}

/// A tunnel made: what a credentials file needs besides the private key, which the caller
/// made and kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedView {
    pub tunnel: TunnelView,
    /// `host:port` connectors dial.
    pub edge: String,
    /// The TLS name of the tunnel listener.
    pub server_name: String,
    /// The tunnel CA to pin (PEM); `None` when the edge has a public certificate.
    pub edge_ca: Option<String>,
}

/// A one-time enrollment token, and what it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentView {
    pub tunnel_id: Uuid,
    pub tunnel_name: String,
    pub token: String,
    pub expires_at: u64,
    /// A rotation: how long the current keys stay valid once it is redeemed.
    pub overlap_secs: Option<u64>,
}

/// A route made or changed, and what DNS does about it (lines to print).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutedView {
    pub route: RouteView,
    pub tunnel_name: String,
    pub dns: Vec<String>,
}

/// A name's ACME certificate as the store holds it, without its key: what `edge cert list` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateView {
    pub name: String,
    /// Empty while the name has no certificate.
    pub issuer: String,
    pub serial: String,
    pub not_after: u64,
    pub challenge: String,
    /// Orders failed in a row, why the last one failed (its cause named first), and when the
    /// next comes.
    pub failures: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub next_attempt_at: u64,
    /// Whether an order was ever placed for it (a name routed a moment ago has none yet).
    #[serde(default)]
    pub ordered: bool,
    /// When it is renewed (Unix seconds), with a certificate and `tls.acme` set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renews_at: Option<u64>,
}

impl CertificateView {
    pub fn of(r: &crate::state::acme_records::CertRecord, renews_at: Option<u64>) -> Self {
        CertificateView {
            name: r.name.clone(),
            issuer: r.issuer.clone(),
            serial: r.serial.clone(),
            not_after: r.not_after,
            challenge: r.challenge.clone(),
            failures: r.failures,
            last_error: r.last_error.clone(),
            next_attempt_at: r.next_attempt_at,
            ordered: r.last_order_at != 0 || r.has_certificate(),
            renews_at,
        }
    }
}
