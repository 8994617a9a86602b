//! Request framing the edge must refuse itself (#30). HTTP/1.1: a chunked body the client
//! malformed is its fault (400, counted as `bad_request`), not the tunnel's (502,
//! `tunnel_failed`), and a client that goes away mid-body is counted as `client_closed`; a
//! `Transfer-Encoding` other than `chunked` alone is refused before it can frame a body the
//! origin reads differently. HTTP/2: a `host` that differs from `:authority` is malformed.

use http::Request;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tests::client::{metric_value as counter, metrics_page};
use tests::origin::{ok, serve};
use tests::tunnel::TestEdge;
use tests::READY;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HOST: &str = "app.example.test";

/// Sends `request` as it is and returns the status of the answer.
async fn status_of(edge: &TestEdge, request: &str) -> u16 {
    let mut tcp = TcpStream::connect(edge.addr("http")).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(READY, tcp.read_to_end(&mut answer))
        .await
        .expect("an answer in time");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}

/// The value of the edge's counter `tether_edge_errors_total{cause="CAUSE"}`, 0 when absent.
async fn errors(edge: &TestEdge, cause: &str) -> u64 {
    let page = metrics_page(edge.addr("metrics")).await;
    counter(
        &page,
        &format!("tether_edge_errors_total{{cause=\"{cause}\"}}"),
    )
}

#[tokio::test]
async fn a_body_the_client_framed_badly_is_its_fault() {
    // The origin reads the whole body before it answers.
    let origin = serve(|req: Request<Incoming>| async move {
        match req.into_body().collect().await {
            Ok(body) => ok(format!("read {}", body.to_bytes().len())),
            Err(_) => ok("body failed"),
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let edge = TestEdge::start_with(dir, "  metrics: 127.0.0.1:0\n", "", "127.0.0.1:0");
    let _connector = edge.serve_origin(origin, HOST);
    let head = |te: &str| {
        format!("POST / HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: {te}\r\nConnection: close\r\n\r\n")
    };
    // Well framed, it goes through: the setup works.
    let good = format!("{}5\r\nhello\r\n0\r\n\r\n", head("chunked"));
    assert_eq!(status_of(&edge, &good).await, 200);
    let bad = [
        // A chunk size that overflows 64 bits.
        format!(
            "{}fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
            head("chunked")
        ),
        // Chunk lines ended by LF alone.
        format!("{}5\nhello\n0\n\n", head("chunked")),
        // A coding before chunked: hyper would frame it as plain chunked.
        format!("{}5\r\nhello\r\n0\r\n\r\n", head("identity, chunked")),
        format!("{}5\r\nhello\r\n0\r\n\r\n", head("gzip, chunked")),
    ];
    for request in &bad {
        assert_eq!(status_of(&edge, request).await, 400, "{request:?}");
    }
    assert_eq!(errors(&edge, "bad_request").await, bad.len() as u64);
    // Clients that go away mid-body: a small declared body (read whole before the tunnel),
    // a large one (streamed), a chunked one.
    let length =
        |n: usize| format!("POST / HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {n}\r\n\r\n");
    let gone = [
        format!("{}{}", length(1000), "x".repeat(100)),
        format!("{}{}", length(1 << 20), "x".repeat(100 << 10)),
        format!("{}5\r\nhel", head("chunked")),
    ];
    for (n, request) in gone.iter().enumerate() {
        let mut tcp = TcpStream::connect(edge.addr("http")).await.unwrap();
        tcp.write_all(request.as_bytes()).await.unwrap();
        if n == 1 {
            // This one resets its connection rather than closing it.
            socket2::SockRef::from(&tcp)
                .set_linger(Some(std::time::Duration::ZERO))
                .unwrap();
        }
        drop(tcp);
    }
    let deadline = tokio::time::Instant::now() + READY;
    while errors(&edge, "client_closed").await < gone.len() as u64 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "aborts not counted as client_closed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(errors(&edge, "tunnel_failed").await, 0);
    assert_eq!(errors(&edge, "bad_request").await, bad.len() as u64);
}

/// An edge and connector routing `HOST` to an origin that answers "hello".
async fn hello() -> tests::tunnel::Setup {
    let origin = serve(|_req: Request<Incoming>| async move { ok("hello") }).await;
    tests::tunnel::Setup::new(
        "",
        &[HOST],
        &format!("ingress:\n  - service: http://{origin}\n"),
    )
}

#[tokio::test]
async fn an_http2_host_that_differs_from_the_authority_is_malformed() {
    let setup = hello().await;
    let (mut conn, _) =
        tests::client::connect(setup.edge.addr("http"), None, tests::client::Proto::Http2).await;
    for (host, wanted) in [(HOST, 200), ("evil.example.test", 400)] {
        let req = Request::builder()
            .uri(format!("http://{HOST}/"))
            .header(http::header::HOST, host)
            .body(tests::client::full(""))
            .unwrap();
        let status = conn.send(req).await.unwrap().status();
        assert_eq!(status.as_u16(), wanted, "Host: {host}");
    }
}

/// What comes back for an HTTP/1.1 request written on a TLS connection that agreed on `proto`.
async fn http1_request_over(setup: &tests::tunnel::Setup, proto: tests::client::Proto) -> String {
    let addr = setup.edge.addr("https");
    let ca = setup.edge.ca_pem();
    let mut tls = tests::client::tls_connect(addr, HOST, &ca, proto).await;
    let head = format!("GET / HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n");
    tls.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(READY, tls.read_to_end(&mut answer))
        .await
        .expect("an answer or a close in time");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn after_alpn_h2_only_http2_is_spoken() {
    let setup = hello().await;
    let h1 = http1_request_over(&setup, tests::client::Proto::Http1).await;
    assert!(h1.starts_with("HTTP/1.1 200"), "{h1}");
    // RFC 9113 §3.4: without the HTTP/2 preface the connection fails; no HTTP/1.1 answer.
    let h2 = http1_request_over(&setup, tests::client::Proto::Http2).await;
    assert!(!h2.contains("HTTP/1.1"), "{h2}");
}

#[tokio::test]
async fn clients_that_abandon_uploads_are_counted_as_gone_at_both_ends() {
    // The origin reports each request it starts, then reads its body.
    let (started, mut starts) = tokio::sync::mpsc::unbounded_channel();
    let origin = serve(move |req: Request<Incoming>| {
        let _ = started.send(());
        async move {
            let read = req.into_body().collect().await;
            ok(if read.is_ok() { "read" } else { "body failed" })
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let edge = TestEdge::start_with(dir, "  metrics: 127.0.0.1:0\n", "", "127.0.0.1:0");
    let connector = edge.serve_origin(origin, HOST);
    const EACH: u64 = 10;
    for _ in 0..EACH {
        // HTTP/1.1: a large body, streamed; the client resets its connection mid-way.
        let mut tcp = TcpStream::connect(edge.addr("http")).await.unwrap();
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {}\r\n\r\n",
            1 << 20
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        tcp.write_all(&[b'x'; 64 << 10]).await.unwrap();
        tokio::time::timeout(READY, starts.recv()).await.unwrap();
        tests::tcp::abort(tcp);
        // HTTP/2: the client resets its stream mid-body.
        let (mut conn, _) =
            tests::client::connect(edge.addr("http"), None, tests::client::Proto::Http2).await;
        let (mut body, channel) = http_body_util::channel::Channel::<
            bytes::Bytes,
            Box<dyn std::error::Error + Send + Sync>,
        >::new(1);
        let req = Request::post(format!("http://{HOST}/"))
            .body(http_body_util::BodyExt::boxed_unsync(channel))
            .unwrap();
        let response = tokio::spawn(async move { conn.send(req).await });
        body.send_data(bytes::Bytes::from(vec![b'x'; 64 << 10]))
            .await
            .unwrap();
        tokio::time::timeout(READY, starts.recv()).await.unwrap();
        body.abort("the client gave up".into());
        let _ = response.await;
    }
    let connector_metrics: std::net::SocketAddr = connector.status_address().parse().unwrap();
    let deadline = tokio::time::Instant::now() + READY;
    let (edge_page, connector_page) = loop {
        let edge_page = metrics_page(edge.addr("metrics")).await;
        let connector_page = metrics_page(connector_metrics).await;
        let gone = counter(
            &edge_page,
            "tether_edge_errors_total{cause=\"client_closed\"}",
        );
        let answered = counter(
            &connector_page,
            "tether_connector_requests_total{status=\"4xx\"}",
        );
        if gone >= 2 * EACH && answered >= 2 * EACH || tokio::time::Instant::now() > deadline {
            break (edge_page, connector_page);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        counter(
            &edge_page,
            "tether_edge_errors_total{cause=\"client_closed\"}"
        ),
        2 * EACH
    );
    assert_eq!(
        counter(
            &edge_page,
            "tether_edge_errors_total{cause=\"tunnel_failed\"}"
        ),
        0
    );
    // The connector saw the stream's body end at the edge: not the origin's failure.
    assert_eq!(
        counter(
            &connector_page,
            "tether_connector_requests_total{status=\"4xx\"}"
        ),
        2 * EACH
    );
    assert_eq!(
        counter(
            &connector_page,
            "tether_connector_requests_total{status=\"5xx\"}"
        ),
        0
    );
    assert!(
        !connector_page.contains("tether_connector_origin_errors_total{"),
        "{connector_page}"
    );
    assert!(!edge
        .proc
        .log_text()
        .contains("stream failed on the tunnel session"));
}
