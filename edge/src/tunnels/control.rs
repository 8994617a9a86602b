//! Control messages the edge sends on a session (see `tether_proto::control`): the registration
//! after the handshake, `move` when this edge drains, and `revoked` when its key is taken away.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use tether_proto::control::{Move, MOVE, PATH as CONTROL_PATH, REVOKED};
use tether_proto::headers::CONTROL;

use super::sessions::Session;

/// Why a control message was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("{0}")]
    Http2(#[from] h2::Error),
    #[error("cannot make the message: {0}")]
    Request(#[from] http::Error),
    #[error("cannot encode the message: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("no answer within 10 s")]
    NoAnswer,
    #[error("connector answered {0}")]
    Refused(StatusCode),
}

/// Sends one control message (`kind`, with a JSON `body`) on a session and waits, at most 10 s,
/// for the connector's 200.
pub async fn control(
    session: &Session,
    kind: &'static str,
    body: Bytes,
) -> Result<(), ControlError> {
    let req = Request::post(format!("https://tether.control{CONTROL_PATH}"))
        .header(CONTROL, kind)
        .body(())?;
    let exchange = async {
        let mut sender = session.sender_for_control().ready().await?;
        let (response, mut send) = sender.send_request(req, false)?;
        send.send_data(body, true)?;
        response.await
    };
    let response = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| ControlError::NoAnswer)??;
    if response.status() != StatusCode::OK {
        return Err(ControlError::Refused(response.status()));
    }
    Ok(())
}

/// Sends `move` on a session, once, with the edges it may move to (`others`, as in a
/// registration: the connector may not know them yet, e.g. an edge started since its last
/// registration). A connector that does not answer 200 keeps the session (`Session::stays`).
pub async fn ask_to_move(session: Arc<Session>, others: Vec<String>) {
    if session.asked_to_move.swap(true, Ordering::SeqCst) {
        return;
    }
    let body = serde_json::to_vec(&Move { edges: others }).unwrap_or_default();
    let moved = control(&session, MOVE, Bytes::from(body)).await;
    if let Err(e) = moved {
        tracing::info!(session = %session.record.session_id, reason = %e, "the connector will not move this session; not waiting for it");
        session.stays.store(true, Ordering::Relaxed);
    }
}

/// How long the connector has to take a `revoked` before the session is closed regardless.
const REVOKED_ANSWER: Duration = Duration::from_millis(300);

/// Ends a session whose key is no longer accepted, once: no new streams go to it, the connector
/// is told why (`revoked`, so it stops instead of reconnecting), and it is closed.
pub async fn revoke(session: Arc<Session>, reason: String) {
    if session.revoked.swap(true, Ordering::SeqCst) {
        return;
    }
    session.refuse_new_streams();
    tracing::info!(tunnel = %session.record.tunnel_id, session = %session.record.session_id, %reason, "closing a session whose key is no longer accepted");
    let told = control(&session, REVOKED, Bytes::from(reason.into_bytes()));
    let _ = tokio::time::timeout(REVOKED_ANSWER, told).await;
    session.closed.cancel();
}
