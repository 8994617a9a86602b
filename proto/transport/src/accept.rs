//! The one acceptor, for the WebSocket upgrades an edge takes (tunnel sessions, edge-to-edge
//! links, access sessions): the subprotocol negotiated, the 101 or a refusal that says why and
//! whether to retry, and the server side of the WebSocket once the upgrade is done.
//!
//! What a caller checks between negotiating and answering (a signature, a link proof, a token)
//! is its own; the wire around it is the same for all three.

use std::time::Duration;

use http::{header, HeaderValue, Request, Response, StatusCode};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tether_proto::handshake::{Refusal, HDR_REFUSAL};
use tether_proto::headers::has_token;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::error::{Step, TransportError, Who};
use crate::wsserver::ServerFrames;

/// An upgrade refused: the status, whether the caller should retry, and a one-line reason.
#[derive(Debug, Clone)]
pub struct Refused {
    pub status: StatusCode,
    pub refusal: Refusal,
    pub reason: String,
    /// Sent as `Retry-After` (whole seconds, at least 1).
    pub retry_after: Option<Duration>,
}

impl Refused {
    pub fn new(status: StatusCode, refusal: Refusal, reason: impl Into<String>) -> Refused {
        Refused {
            status,
            refusal,
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// The refusal for an address that has failed too many handshakes: 429, with when to retry.
    pub fn too_many_failures(wait: Duration) -> Refused {
        let secs = wait.as_secs().max(1);
        Refused {
            retry_after: Some(Duration::from_secs(secs)),
            ..Refused::new(
                StatusCode::TOO_MANY_REQUESTS,
                Refusal::Transient,
                format!("too many failed attempts from this address; retry in {secs}s"),
            )
        }
    }

    /// The answer: the status, `tether-refusal`, the reason as the body, and `Connection:
    /// close` (a refused caller gets no second try on the same connection).
    pub fn response(&self) -> Response<String> {
        let mut response = Response::new(format!("{}\n", self.reason));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(HDR_REFUSAL, HeaderValue::from_static(self.refusal.as_str()));
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        if let Some(wait) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
        }
        response
    }
}

/// A WebSocket upgrade this side takes, with the subprotocol it chose.
#[derive(Debug)]
pub struct Negotiated {
    key: HeaderValue,
    pub subprotocol: &'static str,
}

/// Whether `req` is a WebSocket upgrade offering one of `supported`; the first of `supported`
/// (this side's order of preference) that the client offered is chosen. `endpoint` names what
/// answers here, for the refusal ("a Tether tunnel endpoint").
pub fn negotiate<B>(
    req: &Request<B>,
    supported: &[&'static str],
    endpoint: &str,
) -> Result<Negotiated, Refused> {
    let h = req.headers();
    let upgrade = has_token(h, header::UPGRADE, "websocket");
    let chosen = supported
        .iter()
        .find(|p| has_token(h, header::SEC_WEBSOCKET_PROTOCOL, p));
    let (true, true, Some(subprotocol)) =
        (upgrade, has_token(h, header::CONNECTION, "upgrade"), chosen)
    else {
        let reason = format!(
            "this is {endpoint}: open a WebSocket with subprotocol {}",
            supported.join(" or ")
        );
        return Err(Refused::new(
            StatusCode::UPGRADE_REQUIRED,
            Refusal::Permanent,
            reason,
        ));
    };
    let Some(key) = h.get(header::SEC_WEBSOCKET_KEY).cloned() else {
        return Err(Refused::new(
            StatusCode::BAD_REQUEST,
            Refusal::Permanent,
            "missing Sec-WebSocket-Key",
        ));
    };
    Ok(Negotiated { key, subprotocol })
}

/// An accepted upgrade whose 101 is on its way: await it for the WebSocket.
pub struct Pending {
    on_upgrade: OnUpgrade,
    pub subprotocol: &'static str,
}

impl Negotiated {
    /// Takes the upgrade: the 101 to answer `req` with (RFC 6455 §4.2.2), and the connection
    /// to come once it is sent.
    pub fn accept<B>(self, req: Request<B>) -> (Response<()>, Pending) {
        let mut response = Response::new(());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(self.subprotocol),
        );
        if let Ok(accept) = derive_accept_key(self.key.as_bytes()).parse() {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        let pending = Pending {
            on_upgrade: hyper::upgrade::on(req),
            subprotocol: self.subprotocol,
        };
        (response, pending)
    }
}

/// The server side of an accepted WebSocket, as the byte stream HTTP/2 runs over.
pub type ServerSocket = ServerFrames<TokioIo<Upgraded>>;

impl Pending {
    /// The WebSocket, once the 101 has gone out.
    pub async fn websocket(self) -> Result<ServerSocket, TransportError> {
        match self.on_upgrade.await {
            Ok(upgraded) => Ok(ServerFrames::new(TokioIo::new(upgraded))),
            Err(e) => Err(TransportError::transient(
                Step::Upgrade,
                Who::Peer,
                format!("the upgrade did not complete: {e}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upgrade(protocols: &str) -> Request<()> {
        Request::get("/")
            .header("upgrade", "websocket")
            .header("connection", "Upgrade")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("sec-websocket-protocol", protocols)
            .body(())
            .unwrap()
    }

    #[test]
    fn this_side_picks_its_preferred_subprotocol_among_those_offered() {
        let supported = ["tether.v2", "tether.v1"];
        let chosen = |offer| negotiate(&upgrade(offer), &supported, "x").map(|n| n.subprotocol);
        assert_eq!(chosen("tether.v1").unwrap(), "tether.v1");
        assert_eq!(chosen("tether.v1, tether.v2").unwrap(), "tether.v2");
        let refused = chosen("tether.v9").unwrap_err();
        assert_eq!(refused.status, StatusCode::UPGRADE_REQUIRED);
        assert!(
            refused.reason.contains("tether.v2 or tether.v1"),
            "{refused:?}"
        );
    }

    #[test]
    fn the_101_answers_the_key_and_a_refusal_says_why() {
        let n = negotiate(&upgrade("tether.v1"), &["tether.v1"], "x").unwrap();
        let (response, pending) = n.accept(upgrade("tether.v1"));
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(
            response.headers()["sec-websocket-accept"],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(pending.subprotocol, "tether.v1");
        let refused = Refused::too_many_failures(Duration::from_millis(10)).response();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.headers()["retry-after"], "1");
        assert_eq!(refused.headers()[HDR_REFUSAL], "transient");
        assert_eq!(refused.headers()["connection"], "close");
    }
}
