//! A reset never overtakes the bytes before it: from a socket into the tunnel, from the tunnel
//! into a socket, and through a relay of two streams. Each test fails on a relay that resets at
//! once (the bytes were lost, as Autobahn's cases 3.4, 4.1.5 and 4.2.5 showed for WebSockets).

use std::io::ErrorKind;
use std::time::Duration;

use bytes::Bytes;
use h2::client::SendRequest;
use h2::server::SendResponse;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::*;
use crate::relay::relay;
use crate::tuning;

const BYTES: usize = 1000;
const LIMIT: Duration = Duration::from_secs(10);

/// An h2 session on a pipe: the client's sender, and the server's accepted streams.
async fn session() -> (
    SendRequest<Bytes>,
    mpsc::Receiver<(RecvStream, SendResponse<Bytes>)>,
) {
    let (ours, theirs) = tokio::io::duplex(1 << 20);
    let (accepted, streams) = mpsc::channel(4);
    tokio::spawn(async move {
        let mut server = tuning::h2_server().handshake::<_, Bytes>(theirs).await?;
        while let Some(Ok((req, respond))) = server.accept().await {
            let _ = accepted.send((req.into_body(), respond)).await;
        }
        Ok::<_, h2::Error>(())
    });
    let (sender, connection) = tuning::h2_client().handshake(ours).await.unwrap();
    tokio::spawn(connection);
    (sender, streams)
}

/// Opens a stream on `sender`; returns both ends' pipes (client's, server's).
async fn open(
    sender: &SendRequest<Bytes>,
    streams: &mut mpsc::Receiver<(RecvStream, SendResponse<Bytes>)>,
) -> (Pipe, Pipe) {
    let req = http::Request::post("http://app.example.test/")
        .body(())
        .unwrap();
    let (response, send) = sender
        .clone()
        .ready()
        .await
        .unwrap()
        .send_request(req, false)
        .unwrap();
    let (recv, mut respond) = streams.recv().await.unwrap();
    let server_send = respond
        .send_response(http::Response::new(()), false)
        .unwrap();
    let client_recv = response.await.unwrap().into_body();
    (
        Pipe {
            send,
            recv: client_recv,
        },
        Pipe {
            send: server_send,
            recv,
        },
    )
}

/// A connected pair of loopback sockets.
async fn sockets() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let near = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (far, _) = listener.accept().await.unwrap();
    (near, far)
}

fn abort(tcp: TcpStream) {
    socket2::SockRef::from(&tcp)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(tcp);
}

/// Reads `pipe` to its end: the bytes, and the reset reason it ended with.
async fn read_stream(pipe: &mut Pipe) -> (usize, Option<Reason>) {
    let mut got = 0;
    loop {
        match pipe.recv.data().await {
            Some(Ok(data)) => {
                got += data.len();
                let _ = pipe.recv.flow_control().release_capacity(data.len());
            }
            Some(Err(e)) => return (got, e.reason()),
            None => return (got, None),
        }
    }
}

/// Reads `tcp` to its end: the bytes, and whether it ended with a reset.
async fn read_socket(tcp: &mut TcpStream) -> (usize, bool) {
    let mut got = 0;
    let mut buf = [0u8; 4096];
    loop {
        match tcp.read(&mut buf).await {
            Ok(0) => return (got, false),
            Ok(n) => got += n,
            Err(e) => return (got, e.kind() == ErrorKind::ConnectionReset),
        }
    }
}

#[tokio::test]
async fn an_origin_that_writes_then_resets_delivers_its_bytes_before_the_reset() {
    let (sender, mut streams) = session().await;
    let (mut client, server) = open(&sender, &mut streams).await;
    let (mut near, mut origin) = sockets().await;
    // The origin's bytes, then its RST, are at the connector's socket before the splice reads.
    origin.write_all(&[7u8; BYTES]).await.unwrap();
    abort(origin);
    let spliced = tokio::time::timeout(LIMIT, splice(&mut near, server, None, None))
        .await
        .unwrap();
    assert!(
        matches!(spliced.ended, Ended::LocalAborted(_)),
        "{spliced:?}"
    );
    let read = tokio::time::timeout(LIMIT, read_stream(&mut client))
        .await
        .unwrap();
    assert_eq!(read, (BYTES, Some(Reason::CONNECT_ERROR)));
}

#[tokio::test]
async fn a_peer_reset_reaches_the_socket_after_the_bytes_before_it() {
    let (sender, mut streams) = session().await;
    let (client, mut server) = open(&sender, &mut streams).await;
    let (mut near, mut public) = sockets().await;
    // The public client is still sending (a ping after the frame the origin failed on)...
    public.write_all(b"ping").await.unwrap();
    // ...when the connector's answer and then its reset arrive.
    server
        .send
        .send_data(Bytes::from(vec![7u8; BYTES]), false)
        .unwrap();
    server.send.send_reset_after_data(Reason::CONNECT_ERROR);
    let mut client = client;
    let reset = std::future::poll_fn(|cx| client.send.poll_reset(cx)).await;
    assert_eq!(reset.unwrap(), Reason::CONNECT_ERROR);
    let spliced = tokio::time::timeout(LIMIT, splice(&mut near, client, None, None))
        .await
        .unwrap();
    assert!(
        matches!(spliced.ended, Ended::PeerAborted(_)),
        "{spliced:?}"
    );
    assert_eq!(spliced.down, BYTES as u64);
    abort(near);
    let read = tokio::time::timeout(LIMIT, read_socket(&mut public))
        .await
        .unwrap();
    assert_eq!(read, (BYTES, true));
}

/// A relay between an access client and a connector that sends `BYTES` and resets; `ping`: the
/// access client is still sending then.
async fn relay_a_reset(ping: bool) {
    let (access_sender, mut access_streams) = session().await;
    let (tunnel_sender, mut tunnel_streams) = session().await;
    let (mut access_client, access_edge) = open(&access_sender, &mut access_streams).await;
    let (tunnel_edge, mut connector) = open(&tunnel_sender, &mut tunnel_streams).await;
    if ping {
        let ping = Bytes::from_static(b"ping");
        access_client.send.send_data(ping, false).unwrap();
    }
    let bytes = Bytes::from(vec![7u8; BYTES]);
    connector.send.send_data(bytes, false).unwrap();
    connector.send.send_reset_after_data(Reason::CONNECT_ERROR);
    let started = std::time::Instant::now();
    let relayed = tokio::time::timeout(LIMIT, relay(access_edge, tunnel_edge, None));
    let (_, back, result) = relayed.await.unwrap();
    // Each leg ends at the reset, whether or not it had something to send: not at the limit.
    assert!(started.elapsed() < DRAIN_LIMIT, "{:?}", started.elapsed());
    assert!(result.is_err());
    assert_eq!(back, BYTES as u64);
    let read = tokio::time::timeout(LIMIT, read_stream(&mut access_client));
    assert_eq!(read.await.unwrap(), (BYTES, Some(Reason::CONNECT_ERROR)));
}

#[tokio::test]
async fn a_relay_passes_a_reset_on_after_the_bytes_before_it() {
    relay_a_reset(true).await;
}

#[tokio::test]
async fn a_relay_passes_a_reset_on_at_once_when_the_other_side_is_quiet() {
    relay_a_reset(false).await;
}

#[tokio::test]
async fn a_reset_after_data_is_the_users_reset_to_the_streams_own_handles() {
    let (sender, mut streams) = session().await;
    let req = http::Request::post("http://app.example.test/")
        .body(())
        .unwrap();
    let mut sender = sender.ready().await.unwrap();
    let (response, mut send) = sender.send_request(req, false).unwrap();
    // Queued behind the request, not yet written: the reset waits for it.
    send.send_data(Bytes::from(vec![7u8; BYTES]), false)
        .unwrap();
    send.send_reset_after_data(Reason::CANCEL);
    let e = tokio::time::timeout(LIMIT, response)
        .await
        .unwrap()
        .unwrap_err();
    // Not a library GOAWAY, which the edge would take for a dead session.
    assert!(
        e.is_reset() && !e.is_remote() && !e.is_library() && !e.is_go_away(),
        "{e:?}"
    );
    assert_eq!(e.reason(), Some(Reason::CANCEL));
    // The data went out first: the server got the stream, its bytes, then the reset.
    let (mut recv, _respond) = streams.recv().await.unwrap();
    let mut got = 0;
    let end = loop {
        match recv.data().await {
            Some(Ok(d)) => got += d.len(),
            Some(Err(e)) => break e.reason(),
            None => break None,
        }
    };
    assert_eq!((got, end), (BYTES, Some(Reason::CANCEL)));
}
