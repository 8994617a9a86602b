//! A session whose PONGs are late but whose peer keeps sending stays alive; one that goes
//! silent is dropped `timeout` after it was last heard.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::Instant;

use super::*;
use crate::session_io::SessionIo;

const TIMEOUT: Duration = Duration::from_millis(300);

/// An HTTP/2 frame header (RFC 9113 §4.1) for an empty frame.
fn frame(kind: u8, flags: u8) -> [u8; 9] {
    [0, 0, 0, kind, flags, 0, 0, 0, 0]
}

/// A peer that speaks just enough HTTP/2 to open the session (its SETTINGS, and an ACK of
/// ours), then never answers a PING: for `busy` it sends a frame of an unknown type (which
/// HTTP/2 ignores) every 50 ms, as a peer whose PONG waits behind its data; then nothing.
async fn late_peer(mut io: DuplexStream, busy: Duration) {
    io.write_all(&frame(0x4, 0)).await.unwrap();
    io.write_all(&frame(0x4, 0x1)).await.unwrap();
    let until = Instant::now() + busy;
    let mut sink = vec![0; 4096];
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            read = io.read(&mut sink) => if matches!(read, Ok(0) | Err(_)) { return },
            _ = tick.tick(), if Instant::now() < until => {
                io.write_all(&frame(0xfa, 0)).await.unwrap();
            }
        }
    }
}

/// How long the watch of a session with a [`late_peer`] busy for `busy` lasts, and why it ended.
async fn watched(busy: Duration) -> (Duration, String) {
    let (ours, theirs) = tokio::io::duplex(64 << 10);
    tokio::spawn(late_peer(theirs, busy));
    let heard = Heard::default();
    let (_sender, mut connection) = h2::client::handshake(SessionIo::new(ours, heard.clone()))
        .await
        .expect("handshake");
    let ping_pong = connection.ping_pong();
    tokio::spawn(connection);
    let start = Instant::now();
    let reason = Liveness::new(TIMEOUT)
        .watch(ping_pong, Pulse::new(), heard)
        .await;
    (start.elapsed(), reason)
}

#[tokio::test]
async fn a_peer_that_keeps_sending_is_alive() {
    let busy = Duration::from_millis(1_200);
    let (lasted, reason) = tokio::time::timeout(Duration::from_secs(10), watched(busy))
        .await
        .expect("the watch ends once the peer goes silent");
    assert!(reason.contains("answered no PING"), "{reason}");
    assert!(
        lasted >= busy,
        "dropped after {lasted:?} while the peer was still sending"
    );
    assert!(
        lasted < busy + Duration::from_secs(3),
        "still up {lasted:?} after the peer went silent"
    );
}

#[tokio::test]
async fn a_silent_peer_is_dropped_after_the_timeout() {
    let (lasted, reason) = tokio::time::timeout(Duration::from_secs(10), watched(Duration::ZERO))
        .await
        .expect("the watch ends");
    assert!(reason.contains("answered no PING"), "{reason}");
    assert!(lasted >= TIMEOUT, "dropped after {lasted:?}");
    assert!(
        lasted < TIMEOUT + Duration::from_secs(3),
        "still up {lasted:?}"
    );
}
