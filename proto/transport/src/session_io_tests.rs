//! Two HTTP/2 ends whose connection is full both ways, each PINGing the other, keep going when
//! their connection reads ahead; and what is read ahead reaches HTTP/2 intact.

use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use super::*;
use crate::liveness::{Liveness, Pulse};

/// Each way, in one stream.
const EACH_WAY: usize = 32 << 20;

/// A connection that holds little, as a socket throttled for TCP memory does.
fn throttled() -> (DuplexStream, DuplexStream) {
    tokio::io::duplex(16 << 10)
}

/// Sends `EACH_WAY` bytes into `send` while reading all of `recv`; returns what was read.
async fn both_ways(
    mut send: h2::SendStream<Bytes>,
    mut recv: h2::RecvStream,
) -> Result<usize, h2::Error> {
    let sending = async {
        let chunk = Bytes::from(vec![7u8; 256 << 10]);
        for _ in 0..EACH_WAY / chunk.len() {
            let mut data = chunk.clone();
            std::future::poll_fn(|cx| {
                crate::h2body::poll_send(&mut send, &mut data, false, None, cx)
            })
            .await?;
        }
        send.send_data(Bytes::new(), true)
    };
    let receiving = async {
        let mut got = 0;
        while let Some(data) = recv.data().await {
            let data = data?;
            got += data.len();
            let _ = recv.flow_control().release_capacity(data.len());
        }
        Ok::<_, h2::Error>(got)
    };
    let ((), got) = tokio::try_join!(sending, receiving)?;
    Ok(got)
}

/// Why an exchange did not complete.
#[derive(Debug, thiserror::Error)]
enum Ended {
    #[error("{0}")]
    Http2(#[from] h2::Error),
    /// That end's liveness watch gave up on the session.
    #[error("{0}: {1}")]
    Silent(&'static str, String),
    #[error("no stream")]
    NoStream,
}

/// One stream both ways over `client_io` and `server_io`, with both ends PINGing back to back
/// and dropping the session after 1 s without a PONG or (as `heard`) a byte; what each end
/// received, or why a session ended first.
async fn exchange<C, S>(
    (client_io, client_heard): (C, Heard),
    (server_io, server_heard): (S, Heard),
) -> Result<(usize, usize), Ended>
where
    C: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // PINGs back to back, so each end nearly always holds a PONG for the other.
    let liveness = Liveness {
        interval: Duration::ZERO,
        timeout: Duration::from_secs(1),
    };
    let server = async move {
        let mut connection = crate::tuning::h2_server()
            .handshake::<_, Bytes>(server_io)
            .await?;
        let watch = liveness.watch(connection.ping_pong(), Pulse::new(), server_heard);
        let (request, mut respond) = connection.accept().await.ok_or(Ended::NoStream)??;
        let send = respond.send_response(http::Response::new(()), false)?;
        // Driven until both ends are done, so its last frames go out.
        let driven = tokio::spawn(async move {
            let end = std::future::poll_fn(|cx| connection.poll_closed(cx)).await;
            format!("server: the connection ended first: {end:?}")
        });
        let work = both_ways(send, request.into_body());
        let got = tokio::select! {
            biased;
            got = work => got.map_err(Ended::from),
            why = watch => Err(Ended::Silent("server", why)),
        };
        Ok::<_, Ended>((got, driven))
    };
    let client = async move {
        let (mut sender, mut connection) = crate::tuning::h2_client()
            .handshake::<_, Bytes>(client_io)
            .await?;
        let watch = liveness.watch(connection.ping_pong(), Pulse::new(), client_heard);
        let driven = tokio::spawn(connection);
        let request = http::Request::post("http://test/").body(()).unwrap();
        let (response, send) = sender.send_request(request, false)?;
        let work = async {
            let response = response.await?;
            both_ways(send, response.into_body()).await
        };
        let got = tokio::select! {
            biased;
            got = work => got.map_err(Ended::from),
            why = watch => Err(Ended::Silent("client", why)),
        };
        // The connection goes on until the server has read the end too.
        Ok::<_, Ended>((got, driven))
    };
    let (server, client) = tokio::join!(tokio::spawn(server), tokio::spawn(client));
    let (client, client_driven) = client.expect("client task")?;
    let (server, server_driven) = server.expect("server task")?;
    client_driven.abort();
    server_driven.abort();
    Ok((server?, client?))
}

#[tokio::test]
async fn a_session_full_both_ways_is_not_deadlocked() {
    let (a, b) = throttled();
    let (heard_a, heard_b) = (Heard::default(), Heard::default());
    let run = exchange(
        (SessionIo::new(a, heard_a.clone()), heard_a),
        (SessionIo::new(b, heard_b.clone()), heard_b),
    );
    let got = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the exchange ends");
    assert_eq!(got.expect("the exchange completes"), (EACH_WAY, EACH_WAY));
}

/// Without reading ahead the same exchange deadlocks: what this module is for. (If h2 ever
/// reads while its PONG waits, this fails and the read-ahead can go.)
#[tokio::test]
async fn without_reading_ahead_it_deadlocks() {
    let (a, b) = throttled();
    let run = exchange((a, Heard::default()), (b, Heard::default()));
    let got = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the exchange ends");
    let why = got.expect_err("h2 deadlocked on its PONGs");
    assert!(why.to_string().contains("answered no PING"), "{why}");
}

#[tokio::test]
async fn what_was_read_ahead_comes_first_then_the_end() {
    let (ours, mut theirs) = tokio::io::duplex(1 << 10);
    let mut io = SessionIo::new(ours, Heard::default());
    theirs.write_all(b"hello").await.unwrap();
    drop(theirs);
    let waker = futures_util::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    io.read_ahead(&mut cx);
    assert_eq!(&io.ahead[..], b"hello");
    let mut all = Vec::new();
    io.read_to_end(&mut all).await.unwrap();
    assert_eq!(all, b"hello");
}

#[tokio::test]
async fn what_is_read_ahead_stops_at_the_cap() {
    let (ours, mut theirs) = tokio::io::duplex(2 * READ_AHEAD);
    let sent = vec![1u8; READ_AHEAD + (READ_AHEAD / 2)];
    theirs.write_all(&sent).await.unwrap();
    let mut io = SessionIo::new(ours, Heard::default());
    let waker = futures_util::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    io.read_ahead(&mut cx);
    assert_eq!(io.ahead.len(), READ_AHEAD);
    // What was left waits in the connection, in order, behind what was read ahead.
    drop(theirs);
    let mut all = Vec::new();
    io.read_to_end(&mut all).await.unwrap();
    assert_eq!(all, sent);
}

#[tokio::test]
async fn a_write_that_waits_is_told_to_the_sessions_streams() {
    let (ours, mut theirs) = tokio::io::duplex(1 << 10);
    let mut io = SessionIo::new(ours, Heard::default());
    let pressure = io.backpressure();
    let waker = futures_util::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    let full = [7u8; 4 << 10];
    while Pin::new(&mut io).poll_write(&mut cx, &full).is_ready() {}
    let at_first = pressure.blocked();
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(
        pressure.blocked() > at_first,
        "the clock runs while the write waits"
    );
    let mut drained = [0u8; 1 << 10];
    theirs.read_exact(&mut drained).await.unwrap();
    assert!(Pin::new(&mut io).poll_write(&mut cx, b"x").is_ready());
    let total = pressure.blocked();
    assert!(total >= Duration::from_millis(5), "{total:?}");
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(pressure.blocked(), total, "and stops once writes go");
}
