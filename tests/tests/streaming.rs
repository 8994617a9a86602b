//! Bodies stream end to end: nothing is buffered whole. Each test runs in lock step with a side
//! channel, so a proxy that buffers deadlocks and the bounded wait fails the test.

use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use tests::client::{connect, Body, Proto};
use tests::origin;
use tests::tunnel::Setup;
use tokio::sync::mpsc;

type BoxErr = Box<dyn std::error::Error + Send + Sync>;

/// A body fed from a channel, one frame per message.
fn channel_body(rx: mpsc::Receiver<Bytes>) -> Body {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, BoxErr>(Frame::data(b)), rx))
    });
    StreamBody::new(stream).boxed_unsync()
}

const EVENTS: usize = 5;
const STEP: Duration = Duration::from_secs(20);

#[tokio::test]
async fn server_sent_events_arrive_one_by_one() {
    // The origin sends event n+1 only after the client has seen event n.
    let (ack_tx, ack_rx) = mpsc::channel::<usize>(1);
    let ack_rx = std::sync::Arc::new(tokio::sync::Mutex::new(Some(ack_rx)));
    let addr = origin::serve(move |_req: Request<Incoming>| {
        let ack_rx = ack_rx.clone();
        async move {
            let mut acks = ack_rx.lock().await.take().expect("one SSE request");
            let (tx, rx) = mpsc::channel(1);
            tokio::spawn(async move {
                for n in 0..EVENTS {
                    if tx
                        .send(Bytes::from(format!("data: event {n}\n\n")))
                        .await
                        .is_err()
                        || acks.recv().await != Some(n)
                    {
                        return;
                    }
                }
            });
            let mut r = Response::new(channel_body(rx));
            r.headers_mut()
                .insert("content-type", "text/event-stream".parse().unwrap());
            r
        }
    })
    .await;
    let s = Setup::new(
        "",
        &["sse.example.test"],
        &format!("ingress:\n  - service: http://{addr}\n"),
    );
    let (mut conn, _) = connect(
        s.edge.addr("https"),
        Some(("sse.example.test", &s.edge.ca_pem())),
        Proto::Http2,
    )
    .await;
    let req = Request::get("https://sse.example.test/events")
        .body(tests::client::full(""))
        .unwrap();
    let response = conn.send(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let mut seen = String::new();
    for n in 0..EVENTS {
        let want = format!("data: event {n}\n\n");
        while !seen.contains(&want) {
            let frame = tokio::time::timeout(STEP, body.frame())
                .await
                .unwrap_or_else(|_| panic!("event {n} did not arrive: buffered?"))
                .unwrap()
                .unwrap();
            if let Ok(data) = frame.into_data() {
                seen.push_str(&String::from_utf8_lossy(&data));
            }
        }
        ack_tx.send(n).await.unwrap();
    }
}

#[tokio::test]
async fn upload_chunks_reach_the_origin_one_by_one() {
    // The client sends chunk n+1 only after the origin has received chunk n.
    let (got_tx, mut got_rx) = mpsc::channel::<usize>(8);
    let addr = origin::serve(move |req: Request<Incoming>| {
        let got_tx = got_tx.clone();
        async move {
            let mut body = req.into_body();
            let (mut received, mut chunks) = (Vec::new(), 0);
            while let Some(Ok(frame)) = body.frame().await {
                if let Ok(data) = frame.into_data() {
                    received.extend_from_slice(&data);
                    while chunks < EVENTS
                        && received.ends_with(format!("chunk {chunks};").as_bytes())
                    {
                        let _ = got_tx.send(chunks).await;
                        chunks += 1;
                    }
                }
            }
            origin::ok(format!("received {} bytes", received.len()))
        }
    })
    .await;
    let s = Setup::new(
        "",
        &["up.example.test"],
        &format!("ingress:\n  - service: http://{addr}\n"),
    );
    let (mut conn, _) = connect(
        s.edge.addr("https"),
        Some(("up.example.test", &s.edge.ca_pem())),
        Proto::Http1,
    )
    .await;
    let (tx, rx) = mpsc::channel(1);
    let req = Request::post("/upload")
        .header("host", "up.example.test")
        .body(channel_body(rx))
        .unwrap();
    let response = tokio::spawn(async move { conn.send(req).await });
    for n in 0..EVENTS {
        tx.send(Bytes::from(format!("chunk {n};"))).await.unwrap();
        let at_origin = tokio::time::timeout(STEP, got_rx.recv())
            .await
            .unwrap_or_else(|_| panic!("chunk {n} did not reach the origin: buffered?"));
        assert_eq!(at_origin, Some(n));
    }
    drop(tx);
    let response = tokio::time::timeout(STEP, response)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes())
        .into_owned();
    assert_eq!(
        text,
        format!(
            "received {} bytes",
            (0..EVENTS)
                .map(|n| format!("chunk {n};").len())
                .sum::<usize>()
        )
    );
}
