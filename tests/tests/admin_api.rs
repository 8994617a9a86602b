//! The admin API as an operator uses it: tokens made with the CLI, calls made with curl, every
//! answer checked against openapi.json, and the document checked against the router.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use tests::admin::{
    assert_documented, openapi, wait_for_sessions, wait_until, ADMIN, HELLO, WRONG,
};
use tests::tunnel::TestEdge;
use tether_edge::admin::auth::Access;
use tether_edge::admin::router::ENDPOINTS;

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
fn a_policy_sent_as_json_is_held_to_what_a_policy_file_is() {
    let edge = TestEdge::start(ADMIN);
    let write = edge.admin_token("ops", "write");
    let tunnel = edge.create_tunnel("web");
    edge.route(&tunnel, "app.example.test");
    let path = "/api/v1/routes/app.example.test/policy";
    let hash = "A".repeat(64);
    for (policy, names) in [
        (
            json!({"limits": {"requests-per-second": 0}}),
            "limits.requests-per-second",
        ),
        (json!({"limits": {"burst": 5}}), "limits.burst"),
        (json!({"identity-header": "bad header"}), "identity-header"),
        (
            json!({"policy": {"bearer": ["not-a-hash"]}}),
            "policy.bearer.0",
        ),
        (
            json!({"policy": {"basic": {"htpasswd-file": "/etc/passwd"}}}),
            "htpasswd-file",
        ),
        (
            json!({"policy": {"basic": {"users": ["alice:plaintext"]}}}),
            "bcrypt",
        ),
        (
            json!({"policy": {"jwt": {"issuer": "i", "audience": "a", "jwks-url": "http://idp.example/keys"}}}),
            "https://",
        ),
        (
            json!({"policy": {"mtls": {"ca": "not a pem"}}}),
            "policy.mtls.ca",
        ),
    ] {
        let answer = edge.api("PUT", path, Some(&write), Some(&policy.to_string()));
        assert_eq!(answer.status, 400, "{policy}: {answer:?}");
        let message = answer.body["message"].as_str().unwrap_or("");
        assert!(message.contains(names), "{policy}: {message}");
    }
    // What passes is stored in its checked form: hashes in lower case.
    let policy = json!({"policy": {"bearer": [hash]}});
    let set = edge.api("PUT", path, Some(&write), Some(&policy.to_string()));
    assert_eq!(
        (set.status, set.body["policy"].as_str()),
        (200, Some("bearer")),
        "{set:?}"
    );
    let route = edge.api("GET", "/api/v1/routes", Some(&write), None);
    assert_eq!(route.body[0]["policy"], "bearer");
}
