//! The `dns:` section: what it accepts, and the errors (with their lines) for what it does not.

use super::*;

fn parse(yaml: &str) -> Result<DnsConfig, ConfigError> {
    let raw: RawDns = yaml_serde::from_str(yaml).unwrap();
    let locate = |path: &[&str], msg: String| {
        ConfigError::at("edge.yml", yaml, path, format!("{}: {msg}", path.join(".")))
    };
    DnsConfig::from_raw(&raw, &locate)
}

const ZONE: &str = "zones:\n  - name: example.test\n    name-servers:\n      - name: ns1.example.test\n        addresses: [127.0.0.1]\n";

#[test]
fn defaults() {
    let c = parse(ZONE).unwrap();
    assert_eq!(c.ttl, 30);
    assert_eq!(c.tunnel_zone.to_string(), "tunnels.example.test.");
    assert_eq!(c.zones[0].soa.minimum, 300);
    assert_eq!(c.rate_limit.responses_per_second, NonZeroU32::new(200));
}

#[test]
fn static_records_parse_relative_names() {
    let c = parse(&format!(
        "{ZONE}    records:\n      - \"www 60 IN A 192.0.2.1\"\n      - \"@ MX 10 mail\"\n"
    ))
    .unwrap();
    let names: Vec<String> = c.zones[0]
        .records
        .iter()
        .map(|r| format!("{} {} {}", r.name, r.ttl, r.record_type()))
        .collect();
    assert!(
        names.contains(&"www.example.test. 60 A".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"example.test. 3600 MX".to_string()),
        "{names:?}"
    );
}

#[test]
fn bad_record_names_its_line() {
    let e = parse(&format!(
        "{ZONE}    records:\n      - \"www IN A not-an-ip\"\n"
    ))
    .unwrap_err();
    assert_eq!(e.line, Some(7), "{e}");
}

#[test]
fn in_zone_name_server_needs_glue() {
    let e = parse(
        "zones:\n  - name: example.test\n    name-servers:\n      - name: ns1.example.test\n",
    )
    .unwrap_err();
    assert!(e.message.contains("glue"), "{e}");
    assert_eq!(e.line, Some(4), "{e}");
}

#[test]
fn a_cname_must_stand_alone() {
    let e = parse(&format!(
        "{ZONE}    records:\n      - \"www CNAME app\"\n      - \"www TXT hi\"\n"
    ))
    .unwrap_err();
    assert!(e.message.contains("stand alone"), "{e}");
}

#[test]
fn tunnel_zone_must_be_hosted() {
    let e = parse(&format!("tunnel-zone: tunnels.other.test\n{ZONE}")).unwrap_err();
    assert!(e.message.contains("no hosted zone"), "{e}");
}
