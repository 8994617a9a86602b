//! Slow clients cost the edge only their own share: a request body that trickles in fails with
//! 408 and holds no stream of the tunnel meanwhile (`body-read-timeout`), a thousand connections
//! that never finish their headers leave everyone else served (`header-read-timeout`), and
//! responses their clients stopped reading are reset, so the tunnel keeps serving others
//! (`send-timeout`, `max-stalled-streams-per-client`). Attackers are 127.0.1.x and up; the good
//! client is 127.0.0.1.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
use tests::client::{full, request_from};
use tests::origin::{ok, serve};
use tests::tunnel::{TestConnector, TestEdge};
use tests::READY;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const HOST: &str = "app.example.test";
/// What `/big` sends: far more than the socket buffers and a stream window hold.
const BIG: usize = 64 << 20;
const CHUNK: usize = 64 << 10;

/// An edge (with metrics and `extra`) and one connector session (`ha-connections: 1`, so every
/// stream shares one session window) to an origin that reads request bodies whole and serves
/// `BIG` bytes on `/big`. Returns the count of requests the origin saw.
async fn app(extra: &str) -> (TestEdge, TestConnector, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counted = seen.clone();
    let origin = serve(move |req: Request<Incoming>| {
        let seen = counted.clone();
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            if req.uri().path() == "/big" {
                let chunks = (0..BIG / CHUNK).map(|_| {
                    Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from_static(
                        &[b'x'; CHUNK],
                    )))
                });
                let body = StreamBody::new(futures_util::stream::iter(chunks));
                return Response::new(body.map_err(|n| match n {}).boxed_unsync());
            }
            match req.into_body().collect().await {
                Ok(body) => ok(format!("read {}", body.to_bytes().len())),
                Err(_) => ok("body failed"),
            }
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let edge = TestEdge::start_with(dir, "  metrics: 127.0.0.1:0\n", extra, "127.0.0.1:0");
    let tunnel = edge.create_tunnel("t");
    let connector = edge.connect(
        &tunnel,
        &format!("ha-connections: 1\ningress:\n  - service: http://{origin}\n"),
    );
    edge.route(&tunnel, HOST);
    (edge, connector, seen)
}

/// An attacker's address: 127.0.1.1 and up, 250 per /24.
fn attacker(n: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        127,
        1 + (n / 250) as u8,
        0,
        1 + (n % 250) as u8,
    ))
}

/// A TCP connection to `addr` from `source`, with a receive buffer as small as the kernel
/// allows when `small_buffer` (a client that stops reading then holds little in its socket).
async fn dial(source: IpAddr, addr: SocketAddr, small_buffer: bool) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    if small_buffer {
        socket.set_recv_buffer_size(4096).unwrap();
    }
    socket.bind(SocketAddr::new(source, 0)).unwrap();
    socket.connect(addr).await.expect("connect to the edge")
}

/// Reads until `needle` has arrived (bounded); what was read.
async fn read_until(tcp: &mut TcpStream, needle: &str) -> String {
    let mut seen = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains(needle) {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(READY, read)
        .await
        .expect("read in time");
    String::from_utf8_lossy(&seen).into_owned()
}

async fn metric(edge: &TestEdge, line_start: &str) -> u64 {
    let page = tests::client::metrics_page(edge.addr("metrics")).await;
    tests::client::metric_value(&page, line_start)
}

/// Waits (bounded) until the counter starting `line_start` reaches `n`; its value.
async fn wait_metric(edge: &TestEdge, line_start: &str, n: u64) -> u64 {
    let deadline = tokio::time::Instant::now() + 2 * READY;
    loop {
        let value = metric(edge, line_start).await;
        if value >= n || tokio::time::Instant::now() > deadline {
            return value;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Downloads `/big` from 127.0.0.1 over HTTP/1.1; the bytes received.
async fn download(edge: &TestEdge) -> usize {
    let tcp = TcpStream::connect(edge.addr("http")).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::get("/big").header("host", HOST).body(full(""));
    let response = send.send_request(req.unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let mut got = 0;
    while let Some(frame) = body.frame().await {
        got += frame.unwrap().data_ref().map_or(0, |d| d.len());
    }
    got
}

#[tokio::test]
async fn a_slow_request_body_gets_408_and_holds_no_stream_while_it_trickles() {
    // One stream per session and one session: a body holding the stream would block the GET.
    let (edge, _connector, seen) = app("body-read-timeout: 1s\nmax-concurrent-streams: 1\n").await;
    let http = edge.addr("http");

    // A small body: 10 of its 100 bytes, then nothing.
    let mut small = dial(attacker(0), http, false).await;
    let head = format!("POST / HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 100\r\n\r\n0123456789");
    small.write_all(head.as_bytes()).await.unwrap();
    // Meanwhile the tunnel's only stream is free for others.
    let (status, _, body) = request_from("127.0.0.1".parse().unwrap(), http, HOST, &[]).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "read 0"));
    let answer = read_until(&mut small, "\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(
        seen.load(Ordering::SeqCst),
        1,
        "the slow small body never reached the origin"
    );

    // A large body streams to the origin; when it stalls, its stream is reset and the client
    // gets 408 too.
    let mut large = dial(attacker(1), http, false).await;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {}\r\n\r\n",
        1 << 20
    );
    large.write_all(head.as_bytes()).await.unwrap();
    large.write_all(&vec![b'y'; 200 << 10]).await.unwrap();
    let answer = read_until(&mut large, "\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(
        metric(&edge, "tether_edge_errors_total{cause=\"body_timeout\"}").await,
        2
    );
}

#[tokio::test]
async fn a_thousand_slow_header_connections_do_not_stop_other_clients() {
    let (edge, _connector, _) = app("header-read-timeout: 3s\n").await;
    let http = edge.addr("http");
    let mut slow = Vec::new();
    for n in 0..1000 {
        let mut tcp = dial(attacker(n), http, false).await;
        tcp.write_all(format!("GET / HTTP/1.1\r\nHost: {HOST}\r\nX-Slow: ").as_bytes())
            .await
            .unwrap();
        slow.push(tcp);
    }
    // Everyone else is served while the thousand hang.
    for _ in 0..3 {
        let (status, _, _) = request_from("127.0.0.1".parse().unwrap(), http, HOST, &[]).await;
        assert_eq!(status, StatusCode::OK);
    }
    // And the thousand are closed by the header read timeout, not held for ever.
    for mut tcp in slow {
        let mut rest = Vec::new();
        let ended = tokio::time::timeout(READY, tcp.read_to_end(&mut rest)).await;
        assert!(ended.is_ok(), "a slow-header connection was closed");
        assert!(!String::from_utf8_lossy(&rest).contains("200 OK"));
    }
}

/// Starts `n` downloads of `/big` from `source(i)` that never read a byte of the response.
async fn stalled_downloads(
    edge: &TestEdge,
    n: usize,
    source: impl Fn(usize) -> IpAddr,
) -> Vec<TcpStream> {
    let mut stalled = Vec::new();
    for i in 0..n {
        let mut tcp = dial(source(i), edge.addr("http"), true).await;
        let head = format!("GET /big HTTP/1.1\r\nHost: {HOST}\r\n\r\n");
        tcp.write_all(head.as_bytes()).await.unwrap();
        stalled.push(tcp);
    }
    stalled
}

#[tokio::test]
async fn responses_their_clients_stopped_reading_are_reset_after_send_timeout() {
    let (edge, _connector, _) = app("send-timeout: 2s\n").await;
    // 60 stalled streams pin their starting windows (128 KiB each) of the session, no more.
    let stalled = stalled_downloads(&edge, 60, attacker).await;
    let got = tokio::time::timeout(READY, download(&edge)).await;
    assert_eq!(
        got.expect("the good download finishes while 60 clients read nothing"),
        BIG
    );
    // And they do not hold even that for ever.
    let reset = wait_metric(
        &edge,
        "tether_edge_limited_total{limit=\"send_timeout\"}",
        60,
    )
    .await;
    assert_eq!(reset, 60, "every stalled response was reset");
    // Their connections are gone too, aborted: hyper held each (and what the edge held unsent
    // for it) until its client read or left, trying to flush the cut response.
    let clients: Vec<u16> = stalled
        .iter()
        .map(|tcp| tcp.local_addr().unwrap().port())
        .collect();
    let edge_port = edge.addr("http").port();
    tests::tcp::wait_sockets_gone(edge_port, &clients, "a reset response").await;
}

#[tokio::test]
async fn one_address_leaves_at_most_its_share_of_responses_unread() {
    // send-timeout stays at its 60 s: only the per-client cap resets anything before it.
    let (edge, _connector, _) = app("").await;
    let one = attacker(7);
    let _stalled = stalled_downloads(&edge, 60, |_| one).await;
    let got = tokio::time::timeout(READY, download(&edge)).await;
    assert_eq!(
        got.expect("the good download finishes while one address reads nothing"),
        BIG
    );
    let reset = wait_metric(
        &edge,
        "tether_edge_limited_total{limit=\"stalled_streams\"}",
        52,
    )
    .await;
    assert_eq!(
        reset, 52,
        "the address's stalled responses past 8 were reset"
    );
    let timed_out = metric(&edge, "tether_edge_limited_total{limit=\"send_timeout\"}").await;
    assert_eq!(timed_out, 0, "no response waited 60 s");
}
