//! Answers built from a config and an input, as a query sees them.

use super::*;
use tether_runtime::config_error::ConfigError;

const ID: &str = "0f0e0d0c-0b0a-0908-0706-050403020100";

fn config() -> DnsConfig {
    let yaml = "tunnel-zone: tunnels.example.test\nzones:\n  - name: example.test\n    name-servers:\n      - name: ns1.example.test\n        addresses: [127.0.0.1]\n    records:\n      - \"busy 60 IN TXT hello\"\n      - \"busy 60 IN A 192.0.2.9\"\n";
    let raw = yaml_serde::from_str(yaml).unwrap();
    DnsConfig::from_raw(&raw, &|_: &[&str], m: String| ConfigError::file("t", m)).unwrap()
}

fn input(hosts: &[(&str, Option<&str>)]) -> Input {
    let mut input = Input {
        endpoints: vec![(ID.into(), vec!["127.0.0.7".parse().unwrap()])],
        routes: hosts
            .iter()
            .map(|(h, d)| Route {
                hostname: h.to_string(),
                tunnel_id: ID.into(),
                direct: d.map(|d| d.parse().unwrap()),
            })
            .collect(),
        acme_challenges: Vec::new(),
    };
    input.normalize();
    input
}

fn ask(s: &Snapshot, name: &str, qtype: RecordType, internal: bool) -> Vec<String> {
    match s.answer(&Name::from_ascii(name).unwrap(), qtype, internal) {
        Answer::Records { answers, .. } => answers
            .iter()
            .map(|r| format!("{} {} {}", r.name, r.record_type(), r.data))
            .collect(),
        other => vec![format!("{other:?}")],
    }
}

#[test]
fn route_is_a_cname_chased_to_the_endpoint_address() {
    let s = Snapshot::build(&config(), input(&[("app.example.test", None)]), None, 100);
    assert_eq!(
        ask(&s, "App.Example.Test.", RecordType::A, false),
        vec![
            format!("App.Example.Test. CNAME {ID}.tunnels.example.test."),
            format!("{ID}.tunnels.example.test. A 127.0.0.7"),
        ]
    );
    assert_eq!(
        ask(&s, "tunnels.example.test.", RecordType::A, false),
        vec!["NoData"]
    );
    assert_eq!(
        ask(&s, "nope.example.test.", RecordType::A, false),
        vec!["NxDomain"]
    );
}

#[test]
fn apex_and_occupied_names_are_flattened() {
    let s = Snapshot::build(
        &config(),
        input(&[("example.test", None), ("busy.example.test", None)]),
        None,
        100,
    );
    assert_eq!(
        ask(&s, "example.test.", RecordType::A, false),
        vec!["example.test. A 127.0.0.7"]
    );
    // The static A wins at its name; the TXT stays beside it.
    assert_eq!(
        ask(&s, "busy.example.test.", RecordType::A, false),
        vec!["busy.example.test. A 192.0.2.9"]
    );
    assert_eq!(
        ask(&s, "busy.example.test.", RecordType::TXT, false).len(),
        1
    );
}

#[test]
fn wildcard_synthesizes_the_query_name_but_not_below_existing_names() {
    let s = Snapshot::build(
        &config(),
        input(&[("*.apps.example.test", None)]),
        None,
        100,
    );
    let a = ask(&s, "x.y.apps.example.test.", RecordType::CNAME, false);
    assert_eq!(
        a,
        vec![format!(
            "x.y.apps.example.test. CNAME {ID}.tunnels.example.test."
        )]
    );
    assert_eq!(
        ask(&s, "apps.example.test.", RecordType::A, false),
        vec!["NoData"]
    );
}

#[test]
fn split_horizon_gives_internal_askers_the_direct_address() {
    let s = Snapshot::build(
        &config(),
        input(&[("app.example.test", Some("10.0.0.5"))]),
        None,
        100,
    );
    assert_eq!(
        ask(&s, "app.example.test.", RecordType::A, true),
        vec!["app.example.test. A 10.0.0.5"]
    );
    assert_eq!(ask(&s, "app.example.test.", RecordType::A, false).len(), 2);
    assert!(s.varies_by_asker(&LowerName::new(
        &Name::from_str("app.example.test.").unwrap()
    )));
}

#[test]
fn serial_changes_only_with_content_and_never_goes_back() {
    let c = config();
    let a = Snapshot::build(&c, input(&[]), None, 1000);
    let same = Snapshot::build(&c, input(&[]), Some(&a), 2000);
    assert_eq!(same.serial, 1000);
    let changed = Snapshot::build(&c, input(&[("a.example.test", None)]), Some(&a), 500);
    assert_eq!(changed.serial, 1001);
}

#[test]
fn any_is_answered_with_one_rrset() {
    let s = Snapshot::build(&config(), input(&[]), None, 100);
    assert_eq!(
        ask(&s, "busy.example.test.", RecordType::ANY, false).len(),
        1
    );
}

#[test]
fn acme_challenges_are_txt_records_beside_a_wildcard_route_and_hold_two_values() {
    let mut input = input(&[("*.example.test", None)]);
    input.acme_challenges = vec![
        ("example.test".into(), "apex-value".into()),
        ("example.test".into(), "wildcard-value".into()),
        ("elsewhere.invalid".into(), "outside".into()),
    ];
    input.normalize();
    let s = Snapshot::build(&config(), input, None, 100);
    let mut txt = ask(&s, "_acme-challenge.example.test.", RecordType::TXT, false);
    txt.sort();
    assert_eq!(
        txt,
        vec![
            "_acme-challenge.example.test. TXT apex-value",
            "_acme-challenge.example.test. TXT wildcard-value"
        ]
    );
    // The wildcard route still answers every other name.
    assert_eq!(
        ask(&s, "app.example.test.", RecordType::CNAME, false),
        vec![format!(
            "app.example.test. CNAME {ID}.tunnels.example.test."
        )]
    );
}
