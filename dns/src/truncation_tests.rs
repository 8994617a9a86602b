//! Truncation as the vendored hickory-proto encodes it (`dns/vendor/hickory-proto/TETHER.md`):
//! an answer cut to fit ends at a record boundary and keeps its OPT record (RFC 6891 §7), even
//! when the records that fit leave less room than the OPT takes.

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};

const LIMIT: u16 = 1232;

fn answer(name: &Name, text_len: usize, count: usize) -> Message {
    let mut message = Message::new(7, MessageType::Response, OpCode::Query);
    message.add_query(Query::query(name.clone(), RecordType::TXT));
    for i in 0..count {
        let text = format!("{i:03}{}", "x".repeat(text_len - 3));
        let rdata = RData::TXT(TXT::new(vec![text]));
        message.add_answer(Record::from_rdata(name.clone(), 300, rdata));
    }
    let mut edns = Edns::new();
    edns.set_max_payload(LIMIT);
    message.set_edns(edns);
    message
}

/// The message encoded within `LIMIT` bytes, as the server sends it over UDP.
fn encode(message: &Message) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = BinEncoder::new(&mut bytes);
    encoder.set_max_size(LIMIT);
    message.emit(&mut encoder).expect("encodes");
    bytes
}

#[test]
fn a_truncated_answer_keeps_its_opt_and_ends_at_a_record() {
    let name = Name::from_ascii("tight.example.test.").unwrap();
    // Sizes measured, not assumed: the header, question and OPT, and what one record adds.
    let bare = encode(&answer(&name, 100, 0)).len();
    let opt = Record::from(&Edns::new()).to_bytes().unwrap().len();
    let room = usize::from(LIMIT) - (bare - opt);
    // A text length whose records, as many as fit, end closer to the limit than the OPT
    // record's size: without room kept for it, the OPT is what truncation drops.
    let (text_len, fit) = (100..250)
        .find_map(|len| {
            let record = encode(&answer(&name, len, 1)).len() - bare;
            let fit = room / record;
            (room - fit * record < opt).then_some((len, fit))
        })
        .expect("some length leaves less room than an OPT record");
    let sent = encode(&answer(&name, text_len, fit + 5));
    assert!(sent.len() <= usize::from(LIMIT));
    let got = Message::from_vec(&sent).expect("a whole message");
    assert!(got.metadata.truncation, "TC set");
    assert!(
        got.edns.is_some(),
        "RFC 6891 §7: the OPT record survives truncation"
    );
    assert_eq!(
        got.answers.len(),
        fit - 1,
        "the records that fit beside the OPT"
    );
    assert_eq!(
        got.to_vec().unwrap().len(),
        sent.len(),
        "nothing after the last record"
    );
}
