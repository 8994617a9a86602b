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
        &format!("ingress:\n  - service: http://{slow}\n"),
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
