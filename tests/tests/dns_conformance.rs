//! What outside validators check in the authoritative DNS's answers (#30), asked by the real
//! `dig` and `kdig`: the DO bit copied, truncation at record boundaries.

use tests::dns::{status, DnsEdge};

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

#[test]
fn a_truncated_udp_answer_ends_at_a_record_boundary() {
    let records: Vec<String> = (0..30)
        .map(|i| format!("big 300 IN TXT \"{i:02}{}\"", "x".repeat(100)))
        .collect();
    let refs: Vec<&str> = records.iter().map(String::as_str).collect();
    let d = DnsEdge::start(&refs);
    for edns in ["+noedns", "+bufsize=1232"] {
        // Over UDP only, taking the truncated answer as it is.
        let k = d.kdig(&["+notcp", "+ignore", edns, "big.example.test", "TXT"]);
        assert!(k.contains("Flags: qr aa tc"), "{k}");
        assert!(!k.contains("malformed"), "{edns}: {k}");
        let dig = d.dig(&["+ignore", edns, "big.example.test", "TXT"]);
        assert!(!dig.contains("extra bytes at end"), "{edns}: {dig}");
        // RFC 6891 §7: a truncated answer to an EDNS query keeps its OPT record.
        assert_eq!(
            dig.contains("; EDNS: version: 0"),
            edns != "+noedns",
            "{dig}"
        );
    }
}
