//! Timeouts bound what they should and nothing else: `response-header-timeout` never limits a
//! streaming body, `idle-timeout` closes a connection only while nothing is open on it, and
//! `stream-idle-timeout` closes a WebSocket that carries nothing either way.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tests::client::{full, tls_connect, Proto};
use tests::origin;
use tests::tunnel::Setup;

#[tokio::test]
async fn a_quiet_stream_outlives_both_timeouts_and_an_idle_connection_is_closed() {
    // Headers at once, then 2 s of silence (twice both timeouts), then the last event.
    let addr = origin::serve(|_req: Request<Incoming>| async {
        let stream = futures_util::stream::unfold(0u8, |n| async move {
            match n {
                0 => Some((
                    Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from("data: first\n\n"))),
                    1,
                )),
                1 => {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    Some((Ok(Frame::data(Bytes::from("data: last\n\n"))), 2))
                }
                _ => None,
            }
        });
        Response::new(
            StreamBody::new(stream)
                .map_err(|n| match n {})
                .boxed_unsync(),
        )
    })
    .await;
    let s = Setup::new(
        "idle-timeout: 1s\nresponse-header-timeout: 1s\n",
        &["quiet.example.test"],
        &format!("ingress:\n  - service: http://{addr}\n"),
    );

    let tls = tls_connect(
        s.edge.addr("https"),
        "quiet.example.test",
        &s.edge.ca_pem(),
        Proto::Http2,
    )
    .await;
    let (mut send, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .handshake(TokioIo::new(tls))
        .await
        .unwrap();
    let connection = tokio::spawn(conn);

    let response = send
        .send_request(
            Request::get("https://quiet.example.test/events")
                .body(full(""))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the quiet stream must not be cut")
        .to_bytes();
    assert_eq!(body, Bytes::from("data: first\n\ndata: last\n\n"));

    // Nothing is open now: the edge closes the connection after about a second.
    let idle_since = Instant::now();
    tokio::time::timeout(tests::READY, connection)
        .await
        .expect("idle connection closed")
        .unwrap()
        .unwrap();
    let idle = idle_since.elapsed();
    eprintln!("idle connection closed after {idle:?}");
    assert!(
        idle >= Duration::from_millis(900),
        "closed before the idle timeout: {idle:?}"
    );
}

#[tokio::test]
async fn a_websocket_that_carries_nothing_is_closed_after_stream_idle_timeout() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let echo = origin::websocket_echo().await;
    let s = Setup::new(
        "stream-idle-timeout: 1s\n",
        &["ws.example.test"],
        &format!("ingress:\n  - service: http://{echo}\n"),
    );
    let tcp = tokio::net::TcpStream::connect(s.edge.addr("http"))
        .await
        .unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async("ws://ws.example.test/echo", tcp)
        .await
        .unwrap();
    // Traffic keeps it open past the timeout.
    let mut quiet_since = Instant::now();
    for n in 0..4 {
        ws.send(Message::text(format!("ping {n}"))).await.unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::text(format!("ping {n}"))
        );
        quiet_since = Instant::now();
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let ended = tokio::time::timeout(tests::READY, async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the quiet WebSocket was closed");
    let quiet = quiet_since.elapsed();
    assert!(
        quiet >= Duration::from_millis(900),
        "closed before the idle timeout: {quiet:?}"
    );
}
