//! A session's sender gets the smaller starting window while the receiving end is short of TCP
//! memory, a reader still gets credit back, and the window comes back afterwards.

use std::time::Duration;

use bytes::Bytes;
use h2::client::SendRequest;
use tokio::sync::{mpsc, oneshot};

use super::*;
use crate::tuning;

/// Where the first answer stops until told to go on: after how many bytes, and the word.
type Pause = Option<(usize, oneshot::Receiver<()>)>;

/// A session on a pipe: the client end driven by [`drive`] under `short`; the server answers
/// each request with 1 MiB (the first one with `pause`) and reports the credit it first got
/// for it.
async fn session(
    short: watch::Receiver<bool>,
    mut pause: Pause,
) -> (SendRequest<Bytes>, mpsc::Receiver<usize>) {
    let (ours, theirs) = tokio::io::duplex(1 << 20);
    let (granted, credits) = mpsc::channel(16);
    tokio::spawn(async move {
        let mut server = tuning::h2_server().handshake::<_, Bytes>(theirs).await?;
        while let Some(Ok((_req, mut respond))) = server.accept().await {
            let send = respond.send_response(http::Response::new(()), false)?;
            tokio::spawn(answer(send, granted.clone(), pause.take()));
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

/// Sends 1 MiB as credit comes, pausing as `pause` says; the first credit goes to `granted`.
async fn answer(mut send: h2::SendStream<Bytes>, granted: mpsc::Sender<usize>, mut pause: Pause) {
    let mut left = 1 << 20;
    let mut first = Some(granted);
    while left > 0 {
        if let Some((after, go)) = pause.take_if(|(after, _)| (1 << 20) - left >= *after) {
            let _ = (after, go.await);
        }
        let until_pause = pause
            .as_ref()
            .map_or(left, |(after, _)| after - ((1 << 20) - left));
        send.reserve_capacity(left.min(until_pause));
        let Some(Ok(credit)) = std::future::poll_fn(|cx| send.poll_capacity(cx)).await else {
            return;
        };
        if let Some(granted) = first.take() {
            let _ = granted.send(credit).await;
        }
        let n = credit.min(left).min(until_pause);
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
    let (mut sender, mut credits) = session(watched, None).await;
    let mut body = until_credit(&mut sender, &mut credits, PRESSED_WINDOW_START as usize).await;
    // The reader takes what came and gives it back: more follows.
    read(&mut body, 2 * PRESSED_WINDOW_START as usize).await;
    short.send(false).unwrap();
    let _restored = until_credit(&mut sender, &mut credits, STREAM_WINDOW_START as usize).await;
}

#[tokio::test]
async fn streams_opened_once_short_start_small() {
    let (short, watched) = watch::channel(false);
    let (mut sender, mut credits) = session(watched, None).await;
    let (first, _body) = open(&mut sender, &mut credits).await;
    assert_eq!(first, STREAM_WINDOW_START as usize);
    short.send(true).unwrap();
    let _small = until_credit(&mut sender, &mut credits, PRESSED_WINDOW_START as usize).await;
}

#[test]
fn short_from_over_the_low_mark_until_under_seven_eighths_of_it() {
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
    shortage.publish(Some(memory(750)));
    assert!(
        *watched.borrow(),
        "short until back under 7/8 of the low mark"
    );
    shortage.publish(Some(memory(700)));
    assert!(!*watched.borrow());
    assert_eq!(shortage.start(), STREAM_WINDOW_START);
    shortage.publish(Some(memory(800)));
    assert!(
        !*watched.borrow(),
        "and not short again until over the low mark"
    );
    shortage.publish(Some(memory(900)));
    shortage.publish(None);
    assert!(!*watched.borrow());
}

/// Reads `n` bytes of `body`, giving each back as a reader does.
async fn read(body: &mut h2::RecvStream, n: usize) {
    let mut taken = 0;
    while taken < n {
        let data = tokio::time::timeout(Duration::from_secs(5), body.data())
            .await
            .expect("data keeps coming to a reader")
            .expect("the stream goes on")
            .unwrap();
        taken += data.len();
        body.flow_control().release_capacity(data.len()).unwrap();
    }
}

#[tokio::test]
async fn a_reader_that_caught_up_keeps_getting_data_when_the_window_is_lowered() {
    // 40 KiB taken and given back is under half the 128 KiB window: too little for h2 to
    // announce. Lowered by 112 KiB, the window is below zero; only that credit reopens it.
    let (go, word) = oneshot::channel();
    let (short, watched) = watch::channel(false);
    let (mut sender, mut credits) = session(watched, Some((40 << 10, word))).await;
    let (_, mut body) = open(&mut sender, &mut credits).await;
    read(&mut body, 40 << 10).await;
    short.send(true).unwrap();
    // Once a new stream starts small, the lowered window is in force at both ends.
    let _small = until_credit(&mut sender, &mut credits, PRESSED_WINDOW_START as usize).await;
    go.send(()).unwrap();
    read(&mut body, 60 << 10).await;
}
