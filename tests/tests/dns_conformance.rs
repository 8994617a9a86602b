//! What outside validators check in the authoritative DNS's answers (#30), asked by the real
//! `dig` and `kdig`: the DO bit copied, truncation at record boundaries.

use tests::dns::{status, DnsEdge};

/// Text length of `tight`'s records: as many as fit in 1,232 bytes end 1 to 10 bytes short of
/// it (found by trying lengths with the OPT patch undone; 103, 105 and 106 leave room).
const TIGHT: usize = 104;

/// The EDNS flags line of a `dig` answer, e.g. `; EDNS: version: 0, flags: do; udp: 1232`.
fn edns_line(dig: &str) -> &str {
    dig.lines()
        .find(|l| l.starts_with("; EDNS:"))
        .unwrap_or_else(|| panic!("no EDNS line: {dig}"))
}

#[test]
fn the_do_bit_of_a_query_is_copied_into_its_answer() {
    let d = DnsEdge::start(&[]);
    // An answer, a name that does not exist, a name outside the hosted zones (the catalog's
    // answers), and a class that is not served (the front end's own).
    for (name, class, wanted) in [
        ("mail.example.test", "IN", "NOERROR"),
        ("nothing.example.test", "IN", "NXDOMAIN"),
        ("www.example.com", "IN", "REFUSED"),
        ("example.test", "CH", "REFUSED"),
    ] {
        let with = d.dig(&["+dnssec", name, class, "A"]);
        assert_eq!(status(&with), wanted, "{with}");
        assert!(
            edns_line(&with).contains("flags: do;"),
            "RFC 3225 §3: {with}"
        );
        let without = d.dig(&[name, class, "A"]);
        assert!(!edns_line(&without).contains(" do"), "{without}");
        let k = d.kdig(&["+dnssec", name, class, "A"]);
        assert!(k.contains("flags: do;"), "{k}");
    }
}

/// `count` TXT records at `name`, each of `len` characters.
fn txt(name: &str, count: usize, len: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("{name} 300 IN TXT \"{i:02}{}\"", "x".repeat(len - 2)))
        .collect()
}

#[test]
fn a_truncated_udp_answer_ends_at_a_record_boundary_and_keeps_its_opt() {
    // `big`: the record after the last that fits starts within the limit, and its start was
    // sent after it. `tight`: the records that fit leave less room than the OPT record takes.
    let mut records = txt("big", 30, 102);
    records.extend(txt("tight", 30, TIGHT));
    let refs: Vec<&str> = records.iter().map(String::as_str).collect();
    let d = DnsEdge::start(&refs);
    for (name, edns) in [
        ("big", "+noedns"),
        ("big", "+bufsize=1232"),
        ("tight", "+bufsize=1232"),
    ] {
        let name = format!("{name}.example.test");
        // Over UDP only, taking the truncated answer as it is.
        let k = d.kdig(&["+notcp", "+ignore", "+nocookie", edns, &name, "TXT"]);
        assert!(k.contains("Flags: qr aa tc"), "{k}");
        assert!(!k.contains("malformed"), "{edns}: {k}");
        let dig = d.dig(&["+ignore", "+nocookie", edns, &name, "TXT"]);
        assert!(!dig.contains("extra bytes at end"), "{edns}: {dig}");
        // RFC 6891 §7: a truncated answer to an EDNS query keeps its OPT record.
        let opt = edns != "+noedns";
        assert_eq!(dig.contains("; EDNS: version: 0"), opt, "{dig}");
        assert_eq!(k.contains("EDNS PSEUDOSECTION"), opt, "{k}");
    }
}

#[test]
fn a_question_that_points_outside_itself_gets_formerr_and_no_echo() {
    let d = DnsEdge::start(&[]);
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(tests::READY)).unwrap();
    // Found by the `dns` fuzz target: the question's name is a compression pointer to offset 0
    // (the ID). Echoed as sent, it pointed at the answer's flags, and the answer did not parse.
    let query = b"\x01\x48\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x00\x0a\x00\x00\x00\x70";
    udp.send_to(query, d.edge.addr("dns")).unwrap();
    let mut answer = [0u8; 512];
    let n = udp.recv(&mut answer).expect("an answer");
    let answer = &answer[..n];
    assert_eq!(&answer[..2], b"\x01\x48", "its ID");
    assert_eq!(answer[3] & 0x0f, 1, "FORMERR: {answer:?}");
    assert_eq!(
        &answer[4..12],
        &[0; 8],
        "no question or records: {answer:?}"
    );
    assert_eq!(n, 12, "{answer:?}");
}
