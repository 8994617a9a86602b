//! HTTP/2 frames written by hand, for the floods and malformed frames no HTTP/2 client library
//! sends (RFC 9113 §4.1, §6).

use tokio::io::AsyncReadExt;

pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
pub const DATA: u8 = 0;
pub const HEADERS: u8 = 1;
pub const RST_STREAM: u8 = 3;
pub const SETTINGS: u8 = 4;
pub const PING: u8 = 6;
pub const GOAWAY: u8 = 7;
pub const CONTINUATION: u8 = 9;
pub const ACK: u8 = 1;
pub const END_STREAM: u8 = 1;
pub const END_HEADERS: u8 = 4;
pub const CANCEL: u32 = 8;

/// One frame: its header (length, type, flags, stream) and payload.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut out = len.to_be_bytes()[1..].to_vec();
    out.extend([kind, flags]);
    out.extend(stream.to_be_bytes());
    out.extend(payload);
    out
}

/// HPACK for `GET http://HOST/`: indexed :method, :scheme and :path, then :authority as a
/// literal without indexing.
pub fn request_block(host: &str) -> Vec<u8> {
    let mut block = vec![0x82, 0x86, 0x84, 0x01, host.len() as u8];
    block.extend(host.as_bytes());
    block
}

/// How the peer ended things: a GOAWAY's error code, or a reset of `stream`.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    GoAway(u32),
    Reset(u32),
}

/// Reads frames until GOAWAY, or RST_STREAM on `stream` (0: none), or the end of the
/// connection (`None`).
pub async fn ending<R: AsyncReadExt + Unpin>(read: &mut R, stream: u32) -> Option<End> {
    let mut head = [0u8; 9];
    loop {
        read.read_exact(&mut head).await.ok()?;
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let id = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        let mut payload = vec![0u8; len];
        read.read_exact(&mut payload).await.ok()?;
        if head[3] == GOAWAY && len >= 8 {
            return Some(End::GoAway(u32::from_be_bytes(
                payload[4..8].try_into().ok()?,
            )));
        }
        if head[3] == RST_STREAM && stream != 0 && id == stream && len == 4 {
            return Some(End::Reset(u32::from_be_bytes(
                payload[..4].try_into().ok()?,
            )));
        }
    }
}
