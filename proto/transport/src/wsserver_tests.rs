//! `ServerFrames` against tungstenite's client, the WebSocket the connector speaks.

use super::*;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

async fn pair() -> (ServerFrames<DuplexStream>, WebSocketStream<DuplexStream>) {
    let (a, b) = tokio::io::duplex(1 << 16);
    let client = WebSocketStream::from_raw_socket(b, Role::Client, None).await;
    (ServerFrames::new(a), client)
}

/// Bytes 0, 1, 2… of `len`, so a byte out of place or left masked shows.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn unmasking_from_any_offset_matches_the_byte_by_byte_rule() {
    let mask = [0x12, 0x34, 0x56, 0x78];
    for at in 0..4 {
        for len in [0, 1, 7, 8, 9, 31] {
            let data = pattern(len, 5);
            let mut fast = data.clone();
            unmask(&mut fast, mask, at);
            let slow: Vec<u8> = data
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ mask[(at + i) % 4])
                .collect();
            assert_eq!(fast, slow, "at {at}, len {len}");
        }
    }
}

#[tokio::test]
async fn masked_frames_of_every_length_form_read_in_any_piece_size() {
    let (mut server, mut client) = pair().await;
    // 7-bit, 16-bit and 64-bit lengths, and an empty frame between.
    let sent: Vec<Vec<u8>> = [5, 0, 300, 70_000, 1]
        .iter()
        .enumerate()
        .map(|(i, n)| pattern(*n, i as u8))
        .collect();
    let writer = {
        let sent = sent.clone();
        tokio::spawn(async move {
            for m in sent {
                client.send(Message::Binary(Bytes::from(m))).await.unwrap();
            }
            client
                .send(Message::Ping(Bytes::from_static(b"hi")))
                .await
                .unwrap();
            client.close(None).await.unwrap();
            // The pong and the close's echo come back.
            let mut seen = Vec::new();
            while let Some(Ok(m)) = client.next().await {
                seen.push(m);
            }
            seen
        })
    };
    let mut got = Vec::new();
    let mut piece = [0u8; 3];
    loop {
        let n = server.read(&mut piece).await.unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&piece[..n]);
    }
    assert_eq!(got, sent.concat());
    server.flush().await.unwrap();
    drop(server);
    let seen = writer.await.unwrap();
    assert!(
        seen.contains(&Message::Pong(Bytes::from_static(b"hi"))),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|m| matches!(m, Message::Close(_))),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_flush_is_one_unmasked_binary_message_and_big_writes_split() {
    let (a, b) = tokio::io::duplex(1 << 20);
    let mut client = WebSocketStream::from_raw_socket(b, Role::Client, None).await;
    let mut server = ServerFrames::with_max_message(a, 100_000);
    server.write_all(b"frame-header").await.unwrap();
    server.write_all(b"payload").await.unwrap();
    server.flush().await.unwrap();
    assert_eq!(
        client.next().await.unwrap().unwrap(),
        Message::Binary(Bytes::from_static(b"frame-headerpayload"))
    );
    let big = pattern(250_000, 9);
    server.write_all(&big).await.unwrap();
    server.flush().await.unwrap();
    let mut sizes = Vec::new();
    let mut got = Vec::new();
    while got.len() < big.len() {
        let Message::Binary(data) = client.next().await.unwrap().unwrap() else {
            panic!("not binary");
        };
        sizes.push(data.len());
        got.extend_from_slice(&data);
    }
    assert_eq!(sizes, vec![100_000, 100_000, 50_000]);
    assert_eq!(got, big);
    server.shutdown().await.unwrap();
    assert!(matches!(client.next().await, Some(Ok(Message::Close(_)))));
}

#[tokio::test]
async fn text_and_unmasked_frames_are_errors() {
    let (mut server, mut client) = pair().await;
    client.send(Message::text("nope")).await.unwrap();
    let err = server.read(&mut [0u8; 8]).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);

    // A binary frame without a mask, as only a server may send.
    let (a, mut raw) = tokio::io::duplex(64);
    let mut server = ServerFrames::new(a);
    raw.write_all(&[0x82, 0x02, b'h', b'i']).await.unwrap();
    let err = server.read(&mut [0u8; 8]).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
}

#[tokio::test]
async fn the_end_of_the_connection_mid_frame_is_an_error_and_between_frames_the_end() {
    let (a, mut raw) = tokio::io::duplex(64);
    let mut server = ServerFrames::new(a);
    // A masked frame announcing 10 bytes, of which 2 arrive.
    raw.write_all(&[0x82, 0x8a, 0, 0, 0, 0, b'h', b'i'])
        .await
        .unwrap();
    drop(raw);
    let mut got = Vec::new();
    let err = server.read_to_end(&mut got).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(got, b"hi");

    let (a, raw) = tokio::io::duplex(64);
    let mut server = ServerFrames::new(a);
    drop(raw);
    assert_eq!(server.read(&mut [0u8; 8]).await.unwrap(), 0);
}

/// A masked frame as a client sends it (mask 1,2,3,4).
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [1, 2, 3, 4];
    let mut f = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

#[tokio::test]
async fn a_peer_that_pings_and_never_reads_queues_at_most_one_pong() {
    // The connection takes 64 bytes of ours, then nothing: the peer never reads.
    let (a, mut raw) = tokio::io::duplex(64);
    let mut server = ServerFrames::new(a);
    let ping = client_frame(OP_PING, &[7u8; 125]);
    let mut flood = Vec::new();
    for _ in 0..2_000 {
        flood.extend_from_slice(&ping);
    }
    flood.extend_from_slice(&client_frame(OP_BINARY, b"data"));
    let writer = tokio::spawn(async move {
        raw.write_all(&flood).await.unwrap();
        raw
    });
    let mut got = [0u8; 8];
    let n = server.read(&mut got).await.unwrap();
    assert_eq!(&got[..n], b"data");
    assert!(
        server.out.len() <= 2 * 127,
        "{} bytes of pongs queued",
        server.out.len()
    );
    drop(writer.await.unwrap());
}

#[tokio::test]
async fn after_the_close_echo_nothing_is_written_and_errors_close_with_their_code() {
    let (a, b) = tokio::io::duplex(1 << 16);
    let mut client = WebSocketStream::from_raw_socket(b, Role::Client, None).await;
    let mut server = ServerFrames::new(a);
    server.write_all(b"gathered").await.unwrap();
    client.close(None).await.unwrap();
    assert_eq!(server.read(&mut [0u8; 8]).await.unwrap(), 0);
    let err = server.write_all(b"late").await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    server.flush().await.unwrap();
    // What was gathered before the close went before the echo.
    assert_eq!(
        client.next().await.unwrap().unwrap(),
        Message::Binary(Bytes::from_static(b"gathered"))
    );
    assert!(matches!(client.next().await, Some(Ok(Message::Close(_)))));

    let (mut server, mut client) = pair().await;
    client.send(Message::text("nope")).await.unwrap();
    assert!(server.read(&mut [0u8; 8]).await.is_err());
    server.shutdown().await.unwrap();
    let Some(Ok(Message::Close(Some(frame)))) = client.next().await else {
        panic!("no close frame");
    };
    assert_eq!(u16::from(frame.code), 1003);
}

#[tokio::test]
async fn one_big_read_takes_one_frame_and_keeps_the_next() {
    let (a, mut raw) = tokio::io::duplex(1 << 16);
    let mut server = ServerFrames::new(a);
    let (first, second) = (pattern(300, 1), pattern(200, 2));
    let mut bytes = client_frame(OP_BINARY, &first);
    bytes.extend_from_slice(&client_frame(OP_PING, b"p"));
    bytes.extend_from_slice(&client_frame(OP_BINARY, &second));
    raw.write_all(&bytes).await.unwrap();
    drop(raw);
    let mut got = Vec::new();
    let mut big = vec![0u8; 4096];
    loop {
        let n = server.read(&mut big).await.unwrap();
        if n == 0 {
            break;
        }
        got.push(big[..n].to_vec());
    }
    assert_eq!(got.concat(), [first, second].concat());
}
