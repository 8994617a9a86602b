//! Windows over a real h2 connection (both ends in process, over an in-memory pipe): a reader
//! that never reads holds the starting window and no more; one that keeps up grows its stream's
//! window; growth comes out of the budget and goes back to it.

use std::future::poll_fn;
use std::time::Duration;

use bytes::Bytes;
use h2::{RecvStream, SendStream};
use http_body_util::BodyExt;

use super::*;
use crate::h2body::{poll_send, RecvBody};
use crate::tuning::{h2_client, h2_server, SEND_BUFFER, STREAM_WINDOW, STREAM_WINDOW_START};

/// A response stream from an h2 server to an h2 client with the session settings: the server's
/// sending half and the client's receiving half.
async fn stream_pair() -> (SendStream<Bytes>, RecvStream) {
    let (a, b) = tokio::io::duplex(1 << 20);
    let (mut client, conn) = h2_client().handshake::<_, Bytes>(a).await.unwrap();
    tokio::spawn(conn);
    let server = tokio::spawn(async move {
        let mut conn = h2_server().handshake::<_, Bytes>(b).await.unwrap();
        let (_req, mut respond) = conn.accept().await.unwrap().unwrap();
        let send = respond
            .send_response(http::Response::new(()), false)
            .unwrap();
        tokio::spawn(async move { while conn.accept().await.is_some() {} });
        send
    });
    let request = http::Request::get("http://t.example/").body(()).unwrap();
    let (response, _) = client.send_request(request, true).unwrap();
    tokio::spawn(async move { client.ready().await });
    let send = server.await.unwrap();
    let recv = response.await.unwrap().into_body();
    (send, recv)
}

/// Sends `total` bytes as the peer's windows allow; returns the largest capacity h2 assigned at
/// once (which is at most the stream's window at that moment).
async fn send_all(mut send: SendStream<Bytes>, total: usize) -> usize {
    let (mut sent, mut largest) = (0, 0);
    while sent < total {
        let n = (total - sent).min(STREAM_WINDOW as usize);
        send.reserve_capacity(n);
        poll_fn(|cx| {
            while send.capacity() == 0 {
                std::task::ready!(send.poll_capacity(cx));
            }
            std::task::Poll::Ready(())
        })
        .await;
        largest = largest.max(send.capacity());
        let mut chunk = Bytes::from(vec![7u8; send.capacity().min(n)]);
        sent += chunk.len();
        poll_fn(|cx| poll_send(&mut send, &mut chunk, sent == total, None, cx))
            .await
            .unwrap();
    }
    largest
}

#[tokio::test]
async fn a_reader_that_never_reads_holds_the_starting_window_and_no_more() {
    let (send, mut recv) = stream_pair().await;
    let sender = tokio::spawn(send_all(send, 8 << 20));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while recv.flow_control().used_capacity() < STREAM_WINDOW_START as usize {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first window never arrived"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Nothing was released, so no WINDOW_UPDATE can let the sender past the starting window.
    assert_eq!(
        recv.flow_control().used_capacity(),
        STREAM_WINDOW_START as usize
    );
    assert!(!sender.is_finished());
    sender.abort();
}

#[tokio::test]
async fn a_reader_that_keeps_up_grows_its_window_to_the_largest() {
    let (send, recv) = stream_pair().await;
    let sender = tokio::spawn(send_all(send, 64 << 20));
    let body = RecvBody::new(recv).collect().await.unwrap().to_bytes();
    assert_eq!(body.len(), 64 << 20);
    let largest = sender.await.unwrap();
    // Capacity is at most the window, and at most h2's send buffer (1 MiB): reaching the
    // buffer means the window grew from 128 KiB through three doublings at least.
    assert!(
        largest >= SEND_BUFFER,
        "the window did not grow past {SEND_BUFFER} ({largest} bytes at once)"
    );
}

#[tokio::test]
async fn growth_comes_out_of_the_budget_and_goes_back() {
    static BUDGET: GrowthBudget = GrowthBudget::new(STREAM_WINDOW_START as u64);
    let (send, mut recv) = stream_pair().await;
    let sender = tokio::spawn(send_all(send, 16 << 20));
    let mut window = RecvWindow::new(&BUDGET);
    let mut got = 0usize;
    while got < 16 << 20 {
        let data = match poll_fn(|cx| {
            let polled = recv.poll_data(cx);
            if polled.is_pending() {
                window.starved(&mut recv);
            }
            polled
        })
        .await
        {
            Some(data) => data.unwrap(),
            None => break,
        };
        got += data.len();
        window.taken(&mut recv, data.len());
    }
    sender.await.unwrap();
    assert_eq!(got, 16 << 20);
    // One doubling fits this budget; the next does not.
    assert_eq!(window.window(), 2 * STREAM_WINDOW_START);
    assert_eq!(BUDGET.in_use(), u64::from(STREAM_WINDOW_START));
    drop(window);
    assert_eq!(BUDGET.in_use(), 0);
}
