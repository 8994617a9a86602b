//! Control messages from the edge (see `tether_proto::control`).

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Limited};
use tether_proto::control::{Move, Registration, MOVE, REGISTER, REVOKED};
use tether_proto::hostname::routes_overlap;
use tether_transport::h2body::RecvBody;

use crate::ingress::origin::OriginBody;
use crate::ingress::Ingress;
use crate::serve::respond::boxed;

use super::slot::Slot;

fn status(code: StatusCode) -> Response<OriginBody> {
    let mut r = Response::new(boxed(Empty::<Bytes>::new()));
    *r.status_mut() = code;
    r
}

pub async fn handle(kind: &str, req: Request<RecvBody>, ctx: &Arc<Slot>) -> Response<OriginBody> {
    if kind == MOVE {
        // Where to go: the edges the draining edge lists (an edge started since our last
        // registration is known only from here). An empty or unreadable body changes nothing.
        if let Ok(body) = Limited::new(req.into_body(), 1 << 20).collect().await {
            if let Ok(to) = serde_json::from_slice::<Move>(&body.to_bytes()) {
                if !to.edges.is_empty() {
                    ctx.connector.edges.learn(&to.edges);
                }
            }
        }
        let here = ctx.dialled.lock().map(|a| a.clone()).unwrap_or_default();
        if !ctx.connector.edges.has_other(&here) {
            tracing::warn!(
                index = ctx.index,
                "the edge is draining, but no other edge is known: this session stays until it closes"
            );
            return status(StatusCode::CONFLICT);
        }
        tracing::info!(
            index = ctx.index,
            "the edge is draining and asks this session to move"
        );
        ctx.move_requested.notify_waiters();
        return status(StatusCode::OK);
    }
    if kind == REVOKED {
        let reason = match Limited::new(req.into_body(), 4096).collect().await {
            Ok(body) => String::from_utf8_lossy(&body.to_bytes()).trim().to_string(),
            Err(_) => String::new(),
        };
        let reason = match reason.is_empty() {
            true => "the edge no longer accepts this tunnel's key".to_string(),
            false => reason,
        };
        tracing::error!(index = ctx.index, %reason, "the edge revoked this tunnel's key; stopping");
        if let Ok(mut revoked) = ctx.connector.revoked.lock() {
            revoked.get_or_insert(reason);
        }
        return status(StatusCode::OK);
    }
    if kind != REGISTER {
        return status(StatusCode::NOT_IMPLEMENTED);
    }
    let Ok(body) = Limited::new(req.into_body(), 1 << 20).collect().await else {
        return status(StatusCode::BAD_REQUEST);
    };
    let Ok(registration) = serde_json::from_slice::<Registration>(&body.to_bytes()) else {
        return status(StatusCode::BAD_REQUEST);
    };
    // Scripts wait for this line, filtering by its target (the module's name before the
    // connector was laid out in rooms).
    tracing::info!(
        target: "tether_connector::control",
        session = %registration.session_id, edge = %registration.edge_id, index = ctx.index,
        hostnames = ?registration.hostnames, "tunnel session registered"
    );
    for warning in unreachable_rules(
        &ctx.connector.streams.ingress.load(),
        &registration.hostnames,
    ) {
        tracing::warn!("{warning}");
    }
    ctx.connector.edges.learn(&registration.edges);
    ctx.registrations.send_modify(|n| *n += 1);
    status(StatusCode::OK)
}

/// Warnings for ingress rules whose hostname no route of this tunnel can reach.
pub fn unreachable_rules(ingress: &Ingress, routed: &[String]) -> Vec<String> {
    ingress
        .rules
        .iter()
        .filter_map(|rule| {
            let host = rule.hostname.as_deref()?;
            (!routed.iter().any(|r| routes_overlap(r, host))).then(|| {
                format!("ingress rule #{} (hostname {host}) is unreachable: the edge routes no such hostname to this tunnel; run `edge tunnel route dns TUNNEL {host}`", rule.number)
            })
        })
        .collect()
}
