//! edge.yml parsing: defaults, errors that name the file, line and fix.

use super::*;

fn parse(text: &str) -> Result<EdgeConfig, ConfigError> {
    EdgeConfig::parse(Path::new("/etc/tether/edge.yml"), text)
}

#[test]
fn minimal_config_gets_defaults() {
    let c = parse("listen:\n  http: 127.0.0.1:0\n").unwrap();
    assert_eq!(c.response_header_timeout, Duration::from_secs(100));
    assert_eq!(c.state_dir, PathBuf::from("/etc/tether/.tether/edge"));
    assert!(c.listen.https.is_none());
}

#[test]
fn unknown_key_names_file_and_line() {
    let e = parse("listen:\n  http: 127.0.0.1:0\n  htps: 127.0.0.1:0\n").unwrap_err();
    assert_eq!(e.file, "/etc/tether/edge.yml");
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("htps"), "{e}");
}

#[test]
fn every_unknown_key_is_reported_in_one_pass() {
    let text = "listen:\n  http: 127.0.0.1:0\n  htps: 127.0.0.1:0\nstate-dri: /var/lib/tether\ndns:\n  tunnel-zone: tunnels.example.test\n  ttl: 30s\n  zones:\n    - name: example.test\n      tll: 60\n";
    let e = parse(text).unwrap_err();
    assert_eq!(e.line, Some(3), "the first in the file leads: {e}");
    let all = e.to_string();
    assert!(
        all.starts_with(
            "/etc/tether/edge.yml:3:3: listen: `htps` is not a key here; did you mean `https`?"
        ),
        "{all}"
    );
    assert!(
        all.contains(
            "\n/etc/tether/edge.yml:4:1: `state-dri` is not a key here; did you mean `state-dir`?"
        ),
        "{all}"
    );
    assert!(
        all.contains("\n/etc/tether/edge.yml:10:7: dns.zones[0]: `tll` is not a key here"),
        "{all}"
    );
    assert_eq!(all.lines().count(), 3, "{all}");
}

#[test]
fn bad_address_names_line_and_fix() {
    let e = parse("listen:\n  http: 127.0.0.1:0\n  tunnel: localhost\n").unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("IP:PORT"), "{e}");
}

#[test]
fn retry_methods_add_to_the_safe_ones() {
    let c = parse("listen:\n  http: 127.0.0.1:0\nretry-methods: [put, DELETE]\n").unwrap();
    assert!(c.is_replayable(&http::Method::GET));
    assert!(c.is_replayable(&http::Method::PUT));
    assert!(c.is_replayable(&http::Method::DELETE));
    assert!(!c.is_replayable(&http::Method::POST));
    let e = parse("listen:\n  http: 127.0.0.1:0\nretry-methods:\n  - \"GET /\"\n").unwrap_err();
    assert_eq!(e.line, Some(4), "{e}");
    assert!(e.message.contains("PUT or DELETE"), "{e}");
}

#[test]
fn of_several_errors_the_first_in_the_file_is_reported() {
    let e = parse("listen:\n  https: 127.0.0.1:0\ntrusted-proxies: [bogus]\n").unwrap_err();
    assert!(e.message.contains("bogus"), "{e}");
    let e = parse("listen:\n  http: 127.0.0.1:0\nliveness-timeout: 50ms\nidle-timeout: x\n")
        .unwrap_err();
    assert!(e.message.contains("at least 100ms"), "{e}");
}

#[test]
fn https_without_certificates_is_refused() {
    let e = parse("listen:\n  https: 127.0.0.1:0\n").unwrap_err();
    assert!(e.message.contains("dev-ca"), "{e}");
}

#[test]
fn connection_caps_have_defaults_and_zero_is_refused_with_its_line() {
    let c = parse("listen:\n  http: 127.0.0.1:0\n").unwrap();
    assert_eq!((c.max_connections, c.max_connections_per_ip), (16_384, 256));
    let c = parse("listen:\n  http: 127.0.0.1:0\nmax-connections-per-ip: 8\n").unwrap();
    assert_eq!(c.max_connections_per_ip, 8);
    let e = parse("listen:\n  http: 127.0.0.1:0\nmax-connections: 0\n").unwrap_err();
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.message.contains("at least 1"), "{e}");
}

#[test]
fn admin_listens_on_loopback_unless_it_has_tls() {
    let c = parse("listen:\n  http: 127.0.0.1:0\nadmin: {}\n").unwrap();
    let admin = c.admin.expect("admin");
    assert_eq!(admin.listen.to_string(), DEFAULT_ADMIN_LISTEN);
    assert!(matches!(admin.tls, AdminTls::Off));
    assert_eq!(c.listen.admin, Some(admin.listen));
    assert!(parse("listen:\n  http: 127.0.0.1:0\n")
        .unwrap()
        .admin
        .is_none());
    let e = parse("listen:\n  http: 127.0.0.1:0\nadmin:\n  listen: 0.0.0.0:7070\n").unwrap_err();
    assert_eq!(e.line, Some(4), "{e}");
    assert!(e.message.contains("tls: edge"), "{e}");
    let e = parse("listen:\n  http: 127.0.0.1:0\nadmin:\n  listen: 0.0.0.0:7070\n  tls: edge\n")
        .unwrap_err();
    assert!(e.message.contains("there are none"), "{e}");
    let c = parse("listen:\n  http: 127.0.0.1:0\ntls:\n  dev-ca: true\nadmin:\n  listen: 0.0.0.0:7070\n  tls: edge\n  hosts: [Admin.Example.com]\n").unwrap();
    let admin = c.admin.expect("admin");
    assert!(matches!(admin.tls, AdminTls::Edge));
    assert_eq!(admin.hosts, ["admin.example.com"]);
    let c =
        parse("listen:\n  http: 127.0.0.1:0\nadmin:\n  tls: {cert: a.pem, key: a.key}\n").unwrap();
    assert!(
        matches!(c.admin.unwrap().tls, AdminTls::Files(f) if f.cert == Path::new("/etc/tether/a.pem"))
    );
    let e = parse("listen:\n  http: 127.0.0.1:0\nadmin:\n  tls: yes\n").unwrap_err();
    assert_eq!(e.line, Some(4), "{e}");
    let e =
        parse("listen:\n  http: 127.0.0.1:0\nadmin:\n  hosts: [\"a.example:80\"]\n").unwrap_err();
    assert!(e.message.contains("host name"), "{e}");
    let e = parse("listen:\n  http: 127.0.0.1:0\nadmin:\n  lisen: 127.0.0.1:1\n").unwrap_err();
    assert_eq!(e.line, Some(4), "{e}");
}
