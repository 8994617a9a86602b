//! HTTP/2 floods on the public port end the flooding connection, not the edge: streams opened
//! and reset at once (rapid reset, CVE-2023-44487) get GOAWAY ENHANCE_YOUR_CALM, and a header
//! block continued for ever (CONTINUATION flood) is cut at the header list cap. Other clients
//! are served throughout. The frames are written by hand: no HTTP/2 client library sends them.

use std::net::SocketAddr;

use tests::client::request_from;
use tests::h2frames::{
    self, ending, frame, End, CANCEL, CONTINUATION, END_HEADERS, END_STREAM, HEADERS, PREFACE,
    RST_STREAM, SETTINGS,
};
use tests::origin::{ok, serve};
use tests::tunnel::{TestConnector, TestEdge};
use tests::READY;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const HOST: &str = "app.example.test";
const ENHANCE_YOUR_CALM: u32 = 0xb;

fn request_block() -> Vec<u8> {
    h2frames::request_block(HOST)
}

async fn app() -> (TestEdge, TestConnector, SocketAddr) {
    let origin = serve(|_req| async { ok("hello") }).await;
    let edge = TestEdge::start("");
    let connector = edge.serve_origin(origin, HOST);
    let http = edge.addr("http");
    (edge, connector, http)
}

/// Reads frames until GOAWAY (its error code) or the end of the connection (`None`).
async fn goaway(mut read: tokio::net::tcp::OwnedReadHalf) -> Option<u32> {
    match ending(&mut read, 0).await? {
        End::GoAway(code) => Some(code),
        End::Reset(_) => None,
    }
}

async fn served(http: SocketAddr) {
    let (status, _, body) = request_from("127.0.0.1".parse().unwrap(), http, HOST, &[]).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "hello"));
}

#[tokio::test]
async fn streams_reset_as_soon_as_opened_get_goaway_enhance_your_calm() {
    let (_edge, _connector, http) = app().await;
    served(http).await;
    let (read, mut write) = TcpStream::connect(http).await.unwrap().into_split();
    let reader = tokio::spawn(goaway(read));
    let mut flood = PREFACE.to_vec();
    flood.extend(frame(SETTINGS, 0, 0, &[]));
    let block = request_block();
    for n in 0..5000u32 {
        let stream = 2 * n + 1;
        flood.extend(frame(HEADERS, END_STREAM | END_HEADERS, stream, &block));
        flood.extend(frame(RST_STREAM, 0, stream, &CANCEL.to_be_bytes()));
    }
    // The edge may close before it has read everything.
    let _ = write.write_all(&flood).await;
    let code = tokio::time::timeout(READY, reader)
        .await
        .expect("the edge answered the flood in time")
        .unwrap();
    assert_eq!(code, Some(ENHANCE_YOUR_CALM), "GOAWAY ENHANCE_YOUR_CALM");
    served(http).await;
}

#[tokio::test]
async fn a_header_block_continued_for_ever_is_cut_off() {
    let (_edge, _connector, http) = app().await;
    let (read, mut write) = TcpStream::connect(http).await.unwrap().into_split();
    let reader = tokio::spawn(goaway(read));
    let mut start = PREFACE.to_vec();
    start.extend(frame(SETTINGS, 0, 0, &[]));
    start.extend(frame(HEADERS, END_STREAM, 1, &request_block()));
    write.write_all(&start).await.unwrap();
    // 16 KiB CONTINUATION frames of `x-a: vvv…` fields, never END_HEADERS: up to 64 MiB, a
    // thousand times the edge's 64 KiB header list cap.
    let mut field = vec![0x00, 3, b'x', b'-', b'a', 100];
    field.extend([b'v'; 100]);
    let payload: Vec<u8> = field.iter().copied().cycle().take(16 << 10).collect();
    let continuation = frame(CONTINUATION, 0, 1, &payload);
    let total = 4096;
    let flood = async {
        let mut sent = 0;
        while sent < total && write.write_all(&continuation).await.is_ok() {
            sent += 1;
        }
        sent
    };
    let sent = tokio::time::timeout(READY, flood)
        .await
        .expect("the edge neither reads for ever nor stalls the writer");
    let code = tokio::time::timeout(READY, reader)
        .await
        .expect("the connection ended in time")
        .unwrap();
    assert!(
        sent < total,
        "the edge cut the block off before 64 MiB (after {sent} frames)"
    );
    // h2 answers a header block past the cap with GOAWAY (PROTOCOL_ERROR), then closes.
    assert!(code.is_some(), "the edge said GOAWAY before it closed");
    served(http).await;
}

#[tokio::test]
async fn streams_reset_one_by_one_after_the_edge_took_them_end_the_connection() {
    // The origin reports each request for /slow and never answers it; others get "hello".
    let (seen, mut requests) = tokio::sync::mpsc::unbounded_channel();
    let origin = serve(move |req: http::Request<hyper::body::Incoming>| {
        let slow = req.uri().path() == "/slow";
        if slow {
            let _ = seen.send(());
        }
        async move {
            if slow {
                std::future::pending::<()>().await;
            }
            ok("hello")
        }
    })
    .await;
    let edge = TestEdge::start("");
    let _connector = edge.serve_origin(origin, HOST);
    let http = edge.addr("http");
    let (read, mut write) = TcpStream::connect(http).await.unwrap().into_split();
    let mut reader = tokio::spawn(goaway(read));
    let mut start = PREFACE.to_vec();
    start.extend(frame(SETTINGS, 0, 0, &[]));
    write.write_all(&start).await.unwrap();
    let mut block = vec![0x82, 0x86, 0x04, 5];
    block.extend(b"/slow");
    block.extend([0x01, HOST.len() as u8]);
    block.extend(HOST.as_bytes());
    // Each stream is reset only once the request reached the origin: the edge took it, so h2's
    // own limit (streams reset before they were taken) never counts it.
    let mut opened = 0u32;
    for n in 0..1000u32 {
        let stream = 2 * n + 1;
        if write
            .write_all(&frame(HEADERS, END_STREAM | END_HEADERS, stream, &block))
            .await
            .is_err()
        {
            break;
        }
        opened += 1;
        tokio::select! {
            got = requests.recv() => got.expect("the origin runs"),
            _ = &mut reader => break,
        }
        if write
            .write_all(&frame(RST_STREAM, 0, stream, &CANCEL.to_be_bytes()))
            .await
            .is_err()
        {
            break;
        }
    }
    // Past 200 cancelled within 10 s, the edge resets the connection.
    assert!(reader.is_finished() || tokio::time::timeout(READY, &mut reader).await.is_ok());
    assert!(
        (201..=203).contains(&opened),
        "{opened} streams opened before the connection ended"
    );
    served(http).await;
}
