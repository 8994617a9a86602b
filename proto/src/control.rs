//! Control messages the edge sends to the connector over a session.
//!
//! The edge is the HTTP/2 client, so a control message is an ordinary HTTP/2 request on the
//! session carrying the [`crate::headers::CONTROL`] header; the connector answers it itself and
//! never sends it to an origin.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Control kind: registration, sent once right after the session opens.
pub const REGISTER: &str = "register";
/// Control kind: the edge is draining. The connector opens a replacement session to another
/// edge, and once that one is registered closes this one gracefully (make before break). The
/// edge is the HTTP/2 client, so its own GOAWAY would mean nothing to the connector.
pub const MOVE: &str = "move";
/// Control kind: the edge no longer accepts the key this session was opened with (the tunnel was
/// revoked, deleted, or rotated past its overlap). The body is a one-line reason; the connector
/// stops with it, since reconnecting cannot succeed. The edge closes the session right after.
pub const REVOKED: &str = "revoked";
/// The path control requests use (informational; the header decides).
pub const PATH: &str = "/.well-known/tether/control";

/// What the edge tells the connector when a session is registered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// Identifies this session in the edge's logs and `edge tunnel list`.
    pub session_id: Uuid,
    /// The edge that holds the session.
    pub edge_id: String,
    /// Hostnames the edge routes to this tunnel; the connector warns about ingress rules that no
    /// route can reach.
    pub hostnames: Vec<String>,
    /// Tunnel addresses (`HOST:PORT`) of every live edge that shares this edge's store and is
    /// not draining, this one included: the connector spreads its sessions over them. Absent
    /// from older edges.
    #[serde(default)]
    pub edges: Vec<String>,
}

/// The body of a [`MOVE`]: where the connector may move to (the live, non-draining edges, as in
/// [`Registration::edges`]; it may have learned of none of them since its last registration).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Move {
    #[serde(default)]
    pub edges: Vec<String>,
}
