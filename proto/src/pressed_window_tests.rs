//! A session's sender gets the smaller starting window while the receiving end is short of TCP
//! memory, a reader still gets credit back, and the window comes back afterwards.

use std::time::Duration;

use bytes::Bytes;
use h2::client::SendRequest;
use tokio::sync::mpsc;

use super::*;
use crate::tuning;

/// A session on a pipe: the client end driven by [`drive`] under `short`; the server answers
/// each request with 1 MiB and reports the credit it first got for it.
async fn session(short: watch::Receiver<bool>) -> (SendRequest<Bytes>, mpsc::Receiver<usize>) {
    let (ours, theirs) = tokio::io::duplex(1 << 20);
    let (granted, credits) = mpsc::channel(16);
    tokio::spawn(async move {
        let mut server = tuning::h2_server().handshake::<_, Bytes>(theirs).await?;
        while let Some(Ok((_req, mut respond))) = server.accept().await {
            let send = respond.send_response(http::Response::new(()), false)?;
            tokio::spawn(answer(send, granted.clone()));
        }
        Ok::<_, h2::Error>(())
    });
    let (sender, connection) = tuning::h2_client()
        .handshake::<_, Bytes>(ours)
        .await
        .unwrap();
    tokio::spawn(drive(connection, short));
    (sender, credits)
}

/// Sends 1 MiB as credit comes; the first credit goes to `granted`.
async fn answer(mut send: h2::SendStream<Bytes>, granted: mpsc::Sender<usize>) {
    let mut left = 1 << 20;
    let mut first = Some(granted);
    while left > 0 {
        send.reserve_capacity(left);
        let Some(Ok(credit)) = std::future::poll_fn(|cx| send.poll_capacity(cx)).await else {
            return;
        };
        if let Some(granted) = first.take() {
            let _ = granted.send(credit).await;
        }
        let n = credit.min(left);
        if send.send_data(Bytes::from(vec![0u8; n]), false).is_err() {
            return;
        }
        left -= n;
    }
    std::future::pending::<()>().await
}

/// Opens a stream; returns the credit its answer first got, and the stream.
async fn open(
    sender: &mut SendRequest<Bytes>,
    credits: &mut mpsc::Receiver<usize>,
) -> (usize, h2::RecvStream) {
    let req = http::Request::get("http://app.example.test/")
        .body(())
        .unwrap();
    let (response, _) = sender
        .clone()
        .ready()
        .await
        .unwrap()
        .send_request(req, true)
        .unwrap();
    let credit = credits.recv().await.expect("the server answers");
    (credit, response.await.unwrap().into_body())
}

/// Opens streams until one gets `credit` (the SETTINGS takes a round trip to apply).
async fn until_credit(
    sender: &mut SendRequest<Bytes>,
    credits: &mut mpsc::Receiver<usize>,
    credit: usize,
) -> h2::RecvStream {
    let wait = async {
        loop {
            let (got, body) = open(sender, credits).await;
            if got == credit {
                return body;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("no stream got {credit} bytes of credit"))
}

#[tokio::test]
async fn while_short_a_new_stream_starts_small_and_a_reader_still_gets_credit() {
    let (short, watched) = watch::channel(true);
    let (mut sender, mut credits) = session(watched).await;
    let mut body = until_credit(&mut sender, &mut credits, PRESSED_WINDOW_START as usize).await;
    // The reader takes what came and gives it back: more follows.
    let mut taken = 0;
    while taken <= PRESSED_WINDOW_START as usize {
        let data = tokio::time::timeout(Duration::from_secs(10), body.data())
            .await
            .expect("data keeps coming to a reader")
            .expect("the stream goes on")
            .unwrap();
        taken += data.len();
        body.flow_control().release_capacity(data.len()).unwrap();
    }
    short.send(false).unwrap();
    let _restored = until_credit(&mut sender, &mut credits, STREAM_WINDOW_START as usize).await;
}

#[tokio::test]
async fn streams_opened_once_short_start_small() {
    let (short, watched) = watch::channel(false);
    let (mut sender, mut credits) = session(watched).await;
    let (first, _body) = open(&mut sender, &mut credits).await;
    assert_eq!(first, STREAM_WINDOW_START as usize);
    short.send(true).unwrap();
    let _small = until_credit(&mut sender, &mut credits, PRESSED_WINDOW_START as usize).await;
}

#[test]
fn publishing_says_short_only_over_the_low_mark() {
    let memory = |pages| TcpMemory {
        pages,
        low: 800,
        pressure: 1_000,
    };
    let shortage = Shortage::default();
    let watched = shortage.subscribe();
    shortage.publish(Some(memory(900)));
    assert!(*watched.borrow());
    assert_eq!(shortage.start(), PRESSED_WINDOW_START);
    shortage.publish(Some(memory(800)));
    assert!(!*watched.borrow());
    assert_eq!(shortage.start(), STREAM_WINDOW_START);
    shortage.publish(Some(memory(900)));
    shortage.publish(None);
    assert!(!*watched.borrow());
}
