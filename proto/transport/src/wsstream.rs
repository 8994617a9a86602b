//! A WebSocket seen as a byte stream, so HTTP/2 can run over it.
//!
//! Writes are gathered into one buffer and sent as a single binary message on flush (or when the
//! buffer reaches `max_message`). hyper writes every 9-byte h2 frame header separately; sending
//! each write as its own message measured 3.0 Gbit/s against 5.4 Gbit/s batched on this machine
//! (`shared/TRANSPORT-MEASUREMENTS.md`). Reads hand out a message's bytes until it is used up.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

/// Largest message the adapter sends; one h2 flush rarely exceeds it.
pub const MAX_MESSAGE: usize = 1 << 20;

/// tungstenite's read buffer, allocated up front for every session, and the most it reads per
/// call. Its default, 128 KiB, was most of the edge's memory per connected tunnel (150 KiB per
/// tunnel in `bench footprint`). tungstenite zero-fills this much before every read, including
/// the reads that find nothing, so at 16 KiB the fill was a fifth of the edge's instructions per
/// small request (`scripts/callgrind.sh edge`: 150k per request at 16 KiB, 121k at 4 KiB); a
/// 4 KiB read still takes a WebSocket frame of a small request or response in one call, and
/// single-stream bulk measured no worse (docs/benchmarks.md).
pub const READ_BUFFER: usize = 4 << 10;

/// WebSocket settings for a tunnel session on both sides.
pub fn session_ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        // Accept our own batches with headroom, refuse anything absurd.
        .max_message_size(Some(2 * MAX_MESSAGE))
        .max_frame_size(Some(2 * MAX_MESSAGE))
        // We batch ourselves; let tungstenite write each message straight through.
        .write_buffer_size(0)
        .read_buffer_size(READ_BUFFER)
}

pub struct WsStream<S> {
    ws: WebSocketStream<S>,
    /// Unread remainder of the last received message.
    read_buf: Bytes,
    /// Bytes written since the last message was sent.
    write_buf: BytesMut,
    max_message: usize,
}

impl<S> WsStream<S> {
    pub fn new(ws: WebSocketStream<S>) -> Self {
        Self::with_max_message(ws, MAX_MESSAGE)
    }

    pub fn with_max_message(ws: WebSocketStream<S>, max_message: usize) -> Self {
        WsStream {
            ws,
            read_buf: Bytes::new(),
            write_buf: BytesMut::new(),
            max_message,
        }
    }
}

fn to_io(e: WsError) -> io::Error {
    match e {
        WsError::Io(e) => e,
        WsError::ConnectionClosed | WsError::AlreadyClosed => io::ErrorKind::BrokenPipe.into(),
        other => io::Error::other(other),
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsStream<S> {
    /// Sends what is buffered as one binary message (into tungstenite's writer, not yet flushed).
    fn poll_send_buffered(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.write_buf.is_empty() {
            return Poll::Ready(Ok(()));
        }
        ready!(Pin::new(&mut self.ws).poll_ready(cx)).map_err(to_io)?;
        let message = Message::Binary(self.write_buf.split().freeze());
        Pin::new(&mut self.ws).start_send(message).map_err(to_io)?;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while this.read_buf.is_empty() {
            match ready!(Pin::new(&mut this.ws).poll_next(cx)) {
                Some(Ok(Message::Binary(data))) => this.read_buf = data,
                // tungstenite answers pings itself; control frames carry no stream bytes.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Text(_))) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "text message on a tunnel session",
                    )))
                }
                Some(Ok(Message::Close(_))) | None => return Poll::Ready(Ok(())),
                Some(Err(e)) => return Poll::Ready(Err(to_io(e))),
            }
        }
        let n = this.read_buf.len().min(buf.remaining());
        buf.put_slice(&this.read_buf[..n]);
        this.read_buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.write_buf.len() >= this.max_message {
            ready!(this.poll_send_buffered(cx))?;
        }
        let n = buf.len().min(this.max_message - this.write_buf.len());
        this.write_buf.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send_buffered(cx))?;
        Pin::new(&mut this.ws).poll_flush(cx).map_err(to_io)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send_buffered(cx))?;
        match ready!(Pin::new(&mut this.ws).poll_close(cx)) {
            Ok(()) | Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => Poll::Ready(Ok(())),
            Err(e) => Poll::Ready(Err(to_io(e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::protocol::Role;

    async fn pair() -> (
        WsStream<tokio::io::DuplexStream>,
        WebSocketStream<tokio::io::DuplexStream>,
    ) {
        let (a, b) = tokio::io::duplex(1 << 20);
        let client = WebSocketStream::from_raw_socket(a, Role::Client, None).await;
        let server = WebSocketStream::from_raw_socket(b, Role::Server, None).await;
        (WsStream::new(client), server)
    }

    #[tokio::test]
    async fn one_flush_becomes_one_message() {
        let (mut stream, mut peer) = pair().await;
        stream.write_all(b"frame-header").await.unwrap();
        stream.write_all(b"payload").await.unwrap();
        stream.flush().await.unwrap();
        let msg = peer.next().await.unwrap().unwrap();
        assert_eq!(
            msg,
            Message::Binary(Bytes::from_static(b"frame-headerpayload"))
        );
    }

    #[tokio::test]
    async fn writes_past_the_limit_split_into_messages() {
        let (a, b) = tokio::io::duplex(1 << 20);
        let client = WebSocketStream::from_raw_socket(a, Role::Client, None).await;
        let mut peer = WebSocketStream::from_raw_socket(b, Role::Server, None).await;
        let mut stream = WsStream::with_max_message(client, 4);
        let reader = tokio::spawn(async move {
            let mut sizes = Vec::new();
            while let Some(Ok(Message::Binary(data))) = peer.next().await {
                sizes.push(data.len());
                if sizes.iter().sum::<usize>() == 10 {
                    break;
                }
            }
            sizes
        });
        stream.write_all(b"0123456789").await.unwrap();
        stream.flush().await.unwrap();
        assert_eq!(reader.await.unwrap(), vec![4, 4, 2]);
    }

    #[tokio::test]
    async fn reads_span_messages_and_end_on_close() {
        let (mut stream, mut peer) = pair().await;
        use futures_util::SinkExt;
        peer.send(Message::Binary(Bytes::from_static(b"hello ")))
            .await
            .unwrap();
        peer.send(Message::Ping(Bytes::new())).await.unwrap();
        peer.send(Message::Binary(Bytes::from_static(b"world")))
            .await
            .unwrap();
        peer.close(None).await.unwrap();
        let mut got = Vec::new();
        stream.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"hello world");
    }

    #[tokio::test]
    async fn text_messages_are_an_error() {
        let (mut stream, mut peer) = pair().await;
        use futures_util::SinkExt;
        peer.send(Message::text("nope")).await.unwrap();
        let mut buf = [0u8; 8];
        let err = stream.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
