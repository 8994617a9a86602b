//! A misbehaving origin fails only its own requests, and a full tunnel says so (503) instead of
//! queueing.

use std::sync::Arc;

use http::{Request, StatusCode};
use hyper::body::Incoming;
use tests::client::get;
use tests::origin;
use tests::tunnel::Setup;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// An origin that holds every request until `release` is notified.
async fn held_origin(release: Arc<Notify>, arrived: Arc<Notify>) -> std::net::SocketAddr {
    origin::serve(move |_req: Request<Incoming>| {
        let (release, arrived) = (release.clone(), arrived.clone());
        async move {
            arrived.notify_one();
            release.notified().await;
            origin::ok("released")
        }
    })
    .await
}

/// A raw TCP origin that reads the request head and then does `misbehave` to the socket.
async fn raw_origin(
    misbehave: fn(tokio::net::TcpStream) -> futures_util::future::BoxFuture<'static, ()>,
) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                misbehave(tcp).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn reset_huge_headers_and_slow_origins_fail_only_their_own_requests() {
    let (release, arrived) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let slow = held_origin(release.clone(), arrived.clone()).await;
    let reset = raw_origin(|tcp| {
        Box::pin(async move {
            // Linger 0 turns the close into a TCP RST.
            let _ = socket2::SockRef::from(&tcp).set_linger(Some(std::time::Duration::ZERO));
            drop(tcp);
        })
    })
    .await;
    let huge = raw_origin(|mut tcp| {
        Box::pin(async move {
            let head = format!("HTTP/1.1 200 OK\r\nx-huge: {}\r\n\r\n", "h".repeat(2 << 20));
            let _ = tcp.write_all(head.as_bytes()).await;
        })
    })
    .await;
    let healthy = origin::named("healthy").await;
    let ingress = format!(
        "ingress:\n  - hostname: slow.example.test\n    service: http://{slow}\n  - hostname: reset.example.test\n    service: http://{reset}\n  - hostname: huge.example.test\n    service: http://{huge}\n  - service: http://{healthy}\n"
    );
    let hosts = [
        "slow.example.test",
        "reset.example.test",
        "huge.example.test",
        "ok.example.test",
    ];
    let s = Setup::new("", &hosts, &ingress);
    let (https, ca) = (s.edge.addr("https"), s.edge.ca_pem());

    let slow_request = {
        let ca = ca.clone();
        tokio::spawn(async move { get(https, "slow.example.test", &ca, "/").await })
    };
    arrived.notified().await;
    // While the slow origin holds its request, everything else is answered.
    let (status, _, body) = get(https, "reset.example.test", &ca, "/").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    let (status, _, body) = get(https, "huge.example.test", &ca, "/").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    let (status, _, body) = get(https, "ok.example.test", &ca, "/").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.starts_with("origin healthy"), "{body}");
    release.notify_one();
    let (status, _, body) = slow_request.await.unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, "released"));
}

#[tokio::test]
async fn a_tunnel_whose_sessions_are_full_answers_503() {
    let (release, arrived) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let slow = held_origin(release.clone(), arrived.clone()).await;
    let s = Setup::new(
        "max-concurrent-streams: 1\n",
        &["busy.example.test"],
        // One session, so one stream fills the tunnel.
        &format!("ha-connections: 1\ningress:\n  - service: http://{slow}\n"),
    );
    let (https, ca) = (s.edge.addr("https"), s.edge.ca_pem());
    let first = {
        let ca = ca.clone();
        tokio::spawn(async move { get(https, "busy.example.test", &ca, "/").await })
    };
    arrived.notified().await;
    let (status, _, body) = get(https, "busy.example.test", &ca, "/").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("Fault: the tunnel"), "{body}");
    release.notify_one();
    assert_eq!(first.await.unwrap().0, StatusCode::OK);
    // The slot is free again once the first response is done. (The permit stored by this
    // notify lets the origin answer the next request at once.)
    release.notify_one();
    let (status, _, body) = get(https, "busy.example.test", &ca, "/").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "released"));
}

#[tokio::test]
async fn an_origin_cannot_fake_the_tunnels_signals() {
    let liar = origin::serve(|_req: Request<Incoming>| async {
        let mut r = origin::ok("genuine body");
        r.headers_mut()
            .insert("tether-origin-error", "timeout".parse().unwrap());
        r.headers_mut()
            .insert("tether-origin-status", "204".parse().unwrap());
        r
    })
    .await;
    let s = Setup::new(
        "",
        &["liar.example.test"],
        &format!("ingress:\n  - service: http://{liar}\n"),
    );
    let (status, headers, body) = get(
        s.edge.addr("https"),
        "liar.example.test",
        &s.edge.ca_pem(),
        "/",
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "genuine body"));
    assert!(headers.get("tether-origin-error").is_none());
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_gets_413_and_plain_connect_405() {
    use http_body_util::BodyExt;
    let reader = origin::serve(|req: Request<Incoming>| async move {
        let n = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes().len())
            .unwrap_or(0);
        origin::ok(format!("read {n}"))
    })
    .await;
    let s = Setup::new(
        "max-request-body: 1000\n",
        &["limit.example.test"],
        &format!("ingress:\n  - service: http://{reader}\n"),
    );
    let http = s.edge.addr("http");
    // No Content-Length: the edge can only find out while streaming.
    let chunks = futures_util::stream::iter((0..20).map(|_| {
        Ok::<_, std::convert::Infallible>(hyper::body::Frame::data(bytes::Bytes::from(vec![
            b'x';
            100
        ])))
    }));
    let body = http_body_util::StreamBody::new(chunks)
        .map_err(|n| match n {})
        .boxed_unsync();
    let (mut conn, _) = tests::client::connect(http, None, tests::client::Proto::Http1).await;
    let req = Request::post("/")
        .header("host", "limit.example.test")
        .body(body)
        .unwrap();
    let response = conn.send(req).await.unwrap();
    let status = response.status();
    let page = String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes())
        .into_owned();
    assert_eq!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{page}\n{}",
        s.edge.proc.log_text()
    );

    let (mut conn, _) = tests::client::connect(http, None, tests::client::Proto::Http1).await;
    let req = Request::connect("limit.example.test:443")
        .header("host", "limit.example.test:443")
        .body(tests::client::full(""))
        .unwrap();
    assert_eq!(
        conn.send(req).await.unwrap().status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
}
