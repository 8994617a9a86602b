//! The retry rules of [`StreamOpener::open`], against sessions to fake connectors over in-memory
//! HTTP/2 (one that answers, one that refuses the stream unprocessed, one that dies once the
//! stream is sent) and fake [`Elsewhere`]s: one that holds no session of the tunnel, one of
//! links to fake edges.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use uuid::Uuid;

use super::*;
use crate::config::{EdgeConfig, LiveConfig};
use crate::state::SessionRecord;
use crate::tunnels::opener::Elsewhere;
use crate::tunnels::sessions::{Session, Sessions};

/// What a fake connector does with each stream.
#[derive(Clone, Copy)]
enum Connector {
    Answers,
    /// Resets it with REFUSED_STREAM, as a draining connector does.
    Refuses,
    /// Closes the whole session once a stream arrives: the stream was sent, and lost.
    Dies,
    /// Another edge, over a link, whose own session died under the stream.
    LostThere,
}

/// No other edge holds a session.
struct Nowhere;

#[async_trait::async_trait]
impl Elsewhere for Nowhere {
    async fn pick(&self, _: Uuid, _: Option<&str>, _: bool) -> Result<StreamGuard, EdgeError> {
        Err(EdgeError::TunnelOffline)
    }
}

async fn fake_connector(io: tokio::io::DuplexStream, behaviour: Connector) {
    let Ok(mut connection) = h2::server::handshake(io).await else {
        return;
    };
    while let Some(Ok((_req, mut respond))) = connection.accept().await {
        match behaviour {
            Connector::Answers => {
                let _ = respond.send_response(Response::new(()), true);
            }
            Connector::Refuses => respond.send_reset(h2::Reason::REFUSED_STREAM),
            Connector::Dies => return,
            Connector::LostThere => {
                let mut response = Response::new(());
                *response.status_mut() = StatusCode::BAD_GATEWAY;
                let cause = http::HeaderValue::from_static(EdgeError::TunnelFailed.cause());
                response.headers_mut().insert(LINK_ERROR, cause);
                let _ = respond.send_response(response, true);
            }
        }
    }
}

/// Other edges holding the tunnel, each reached over a link to a fake one behaving as given,
/// in turn.
struct Links(std::sync::Mutex<Vec<Connector>>);

#[async_trait::async_trait]
impl Elsewhere for Links {
    async fn pick(&self, tunnel: Uuid, _: Option<&str>, _: bool) -> Result<StreamGuard, EdgeError> {
        let next = self.0.lock().expect("links").pop();
        let behaviour = next.ok_or(EdgeError::TunnelOffline)?;
        Ok(Session::over_link(record(tunnel), sender(behaviour).await))
    }
}

/// HTTP/2 to a fake connector (or edge).
async fn sender(behaviour: Connector) -> h2::client::SendRequest<Bytes> {
    let (edge_side, connector_side) = tokio::io::duplex(1 << 16);
    tokio::spawn(fake_connector(connector_side, behaviour));
    let (sender, connection) = h2::client::handshake(edge_side).await.expect("handshake");
    tokio::spawn(connection);
    sender
}

fn record(tunnel: Uuid) -> SessionRecord {
    SessionRecord {
        session_id: Uuid::new_v4(),
        tunnel_id: tunnel,
        edge_id: "test".into(),
        connector_id: Uuid::new_v4(),
        conn_index: 0,
        version: String::new(),
        connected_at: 0,
        key: String::new(),
    }
}

/// A session of `tunnel` to a fake connector.
async fn session(tunnel: Uuid, behaviour: Connector) -> Arc<Session> {
    Session::new(record(tunnel), sender(behaviour).await)
}

/// An opener over sessions to fake connectors behaving as `behaviours`, in that order of
/// preference (each is picked while the ones before it are busier or left out).
async fn opener_over(tunnel: Uuid, behaviours: &[Connector]) -> (StreamOpener, Vec<Arc<Session>>) {
    opener_with(tunnel, behaviours, Arc::new(Nowhere)).await
}

/// As [`opener_over`], with `elsewhere` for the other edges.
async fn opener_with(
    tunnel: Uuid,
    behaviours: &[Connector],
    elsewhere: Arc<dyn Elsewhere>,
) -> (StreamOpener, Vec<Arc<Session>>) {
    let sessions = Arc::new(Sessions::default());
    let mut made = Vec::new();
    for behaviour in behaviours {
        let session = session(tunnel, *behaviour).await;
        sessions.insert(session.clone());
        made.push(session);
    }
    let config =
        EdgeConfig::parse(Path::new("edge.yml"), "listen:\n  http: 127.0.0.1:0\n").expect("config");
    let opener = StreamOpener::new(sessions, elsewhere, LiveConfig::new(config), Arc::default());
    (opener, made)
}

fn head(method: Method) -> Request<()> {
    Request::builder()
        .method(method)
        .uri("https://app.example.test/")
        .body(())
        .expect("request")
}

/// Opens one stream for `method` with `outgoing`, from the first session picked.
async fn open(
    opener: &StreamOpener,
    tunnel: Uuid,
    method: Method,
    outgoing: Outgoing,
    reach: Reach,
) -> Result<(Answer, StreamGuard), EdgeError> {
    let guard = opener.pick(tunnel, None, reach).await?;
    let replayable = opener.config.get().is_replayable(&method);
    opener
        .open(head(method), outgoing, guard, replayable, reach)
        .await
}

#[tokio::test]
async fn a_stream_refused_unprocessed_goes_to_another_session_whatever_the_method() {
    let tunnel = Uuid::new_v4();
    let (opener, made) = opener_over(tunnel, &[Connector::Refuses, Connector::Answers]).await;
    let body = Outgoing::Buffered(Bytes::from_static(b"a small body, read whole"));
    let (answer, guard) = open(&opener, tunnel, Method::POST, body, Reach::Anywhere)
        .await
        .expect("answered by the second session");
    assert_eq!(answer.response.status(), StatusCode::OK);
    assert!(Arc::ptr_eq(&guard.session, &made[1]));
    // The refusing session is draining now: the next stream goes straight to the other one.
    let next = opener
        .pick(tunnel, None, Reach::Anywhere)
        .await
        .expect("a slot");
    assert!(Arc::ptr_eq(&next.session, &made[1]));
}

/// Opens a GET, then a POST, each on a new opener from `fresh` whose first try is lost after it
/// was sent: the GET goes again (its answer, slot and the opener's sessions are returned), the
/// POST, which the origin may have seen, does not.
async fn only_the_replayable_goes_again<F, Fut>(
    tunnel: Uuid,
    fresh: F,
) -> (Answer, StreamGuard, Vec<Arc<Session>>)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = (StreamOpener, Vec<Arc<Session>>)>,
{
    let (opener, made) = fresh().await;
    let (answer, guard) = open(
        &opener,
        tunnel,
        Method::GET,
        Outgoing::Pipe,
        Reach::Anywhere,
    )
    .await
    .expect("a GET is sent again");
    let (opener, _) = fresh().await;
    let empty = Outgoing::Body(crate::body::empty());
    let lost = open(&opener, tunnel, Method::POST, empty, Reach::Anywhere).await;
    assert!(
        matches!(lost, Err(EdgeError::TunnelFailed)),
        "a POST the origin may have seen is not sent twice: {:?}",
        lost.err()
    );
    (answer, guard, made)
}

#[tokio::test]
async fn a_stream_lost_after_it_was_sent_is_sent_again_only_when_replayable() {
    let tunnel = Uuid::new_v4();
    let fresh = || opener_over(tunnel, &[Connector::Dies, Connector::Answers]);
    let (_, guard, made) = only_the_replayable_goes_again(tunnel, fresh).await;
    assert!(Arc::ptr_eq(&guard.session, &made[1]));
}

#[tokio::test]
async fn a_body_that_started_to_stream_is_never_sent_twice() {
    let tunnel = Uuid::new_v4();
    let (opener, _) = opener_over(tunnel, &[Connector::Refuses, Connector::Answers]).await;
    let streaming = Outgoing::Body(crate::body::full(Bytes::from_static(b"streamed")));
    let refused = open(&opener, tunnel, Method::GET, streaming, Reach::Anywhere).await;
    assert!(
        matches!(refused, Err(EdgeError::TunnelFailed)),
        "{:?}",
        refused.err()
    );
}

#[tokio::test]
async fn a_refused_stream_with_nowhere_else_to_go_is_reported_unprocessed() {
    let tunnel = Uuid::new_v4();
    // Over a link (`Reach::Local`) this is what lets the receiving edge answer REFUSED_STREAM,
    // so the sending edge may send the stream anywhere.
    let (opener, _) = opener_over(tunnel, &[Connector::Refuses]).await;
    let got = open(&opener, tunnel, Method::POST, Outgoing::Pipe, Reach::Local).await;
    assert!(
        matches!(got, Err(EdgeError::TunnelOffline)),
        "{:?}",
        got.err()
    );
    // No session at all, here or elsewhere: offline.
    let (opener, _) = opener_over(tunnel, &[]).await;
    let got = open(
        &opener,
        tunnel,
        Method::GET,
        Outgoing::Pipe,
        Reach::Anywhere,
    )
    .await;
    assert!(matches!(got, Err(EdgeError::TunnelOffline)));
}

#[tokio::test]
async fn a_stream_lost_at_another_edge_is_sent_again_only_when_replayable() {
    let tunnel = Uuid::new_v4();
    // Popped from the end: the first link's edge loses the stream, the second answers.
    let fresh = || {
        let links = Links(vec![Connector::Answers, Connector::LostThere].into());
        opener_with(tunnel, &[], Arc::new(links))
    };
    let (answer, guard, _) = only_the_replayable_goes_again(tunnel, fresh).await;
    assert_eq!(answer.response.status(), StatusCode::OK);
    assert!(guard.session.over_link);
}
