//! The tunnel's WebSocket frame layer (`ServerFrames`, the edge's end of a session): the bytes a
//! connector sends, read as frames (masking, fragments, control frames, close, limits) until the
//! stream ends or fails; the answers it writes (pongs, close) go nowhere.
#![no_main]

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use libfuzzer_sys::fuzz_target;
use tether_transport::wsframe::parse_header;
use tether_transport::wsserver::ServerFrames;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

/// A connection whose peer sent `data`, in reads of at most `chunk` bytes.
struct Peer {
    data: Vec<u8>,
    at: usize,
    chunk: usize,
}

impl AsyncRead for Peer {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = (self.data.len() - self.at)
            .min(self.chunk)
            .min(buf.remaining());
        buf.put_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Peer {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = parse_header(data);
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let peer = Peer {
        data: rest.to_vec(),
        at: 0,
        chunk: usize::from(first % 64) + 1,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut frames = ServerFrames::with_max_message(peer, 4096);
        let mut buf = vec![0u8; 1 + usize::from(first)];
        // The reader's buffer size varies too; at most as many reads as bytes (each read
        // takes at least one byte or ends).
        for _ in 0..=rest.len() {
            match frames.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
});
