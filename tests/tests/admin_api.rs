//! The admin API as an operator uses it: tokens made with the CLI, calls made with curl, every
//! answer checked against openapi.json, and the document checked against the router.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::{json, Value};
use tests::admin::{assert_documented, openapi, Answer, ADMIN};
use tests::process::Proc;
use tests::tunnel::TestEdge;
use tests::READY;
use tether_edge::admin::auth::Access;
use tether_edge::admin::router::ENDPOINTS;

const HELLO: &str = "ingress:\n  - service: hello_world\n";
const WRONG: &str = "tadm_0123456789abcdef0123456789abcdef.not-the-secret";

#[test]
fn openapi_lists_exactly_the_routers_endpoints() {
    let doc = openapi();
    let mut documented = BTreeSet::new();
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            documented.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    let routed: BTreeSet<(String, String)> = ENDPOINTS
        .iter()
        .map(|e| (e.method.to_string(), e.path.to_string()))
        .collect();
    assert_eq!(routed.len(), ENDPOINTS.len(), "an endpoint is listed twice");
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routed but not in openapi.json: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "in openapi.json but not routed: {unrouted:?}"
    );
}

/// A path of the table with its parameter filled in.
fn concrete(template: &str, tunnel: &str, host: &str, connector: &str) -> String {
    template
        .replace("{tunnel}", tunnel)
        .replace("{hostname}", host)
        .replace("{connector}", connector)
}

#[test]
fn every_endpoint_refuses_missing_wrong_and_read_only_tokens() {
    let edge = TestEdge::start(ADMIN);
    let read = edge.admin_token("viewer", "read");
    let doc = openapi();
    let connector = uuid::Uuid::new_v4().to_string();
    for e in ENDPOINTS.iter().filter(|e| e.access != Access::Public) {
        let path = concrete(e.path, "web", "app.example.test", &connector);
        for token in [None, Some(WRONG)] {
            let answer = edge.api(e.method, &path, token, None);
            assert_eq!(
                answer.status, 401,
                "{} {path} with {token:?}: {answer:?}",
                e.method
            );
            assert_eq!(answer.body["code"], "unauthorized");
            assert_documented(&doc, e.method, e.path, &answer);
        }
        if e.access == Access::Write {
            let answer = edge.api(e.method, &path, Some(&read), Some("{}"));
            assert_eq!(
                answer.status, 403,
                "{} {path} with a read token: {answer:?}",
                e.method
            );
            assert_eq!(answer.body["code"], "forbidden");
            assert_documented(&doc, e.method, e.path, &answer);
        }
    }
}

#[test]
fn read_and_write_tokens_manage_tunnels_routes_and_sessions() {
    let edge = TestEdge::start(ADMIN);
    let (read, write) = (
        edge.admin_token("viewer", "read"),
        edge.admin_token("ops", "write"),
    );
    let doc = openapi();
    let tunnel = edge.create_tunnel("web");
    edge.route(&tunnel, "app.example.test");
    let _connector = edge.connect(&tunnel, HELLO);
    wait_for_sessions(&edge, &read, 4);
    let call = |method: &str, template: &str, path: &str, token: &str, body: Option<Value>| {
        let body = body.map(|b| b.to_string());
        let answer = edge.api(method, path, Some(token), body.as_deref());
        assert_documented(&doc, method, template, &answer);
        answer
    };
    // Every read, with the read token.
    let tunnels = call("GET", "/api/v1/tunnels", "/api/v1/tunnels", &read, None);
    assert_eq!(tunnels.status, 200);
    assert_eq!(tunnels.body[0]["name"], "web");
    assert_eq!(tunnels.body[0]["routes"][0]["hostname"], "app.example.test");
    let sessions = call("GET", "/api/v1/sessions", "/api/v1/sessions", &read, None);
    assert_eq!(sessions.status, 200);
    assert_eq!(
        sessions.body.as_array().map(Vec::len),
        Some(4),
        "{}",
        sessions.body
    );
    let session = &sessions.body[0];
    assert_eq!(session["tunnel_id"], tunnel.id.as_str());
    assert!(!session["version"].as_str().unwrap_or("").is_empty());
    for (template, path) in [
        (
            "/api/v1/tunnels/{tunnel}",
            "/api/v1/tunnels/web".to_string(),
        ),
        ("/api/v1/routes", "/api/v1/routes".into()),
        ("/api/v1/edges", "/api/v1/edges".into()),
        ("/api/v1/ports", "/api/v1/ports".into()),
        ("/api/v1/metrics", "/api/v1/metrics".into()),
        ("/api/v1/whoami", "/api/v1/whoami".into()),
        ("/api/v1/openapi.json", "/api/v1/openapi.json".into()),
        (
            "/api/v1/sessions",
            format!("/api/v1/sessions?tunnel={}", tunnel.id),
        ),
    ] {
        let answer = call("GET", template, &path, &read, None);
        assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
    }
    let edges = call("GET", "/api/v1/edges", "/api/v1/edges", &read, None);
    assert_eq!(edges.body[0]["sessions"], 4, "{}", edges.body);
    // The RTT comes from the owning edge's PINGs, published with its counters.
    let rtt = wait_until(|| {
        let s = edge.api("GET", "/api/v1/sessions", Some(&read), None);
        s.body[0]["rtt_ms"].as_f64()
    });
    assert!(rtt > 0.0 && rtt < 5000.0, "rtt {rtt}");

    // Every write, with the write token.
    let created = call(
        "POST",
        "/api/v1/tunnels",
        "/api/v1/tunnels",
        &write,
        Some(json!({"name": "api-made"})),
    );
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.body["tunnel"]["keys"], 0);
    let enrollment = call(
        "POST",
        "/api/v1/tunnels/{tunnel}/enrollments",
        "/api/v1/tunnels/api-made/enrollments",
        &write,
        Some(json!({"ttl_secs": 600})),
    );
    assert_eq!(enrollment.status, 201, "{enrollment:?}");
    let routed = call(
        "POST",
        "/api/v1/routes",
        "/api/v1/routes",
        &write,
        Some(json!({"type": "dns", "tunnel": "api-made", "hostname": "API.example.test"})),
    );
    assert_eq!(routed.status, 201, "{routed:?}");
    assert_eq!(routed.body["route"]["hostname"], "api.example.test");
    let taken = call(
        "POST",
        "/api/v1/routes",
        "/api/v1/routes",
        &write,
        Some(json!({"type": "dns", "tunnel": "web", "hostname": "api.example.test"})),
    );
    assert_eq!(
        (taken.status, taken.body["code"].as_str()),
        (409, Some("conflict"))
    );
    let policy = json!({"client-ip-rules": [{"allow": ["10.0.0.0/8"]}]});
    let path = "/api/v1/routes/api.example.test/policy";
    let set = call(
        "PUT",
        "/api/v1/routes/{hostname}/policy",
        path,
        &write,
        Some(policy),
    );
    assert_eq!(
        (set.status, set.body["policy"].as_str()),
        (200, Some("ip-rules:1")),
        "{set:?}"
    );
    let cleared = call(
        "DELETE",
        "/api/v1/routes/{hostname}/policy",
        path,
        &write,
        None,
    );
    assert_eq!(
        (cleared.status, cleared.body["policy"].as_str()),
        (200, Some(""))
    );
    let deleted = call(
        "DELETE",
        "/api/v1/routes/{hostname}",
        "/api/v1/routes/api.example.test",
        &write,
        None,
    );
    assert_eq!(deleted.status, 200, "{deleted:?}");
    let missing = call(
        "GET",
        "/api/v1/tunnels/{tunnel}",
        "/api/v1/tunnels/nope",
        &read,
        None,
    );
    assert_eq!(
        (missing.status, missing.body["code"].as_str()),
        (404, Some("not_found"))
    );
    let revoked = call(
        "POST",
        "/api/v1/tunnels/{tunnel}/revoke",
        "/api/v1/tunnels/api-made/revoke",
        &write,
        None,
    );
    assert_eq!(revoked.status, 200, "{revoked:?}");
    let gone = call(
        "DELETE",
        "/api/v1/tunnels/{tunnel}",
        "/api/v1/tunnels/api-made",
        &write,
        None,
    );
    assert_eq!(
        (gone.status, gone.body["name"].as_str()),
        (200, Some("api-made"))
    );
    let tunnels = call("GET", "/api/v1/tunnels", "/api/v1/tunnels", &read, None);
    assert_eq!(tunnels.body.as_array().map(Vec::len), Some(1));
}

#[test]
fn bad_json_and_unknown_fields_are_refused_naming_the_field() {
    let edge = TestEdge::start(ADMIN);
    let write = edge.admin_token("ops", "write");
    let doc = openapi();
    for (method, template, path, body, names) in [
        (
            "POST",
            "/api/v1/tunnels",
            "/api/v1/tunnels",
            "{\"name\": \"a\", \"colour\": 1}",
            "colour",
        ),
        ("POST", "/api/v1/tunnels", "/api/v1/tunnels", "{}", "name"),
        (
            "POST",
            "/api/v1/tunnels",
            "/api/v1/tunnels",
            "{not json",
            "bad JSON",
        ),
        (
            "POST",
            "/api/v1/routes",
            "/api/v1/routes",
            "{\"type\": \"dns\", \"tunnel\": \"x\", \"hostname\": \"a.test\", \"prot\": 1}",
            "prot",
        ),
        (
            "POST",
            "/api/v1/routes",
            "/api/v1/routes",
            "{\"type\": \"udp\", \"tunnel\": \"x\", \"hostname\": \"a.test\"}",
            "udp",
        ),
        (
            "PUT",
            "/api/v1/routes/{hostname}/policy",
            "/api/v1/routes/a.test/policy",
            "{\"polcy\": {}}",
            "polcy",
        ),
        (
            "POST",
            "/api/v1/login",
            "/api/v1/login",
            "{\"tokn\": \"x\"}",
            "tokn",
        ),
    ] {
        let answer = edge.api(method, path, Some(&write), Some(body));
        assert_eq!(answer.status, 400, "{method} {path} {body}: {answer:?}");
        let message = answer.body["message"].as_str().unwrap_or("");
        assert!(message.contains(names), "{method} {path} {body}: {message}");
        assert_documented(&doc, method, template, &answer);
    }
    let answer = edge.api("GET", "/api/v1/sessions?tunel=x", Some(&write), None);
    assert_eq!(answer.status, 400);
    assert!(answer.body["message"]
        .as_str()
        .unwrap_or("")
        .contains("tunel"));
}

#[test]
fn unknown_hosts_foreign_origins_and_revoked_tokens_are_refused() {
    let edge = TestEdge::start(&format!("{ADMIN}  hosts: [admin.example.test]\n"));
    let write = edge.admin_token("ops", "write");
    let bearer = format!("Authorization: Bearer {write}");
    // DNS rebinding: a page on another name that resolves to this listener.
    let rebound = edge.api_with(
        "GET",
        "/api/v1/tunnels",
        &[bearer.clone(), "Host: evil.example:80".into()],
        None,
    );
    assert_eq!(
        (rebound.status, rebound.body["code"].as_str()),
        (421, Some("unknown_host"))
    );
    let page = edge.api_with("GET", "/", &["Host: evil.example".into()], None);
    assert_eq!(page.status, 421);
    let listed = edge.api_with(
        "GET",
        "/api/v1/tunnels",
        &[bearer.clone(), "Host: admin.example.test".into()],
        None,
    );
    assert_eq!(listed.status, 200);
    // A write from another origin, even with a valid token.
    let body = Some("{\"name\": \"x\"}");
    let foreign = edge.api_with(
        "POST",
        "/api/v1/tunnels",
        &[bearer.clone(), "Origin: http://evil.example".into()],
        body,
    );
    assert_eq!(
        (foreign.status, foreign.body["code"].as_str()),
        (403, Some("bad_origin"))
    );
    // The dashboard's cookie: HttpOnly, SameSite=Strict; a write with it needs its own Origin.
    let own = format!("Origin: {}", edge.admin_url());
    let login = edge.api_with(
        "POST",
        "/api/v1/login",
        std::slice::from_ref(&own),
        Some(&json!({"token": write}).to_string()),
    );
    assert_eq!(login.status, 200, "{login:?}");
    let cookie_line = login
        .headers
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .expect("a cookie");
    assert!(
        cookie_line.contains("HttpOnly") && cookie_line.contains("SameSite=Strict"),
        "{cookie_line}"
    );
    let cookie = format!(
        "Cookie: {}",
        cookie_line
            .split_once(':')
            .unwrap()
            .1
            .trim()
            .split(';')
            .next()
            .unwrap()
    );
    let no_origin = edge.api_with(
        "POST",
        "/api/v1/tunnels",
        std::slice::from_ref(&cookie),
        body,
    );
    assert_eq!(no_origin.status, 403, "{no_origin:?}");
    let made = edge.api_with(
        "POST",
        "/api/v1/tunnels",
        &[cookie.clone(), own.clone()],
        body,
    );
    assert_eq!(made.status, 201, "{made:?}");
    let wrong_login = edge.api_with(
        "POST",
        "/api/v1/login",
        std::slice::from_ref(&own),
        Some(&json!({"token": WRONG}).to_string()),
    );
    assert_eq!(wrong_login.status, 401);
    let doc = openapi();
    assert_documented(&doc, "POST", "/api/v1/login", &login);
    assert_documented(&doc, "POST", "/api/v1/login", &wrong_login);
    // Logging out clears the cookie; a login from another origin is refused.
    let out = edge.api_with("POST", "/api/v1/logout", &[cookie.clone(), own], None);
    assert_eq!(out.status, 200, "{out:?}");
    assert!(out.headers.contains("Max-Age=0"), "{}", out.headers);
    assert_documented(&doc, "POST", "/api/v1/logout", &out);
    let foreign_login = edge.api_with(
        "POST",
        "/api/v1/login",
        &["Origin: http://evil.example".into()],
        Some(&json!({"token": write}).to_string()),
    );
    assert_eq!(foreign_login.status, 403);
    // Revoked: refused by the edge within a second or so (it follows the store's watch).
    edge.cli_ok(&["admin", "token", "revoke", "ops"]);
    let status = wait_until(|| {
        let a = edge.api("GET", "/api/v1/tunnels", Some(&write), None);
        (a.status != 200).then_some(a.status)
    });
    assert_eq!(status, 401);
    let listed = edge.cli_ok(&["admin", "token", "list"]);
    assert!(!listed.contains("ops"), "{listed}");
}

#[test]
fn events_stream_sessions_as_connectors_come_and_go() {
    let edge = TestEdge::start(ADMIN);
    let read = edge.admin_token("viewer", "read");
    let tunnel = edge.create_tunnel("web");
    let url = format!("{}/api/v1/events", edge.admin_url());
    let script = format!("exec curl -sN -H 'Authorization: Bearer {read}' {url} 1>&2");
    let mut command = Command::new("sh");
    command.args(["-c", &script]);
    let events = Proc::spawn("events", command);
    events.wait_for("event: hello", READY);
    let from = events.log_len();
    let _connector = edge.connect(&tunnel, HELLO);
    events.wait_for_from(from, "event: sessions", READY);
    let from = events.log_len();
    edge.route(&tunnel, "app.example.test");
    events.wait_for_from(from, "event: routes", READY);
    // The edges' counters arrive as `stats` every few seconds.
    events.wait_for_from(from, "event: stats", READY);
}

#[test]
fn a_drained_connector_hands_its_traffic_over_and_comes_back() {
    let edge = TestEdge::start(ADMIN);
    let write = edge.admin_token("ops", "write");
    let tunnel = edge.create_tunnel("web");
    let first = edge.connect(&tunnel, HELLO);
    wait_for_sessions(&edge, &write, 4);
    let ids = |a: &Answer, connector: &str| -> Vec<String> {
        let all = a.body.as_array().cloned().unwrap_or_default();
        all.iter()
            .filter(|s| s["connector_id"] == connector)
            .map(|s| s["session_id"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let sessions = edge.api("GET", "/api/v1/sessions", Some(&write), None);
    let connector = sessions.body[0]["connector_id"]
        .as_str()
        .expect("a connector")
        .to_string();
    let before = ids(&sessions, &connector);
    assert_eq!(before.len(), 4);
    let from = edge.proc.log_len();
    let path = format!("/api/v1/connectors/{connector}/drain");
    let drained = edge.api("POST", &path, Some(&write), None);
    assert_eq!(
        (drained.status, drained.body["sessions"].as_u64()),
        (202, Some(4)),
        "{drained:?}"
    );
    assert_documented(
        &openapi(),
        "POST",
        "/api/v1/connectors/{connector}/drain",
        &drained,
    );
    edge.proc
        .wait_count("draining a connector's session on request", 4, READY);
    // Its sessions close and the connector connects again: four new sessions.
    edge.proc.wait_count("tunnel session registered", 8, READY);
    assert!(edge.proc.count_from(from, "tunnel session ended") >= 4);
    let after = wait_until(|| {
        let a = edge.api("GET", "/api/v1/sessions", Some(&write), None);
        let now = ids(&a, &connector);
        (now.len() == 4 && now.iter().all(|id| !before.contains(id))).then_some(now)
    });
    assert_eq!(after.len(), 4);
    assert!(
        first.proc.log_text().contains("session"),
        "the connector ran"
    );
    let unknown = edge.api(
        "POST",
        &format!("/api/v1/connectors/{}/drain", uuid::Uuid::new_v4()),
        Some(&write),
        None,
    );
    assert_eq!(unknown.status, 404);
}

/// Waits until the API lists `n` sessions (each connector opens four, one after the other).
fn wait_for_sessions(edge: &TestEdge, token: &str, n: usize) {
    wait_until(|| {
        let a = edge.api("GET", "/api/v1/sessions", Some(token), None);
        (a.body.as_array().map(Vec::len) == Some(n)).then_some(())
    })
}

/// Polls `probe` (each call a real request) until it returns something, for at most [`READY`].
fn wait_until<T>(mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + READY;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "not within {READY:?}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
