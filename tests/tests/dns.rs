//! The authoritative DNS, asked by the real `dig` (bind9-dnsutils) and `kdig` (knot-dnsutils).

use std::net::UdpSocket;
use std::time::Duration;

use tests::dns::{eventually, flags, has_status, section, status, DnsEdge};

#[test]
fn route_is_a_cname_answered_with_the_endpoint_address_in_one_query() {
    let d = DnsEdge::start(&[]);
    d.edge.route(&d.tunnel, "app.example.test");
    let out = d.wait_answer("app.example.test", "A", "CNAME");
    let answer = section(&out, "ANSWER");
    assert_eq!(
        answer,
        vec![
            format!("app.example.test. 30 IN CNAME {}", d.endpoint()),
            format!("{} 30 IN A 127.0.0.1", d.endpoint()),
        ],
        "{out}"
    );
    assert_eq!(status(&out), "NOERROR");
    let f = flags(&out);
    assert!(
        f.contains(&"aa".into()) && f.contains(&"rd".into()),
        "{out}"
    );
    assert!(
        !f.contains(&"ra".into()),
        "recursion is never offered: {out}"
    );

    // kdig sees the same chain, over TCP too.
    for transport in ["+notcp", "+tcp"] {
        let k = d.kdig(&[transport, "app.example.test", "A"]);
        assert!(k.contains("status: NOERROR"), "{k}");
        assert!(k.contains(&format!("CNAME\t{}", d.endpoint())), "{k}");
        assert!(k.contains("A\t127.0.0.1"), "{k}");
    }
}

#[test]
fn names_outside_hosted_zones_are_refused_without_aa() {
    let d = DnsEdge::start(&[]);
    let out = d.dig(&["www.example.com", "A"]);
    assert_eq!(status(&out), "REFUSED", "{out}");
    assert!(!flags(&out).contains(&"aa".into()), "{out}");
    assert!(section(&out, "ANSWER").is_empty(), "{out}");
    let k = d.kdig(&["www.example.com", "A"]);
    assert!(k.contains("status: REFUSED"), "{k}");
    assert!(!flags(&k).contains(&"aa".to_string()), "{k}");
    // Only class IN is served.
    let chaos = d.dig(&["example.test", "CH", "SOA"]);
    assert_eq!(status(&chaos), "REFUSED", "{chaos}");
}

#[test]
fn negative_answers_carry_the_soa_with_the_negative_ttl() {
    let d = DnsEdge::start(&[]);
    // SOA TTL 3600, MINIMUM 60: negative TTL is 60 (RFC 2308).
    let nx = d.dig(&["nope.example.test", "A"]);
    assert_eq!(status(&nx), "NXDOMAIN", "{nx}");
    assert!(flags(&nx).contains(&"aa".into()), "{nx}");
    let soa = section(&nx, "AUTHORITY");
    assert_eq!(soa.len(), 1, "{nx}");
    assert!(
        soa[0].starts_with("example.test. 60 IN SOA ns1.example.test. hostmaster.example.test."),
        "{nx}"
    );

    let nodata = d.dig(&["mail.example.test", "TXT"]);
    assert_eq!(status(&nodata), "NOERROR", "{nodata}");
    assert!(section(&nodata, "ANSWER").is_empty(), "{nodata}");
    assert!(
        section(&nodata, "AUTHORITY")[0].starts_with("example.test. 60 IN SOA"),
        "{nodata}"
    );

    let k = d.kdig(&["nope.example.test", "A"]);
    assert!(k.contains("status: NXDOMAIN"), "{k}");
    assert!(flags(&k).contains(&"aa".to_string()), "{k}");
    assert!(
        regex::Regex::new(r"example\.test\.\s+60\s+IN\s+SOA")
            .unwrap()
            .is_match(&k),
        "{k}"
    );
    // The positive SOA keeps its own TTL.
    let positive = d.dig(&["example.test", "SOA"]);
    assert!(
        section(&positive, "ANSWER")[0].starts_with("example.test. 3600 IN SOA"),
        "{positive}"
    );
}

#[test]
fn edns_versions_above_zero_get_badvers_and_unknown_options_are_ignored() {
    let d = DnsEdge::start(&[]);
    let bad = d.dig(&["+edns=1", "+noednsnegotiation", "mail.example.test", "A"]);
    assert_eq!(status(&bad), "BADVERS", "{bad}");
    assert!(bad.contains("EDNS: version: 0"), "{bad}");

    let k = d.kdig(&["+edns=1", "mail.example.test", "A"]);
    assert!(k.contains("status: BADVERS"), "{k}");
    let unknown = d.dig(&["+ednsopt=65001:abcd", "mail.example.test", "A"]);
    assert_eq!(status(&unknown), "NOERROR", "{unknown}");
    assert_eq!(
        section(&unknown, "ANSWER"),
        vec!["mail.example.test. 300 IN A 192.0.2.25"]
    );
    assert!(unknown.contains("EDNS: version: 0"), "{unknown}");
    let k = d.kdig(&["+ednsopt=65001:abcd", "mail.example.test", "A"]);
    assert!(
        k.contains("status: NOERROR") && k.contains("192.0.2.25"),
        "{k}"
    );
}

#[test]
fn large_answers_set_tc_over_udp_and_come_whole_over_tcp() {
    let records: Vec<String> = (0..30)
        .map(|i| format!("big 300 IN TXT \"{i:02}{}\"", "x".repeat(100)))
        .collect();
    let refs: Vec<&str> = records.iter().map(String::as_str).collect();
    let d = DnsEdge::start(&refs);
    let udp = d.dig(&["+ignore", "+bufsize=1232", "big.example.test", "TXT"]);
    assert!(flags(&udp).contains(&"tc".into()), "{udp}");
    // However large a buffer the asker advertises, a UDP answer stays within 1232 bytes
    // (dns.max-udp-payload), so it is never fragmented.
    let udp_big = d.dig(&["+ignore", "+bufsize=65000", "big.example.test", "TXT"]);
    assert!(flags(&udp_big).contains(&"tc".into()), "{udp_big}");
    assert!(udp_big.contains("udp: 1232"), "{udp_big}");
    let udp_plain = d.dig(&["+ignore", "+noedns", "big.example.test", "TXT"]);
    assert!(flags(&udp_plain).contains(&"tc".into()), "{udp_plain}");
    let tcp = d.dig(&["+tcp", "big.example.test", "TXT"]);
    assert_eq!(section(&tcp, "ANSWER").len(), 30, "{tcp}");
    assert!(!flags(&tcp).contains(&"tc".into()), "{tcp}");
    // kdig falls back to TCP by itself on TC.
    let k = d.kdig(&["big.example.test", "TXT"]);
    assert_eq!(k.matches("\tTXT\t").count(), 30, "{k}");
}

#[test]
fn any_is_answered_minimally_and_case_is_preserved() {
    let d = DnsEdge::start(&[]);
    let out = d.dig(&["example.test", "ANY"]);
    assert_eq!(status(&out), "NOERROR", "{out}");
    let answer = section(&out, "ANSWER");
    let types: std::collections::HashSet<&str> = answer
        .iter()
        .map(|l| l.split(' ').nth(3).unwrap_or(""))
        .collect();
    assert_eq!(types.len(), 1, "ANY gets one RRset (RFC 8482): {out}");

    let k = d.kdig(&["example.test", "ANY"]);
    assert!(k.contains("status: NOERROR"), "{k}");
    assert!(
        k.contains("ANSWER: 1;") || k.contains("ANSWER: 1,"),
        "one RRset: {k}"
    );
    let mixed = d.dig(&["MaIl.ExAmPlE.tEsT", "A"]);
    assert!(mixed.contains(";MaIl.ExAmPlE.tEsT.\t\tIN\tA"), "{mixed}");
    assert_eq!(
        section(&mixed, "ANSWER"),
        vec!["MaIl.ExAmPlE.tEsT. 300 IN A 192.0.2.25"]
    );
}

#[test]
fn zone_transfers_only_for_the_acl() {
    let d = DnsEdge::start(&[]);
    let refused = d.dig(&["example.test", "AXFR"]);
    assert!(refused.contains("Transfer failed"), "{refused}");
    let refused_ixfr = d.dig(&["example.test", "IXFR=1"]);
    assert!(refused_ixfr.contains("Transfer failed"), "{refused_ixfr}");
    // Only the zone transfers, not a name inside it.
    let inner = d.dig(&["-b", "127.0.0.3", "mail.example.test", "AXFR"]);
    assert!(inner.contains("Transfer failed"), "{inner}");

    let allowed = d.dig(&["-b", "127.0.0.3", "example.test", "AXFR"]);
    let records: Vec<&str> = allowed
        .lines()
        .filter(|l| !l.starts_with(';') && !l.is_empty())
        .collect();
    assert!(
        records.first().is_some_and(|l| l.contains("\tSOA\t")),
        "{allowed}"
    );
    assert!(
        records.last().is_some_and(|l| l.contains("\tSOA\t")),
        "{allowed}"
    );
    assert!(allowed.contains("192.0.2.25"), "{allowed}");
    let k = d.kdig(&["-b", "127.0.0.3", "example.test", "AXFR"]);
    assert!(k.contains("192.0.2.25"), "{k}");
    let ixfr = d.dig(&["-b", "127.0.0.3", "example.test", "IXFR=1"]);
    assert!(ixfr.contains("192.0.2.25"), "{ixfr}");
}

#[test]
fn a_dual_stack_listener_sees_ipv4_clients_as_ipv4() {
    // On [::], IPv4 clients arrive as ::ffff:a.b.c.d; the IPv4 ACL entry must still match.
    let d = DnsEdge::start_on("[::]:0", tests::dns::DNS_CONFIG);
    let allowed = d.dig(&["-b", "127.0.0.3", "example.test", "AXFR"]);
    assert!(allowed.contains("192.0.2.25"), "{allowed}");
    let refused = d.dig(&["example.test", "AXFR"]);
    assert!(refused.contains("Transfer failed"), "{refused}");
}

#[test]
fn unknown_opcode_is_notimp_and_malformed_packets_do_no_harm() {
    let d = DnsEdge::start(&[]);
    let notify = d.dig(&["+opcode=4", "example.test", "SOA"]);
    assert_eq!(status(&notify), "NOTIMP", "{notify}");
    let status_op = d.dig(&["+opcode=2", "example.test", "SOA"]);
    assert_eq!(status(&status_op), "NOTIMP", "{status_op}");

    // Garbage over UDP: a header that promises a question that is not there, and a runt.
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let server = d.edge.addr("dns");
    let garbage = [
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
    ];
    socket.send_to(&garbage, server).unwrap();
    let mut buf = [0u8; 512];
    let (n, _) = socket
        .recv_from(&mut buf)
        .expect("an answer to a malformed query");
    assert!(
        n >= 12 && buf[0] == 0x12 && buf[1] == 0x34,
        "{:?}",
        &buf[..n]
    );
    assert_eq!(buf[3] & 0x0f, 1, "FORMERR");
    socket.send_to(&[1, 2, 3], server).unwrap();
    // Over TCP: a length prefix with a truncated message, then a close.
    {
        use std::io::Write;
        let mut tcp = std::net::TcpStream::connect(server).unwrap();
        tcp.write_all(&[0, 40, 0x12, 0x34, 0x01]).unwrap();
    }
    // Still serving.
    let after = d.dig(&["mail.example.test", "A"]);
    assert_eq!(status(&after), "NOERROR", "{after}");
}

#[test]
fn wildcard_routes_and_flattening() {
    let d = DnsEdge::start(&[]);
    d.edge.route(&d.tunnel, "*.apps.example.test");
    d.edge.route(&d.tunnel, "example.test");
    d.edge.route(&d.tunnel, "busy.example.test");
    let wild = d.wait_answer("deep.x.apps.example.test", "A", "CNAME");
    assert_eq!(
        section(&wild, "ANSWER")[0],
        format!("deep.x.apps.example.test. 30 IN CNAME {}", d.endpoint())
    );
    // At the apex a CNAME is illegal: the address is answered directly, SOA and NS stay.
    let apex = d.wait_answer("example.test", "A", "127.0.0.1");
    assert_eq!(
        section(&apex, "ANSWER"),
        vec!["example.test. 30 IN A 127.0.0.1"]
    );
    assert_eq!(
        section(&d.dig(&["example.test", "NS"]), "ANSWER"),
        vec!["example.test. 3600 IN NS ns1.example.test."]
    );
    // Beside the TXT at busy: flattened too, and the TXT is kept.
    let busy = d.wait_answer("busy.example.test", "A", "127.0.0.1");
    assert_eq!(
        section(&busy, "ANSWER"),
        vec!["busy.example.test. 30 IN A 127.0.0.1"]
    );
    assert_eq!(
        section(&d.dig(&["busy.example.test", "TXT"]), "ANSWER"),
        vec!["busy.example.test. 300 IN TXT \"keep me\""]
    );
    // NS answers carry glue for the in-zone name server; MX answers the exchange's address.
    let ns = d.dig(&["example.test", "NS"]);
    assert_eq!(
        section(&ns, "ADDITIONAL"),
        vec!["ns1.example.test. 3600 IN A 127.0.0.1"],
        "{ns}"
    );
    let mx = d.dig(&["example.test", "MX"]);
    assert_eq!(
        section(&mx, "ADDITIONAL"),
        vec!["mail.example.test. 300 IN A 192.0.2.25"],
        "{mx}"
    );
}

#[test]
fn route_and_tunnel_changes_appear_without_restart_and_bump_the_serial() {
    let d = DnsEdge::start(&[]);
    let serial = |d: &DnsEdge| -> u64 {
        let out = d.dig(&["+short", "example.test", "SOA"]);
        out.split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .expect("serial")
    };
    let before = serial(&d);
    d.edge.route(&d.tunnel, "later.example.test");
    d.wait_answer("later.example.test", "CNAME", "CNAME");
    let after = serial(&d);
    assert!(after > before, "{before} -> {after}");

    d.edge
        .cli_ok(&["tunnel", "route", "delete", "later.example.test"]);
    eventually("route delete reaching DNS", || {
        has_status(&d, "later.example.test", "NXDOMAIN")
    });
    assert!(serial(&d) > after);

    d.edge.route(&d.tunnel, "gone.example.test");
    d.wait_answer("gone.example.test", "A", "127.0.0.1");
    d.edge.cli_ok(&["tunnel", "delete", "t1"]);
    eventually("tunnel delete reaching DNS", || {
        has_status(&d, "gone.example.test", "NXDOMAIN")?;
        has_status(&d, &d.endpoint(), "NXDOMAIN")
    });
}

#[test]
fn routes_outside_hosted_zones_print_the_record_to_create() {
    let d = DnsEdge::start(&[]);
    let printed = d.edge.route(&d.tunnel, "app.elsewhere.test");
    assert!(
        printed.contains(&format!(
            "app.elsewhere.test. 300 IN CNAME {}",
            d.endpoint()
        )),
        "{printed}"
    );
    assert_eq!(status(&d.dig(&["app.elsewhere.test", "A"])), "REFUSED");
    let inside = d.edge.route(&d.tunnel, "in.example.test");
    assert!(inside.contains("now resolves through"), "{inside}");
}

#[test]
fn split_horizon_by_source_address_and_client_subnet() {
    let d = DnsEdge::start(&["alias 300 IN CNAME git"]);
    d.edge
        .route_with(&d.tunnel, "git.example.test", &["--direct", "10.0.0.5"]);
    d.wait_answer("git.example.test", "A", "CNAME");
    // An internal asker (dns.internal-networks: 127.0.0.2/32) gets the LAN address.
    let internal = d.dig(&["-b", "127.0.0.2", "git.example.test", "A"]);
    assert_eq!(
        section(&internal, "ANSWER"),
        vec!["git.example.test. 30 IN A 10.0.0.5"],
        "{internal}"
    );
    // Through a resolver that sends the client's subnet (RFC 7871), the subnet decides, and the
    // answer's scope says it is only for that subnet.
    let via_ecs = d.dig(&["+subnet=127.0.0.2/32", "git.example.test", "A"]);
    assert_eq!(
        section(&via_ecs, "ANSWER"),
        vec!["git.example.test. 30 IN A 10.0.0.5"],
        "{via_ecs}"
    );
    assert!(
        via_ecs.contains("CLIENT-SUBNET: 127.0.0.2/32/32"),
        "{via_ecs}"
    );
    let outside_ecs = d.dig(&[
        "-b",
        "127.0.0.2",
        "+subnet=192.0.2.0/24",
        "git.example.test",
        "A",
    ]);
    assert!(
        section(&outside_ecs, "ANSWER")[0].contains("CNAME"),
        "{outside_ecs}"
    );
    // A subnet is believed only from a resolver in dns.trusted-resolvers (127.0.0.1 here):
    // from anyone else the query's source decides, and the scope says the answer is for all.
    let untrusted = d.dig(&[
        "-b",
        "127.0.0.4",
        "+subnet=127.0.0.2/32",
        "git.example.test",
        "A",
    ]);
    assert!(
        section(&untrusted, "ANSWER")[0].contains("CNAME"),
        "{untrusted}"
    );
    assert!(
        untrusted.contains("CLIENT-SUBNET: 127.0.0.2/32/0"),
        "{untrusted}"
    );
    // A subnet only partly inside the internal network is not internal.
    let wide = d.dig(&["+subnet=127.0.0.0/24", "git.example.test", "A"]);
    assert!(section(&wide, "ANSWER")[0].contains("CNAME"), "{wide}");
    // A name whose CNAME chain reaches a split-horizon name varies too.
    let alias = d.dig(&["+subnet=192.0.2.0/24", "alias.example.test", "A"]);
    assert!(alias.contains("CLIENT-SUBNET: 192.0.2.0/24/24"), "{alias}");
    // Only the addresses are replaced: other records at the name stay for internal askers.
    d.edge
        .route_with(&d.tunnel, "busy.example.test", &["--direct", "10.0.0.7"]);
    d.wait_answer("busy.example.test", "A", "127.0.0.1");
    let busy = d.dig(&["-b", "127.0.0.2", "busy.example.test", "A"]);
    assert_eq!(
        section(&busy, "ANSWER"),
        vec!["busy.example.test. 30 IN A 10.0.0.7"],
        "{busy}"
    );
    let txt = d.dig(&["-b", "127.0.0.2", "busy.example.test", "TXT"]);
    assert_eq!(
        section(&txt, "ANSWER"),
        vec!["busy.example.test. 300 IN TXT \"keep me\""],
        "{txt}"
    );
    // Names without a direct address answer everyone alike: scope 0.
    let plain = d.dig(&["+subnet=192.0.2.0/24", "mail.example.test", "A"]);
    assert!(plain.contains("CLIENT-SUBNET: 192.0.2.0/24/0"), "{plain}");
    let k = d.kdig(&["-b", "127.0.0.2", "git.example.test", "A"]);
    assert!(k.contains("A\t10.0.0.5"), "{k}");
    let k = d.kdig(&["+subnet=127.0.0.2/32", "git.example.test", "A"]);
    assert!(k.contains("A\t10.0.0.5"), "{k}");
    let k = d.kdig(&[
        "-b",
        "127.0.0.2",
        "+subnet=192.0.2.0/24",
        "git.example.test",
        "A",
    ]);
    assert!(k.contains("CNAME") && !k.contains("10.0.0.5"), "{k}");
}

#[test]
fn endpoint_answers_the_edges_that_hold_the_tunnel() {
    // Two edges on one store, advertising different addresses.
    let d = DnsEdge::start(&[]);
    let second_dir = d.edge.dir.path().join("second");
    std::fs::create_dir_all(&second_dir).unwrap();
    let second_config = second_dir.join("edge.yml");
    std::fs::write(
        &second_config,
        format!(
            "state-dir: {}\nedge-id: second\nlisten:\n  http: 127.0.0.1:0\n  tunnel: 127.0.0.1:0\nadvertise:\n  addresses: [127.0.0.9]\n",
            d.edge.dir.path().join("state").display()
        ),
    )
    .unwrap();
    let mut command = std::process::Command::new(&tests::process::binaries().edge);
    command.args(["run", "--config"]).arg(&second_config);
    let second = tests::process::Proc::spawn("edge2", command);
    second.wait_for("edge ready", tests::READY);

    // No session anywhere: every live edge.
    let both = d.wait_answer(&d.endpoint(), "A", "127.0.0.9");
    assert_eq!(section(&both, "ANSWER").len(), 2, "{both}");
    // A session on the first edge only (one session: more would spread over both edges): just
    // its address.
    let _connector = d.edge.connect(
        &d.tunnel,
        "ha-connections: 1\ningress:\n  - service: hello_world\n",
    );
    eventually(
        "the endpoint answering only the edge with the session",
        || {
            let answer = section(&d.dig(&[&d.endpoint(), "A"]), "ANSWER");
            if answer == vec![format!("{} 30 IN A 127.0.0.1", d.endpoint())] {
                Ok(())
            } else {
                Err(format!("{answer:?}"))
            }
        },
    );
}

#[test]
fn standalone_dns_serves_the_same_store() {
    let d = DnsEdge::start(&[]);
    d.edge.route(&d.tunnel, "solo.example.test");
    let mut command = std::process::Command::new(&tests::process::binaries().dns);
    command
        .args(["run", "--listen", "127.0.0.1:0", "--config"])
        .arg(&d.edge.config);
    let dns = tests::process::Proc::spawn("dns", command);
    let line = dns.wait_for("listening on dns", tests::READY);
    let addr: std::net::SocketAddr = line.rsplit(' ').next().unwrap().trim().parse().unwrap();
    tests::dns::wait_answer_at(addr, "solo.example.test", "A", "127.0.0.1");
    d.edge.route(&d.tunnel, "solo2.example.test");
    tests::dns::wait_answer_at(addr, "solo2.example.test", "A", "CNAME");
}

#[test]
fn rate_limiting_slips_or_drops_the_excess_and_counts_it() {
    let d = DnsEdge::start_config(&tests::dns::DNS_CONFIG.replace(
        "    ipv4-prefix: 32\n",
        "    ipv4-prefix: 32\n    responses-per-second: 10\n",
    ));
    // A burst of 300 queries from 127.0.0.5: about 10 answered, some slipped (TC=1), the rest
    // dropped.
    let socket = UdpSocket::bind("127.0.0.5:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let server = d.edge.addr("dns");
    let query = |id: u16| -> Vec<u8> {
        let mut q = vec![
            (id >> 8) as u8,
            id as u8,
            0x01,
            0x00,
            0,
            1,
            0,
            0,
            0,
            0,
            0,
            0,
        ];
        for label in ["mail", "example", "test"] {
            q.push(label.len() as u8);
            q.extend_from_slice(label.as_bytes());
        }
        q.extend_from_slice(&[0, 0, 1, 0, 1]);
        q
    };
    for id in 0..300u16 {
        socket.send_to(&query(id), server).unwrap();
    }
    let (mut full, mut truncated) = (0, 0);
    let mut buf = [0u8; 512];
    while let Ok((n, _)) = socket.recv_from(&mut buf) {
        assert!(n >= 12);
        if buf[2] & 0x02 != 0 {
            truncated += 1;
        } else {
            full += 1;
        }
    }
    assert!((5..=40).contains(&full), "answered {full} of 300");
    assert!(truncated > 0, "no TC slips");
    assert!(
        full + truncated < 250,
        "too few dropped: {full} + {truncated}"
    );
    // Another source is not affected, and TCP never is.
    let other = d.dig(&["-b", "127.0.0.6", "mail.example.test", "A"]);
    assert_eq!(status(&other), "NOERROR");
    let tcp = d.dig(&["-b", "127.0.0.5", "+tcp", "mail.example.test", "A"]);
    assert_eq!(status(&tcp), "NOERROR");
    // The metrics say so.
    let out = std::process::Command::new("curl")
        .args(["-sf", &format!("http://{}/metrics", d.edge.addr("metrics"))])
        .output()
        .unwrap();
    let metrics = String::from_utf8_lossy(&out.stdout);
    assert!(
        metrics.contains("tether_dns_rate_limited_total{action=\"drop\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tether_dns_rate_limited_total{action=\"slip\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tether_dns_queries_total{qtype=\"A\",rcode=\"NOERROR\"}"),
        "{metrics}"
    );
}
