//! The WebSocket frame format (RFC 6455 §5.2) as `proto/src/wsserver.rs` reads and writes it: a
//! header's fields, the masking of a client's payload, and the opcodes a tunnel uses.

use std::io;

use crate::wsstream::MAX_MESSAGE;

/// Room kept in front of gathered writes for the largest header of an unmasked frame.
pub const ROOM: usize = 10;
/// Largest frame accepted: the peer batches up to [`MAX_MESSAGE`] per frame.
pub const MAX_FRAME: u64 = 2 * MAX_MESSAGE as u64;

pub const OP_CONTINUATION: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

pub fn invalid(why: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

/// XORs `data` with `mask`, starting `at` bytes into it.
pub fn unmask(data: &mut [u8], mask: [u8; 4], at: usize) {
    let m: [u8; 4] = std::array::from_fn(|i| mask[(at + i) % 4]);
    let wide = u64::from_ne_bytes([m[0], m[1], m[2], m[3], m[0], m[1], m[2], m[3]]);
    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let v = u64::from_ne_bytes([
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ]) ^ wide;
        chunk.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= m[i % 4];
    }
}

/// A frame's header: FIN, opcode, payload length, mask. `None` until `buf` holds all of it.
pub struct Header {
    pub fin: bool,
    pub opcode: u8,
    pub len: u64,
    pub mask: Option<[u8; 4]>,
    /// The header's own length.
    pub size: usize,
}

pub fn parse_header(buf: &[u8]) -> io::Result<Option<Header>> {
    let [b0, b1, ..] = *buf else { return Ok(None) };
    if b0 & 0x70 != 0 {
        return Err(invalid("WebSocket frame with reserved bits set"));
    }
    let (len, mut size) = match b1 & 0x7f {
        126 if buf.len() >= 4 => (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4),
        127 if buf.len() >= 10 => {
            let mut n = [0u8; 8];
            n.copy_from_slice(&buf[2..10]);
            (u64::from_be_bytes(n), 10)
        }
        126 | 127 => return Ok(None),
        n => (u64::from(n), 2),
    };
    let mask = if b1 & 0x80 != 0 {
        let Some(m) = buf.get(size..size + 4) else {
            return Ok(None);
        };
        size += 4;
        Some([m[0], m[1], m[2], m[3]])
    } else {
        None
    };
    Ok(Some(Header {
        fin: b0 & 0x80 != 0,
        opcode: b0 & 0x0f,
        len,
        mask,
        size,
    }))
}

/// An unmasked frame's header for a payload of `len` bytes.
pub fn header(opcode: u8, len: usize) -> ([u8; ROOM], usize) {
    let mut h = [0u8; ROOM];
    h[0] = 0x80 | opcode;
    let size = if len < 126 {
        h[1] = len as u8;
        2
    } else if let Ok(short) = u16::try_from(len) {
        h[1] = 126;
        h[2..4].copy_from_slice(&short.to_be_bytes());
        4
    } else {
        h[1] = 127;
        h[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        10
    };
    (h, size)
}
