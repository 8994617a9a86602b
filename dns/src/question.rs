//! The question section hickory-server echoes into every answer is the client's own bytes, as
//! sent (`Queries::as_bytes`). A name there may end in a compression pointer, and a pointer
//! means an offset in the whole message: one into the header, or past the question, points at
//! other bytes in the answer than in the query, and the answer no longer parses (found by the
//! `dns` fuzz target: a question `0xc0 0x00` pointing at the ID, whose answer's flags byte then
//! reads as a reserved label type). Such a query gets FORMERR with no question.

use hickory_proto::serialize::binary::BinDecoder;
use hickory_server::zone_handler::Queries;

/// Where the question section starts: right after the 12-byte header.
const QUESTION_AT: usize = 12;

/// Whether every compression pointer in `question` (the section's bytes as received) points
/// inside the section before itself, where the echoed answer holds the same bytes.
pub fn echoes_safely(question: &[u8]) -> bool {
    let mut at = 0;
    while at < question.len() {
        // One name: labels until the root or a pointer, then type and class.
        loop {
            let Some(&len) = question.get(at) else {
                return false;
            };
            match len & 0xc0 {
                0x00 if len == 0 => {
                    at += 1;
                    break;
                }
                0x00 => at += 1 + usize::from(len),
                0xc0 => {
                    let Some(&low) = question.get(at + 1) else {
                        return false;
                    };
                    let target = usize::from(len & 0x3f) << 8 | usize::from(low);
                    if target < QUESTION_AT || target >= QUESTION_AT + at {
                        return false;
                    }
                    at += 2;
                    break;
                }
                _ => return false,
            }
        }
        at += 4;
    }
    at == question.len()
}

/// An empty question section, for an answer that must not echo the client's.
pub fn none() -> Queries {
    Queries::read(&mut BinDecoder::new(&[]), 0).expect("no queries read from no bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_must_stay_inside_the_question() {
        let plain = b"\x03app\x07example\x04test\x00\x00\x01\x00\x01";
        assert!(echoes_safely(plain));
        // The fuzzer's: a pointer to offset 0, the header.
        assert!(!echoes_safely(b"\xc0\x00\x0a\x00\x00\x00"));
        // A second question pointing at the first one's name (offset 12): fine.
        let mut two = plain.to_vec();
        two.extend(b"\x03www\xc0\x0c\x00\x01\x00\x01");
        assert!(echoes_safely(&two));
        // Pointing forward, at itself: not.
        assert!(!echoes_safely(b"\xc0\x0c\x00\x01\x00\x01"));
        // A reserved label type, or a truncated name.
        assert!(!echoes_safely(b"\x81\x00\x00\x01\x00\x01"));
        assert!(!echoes_safely(b"\x03ap"));
        assert!(echoes_safely(b""));
    }
}
