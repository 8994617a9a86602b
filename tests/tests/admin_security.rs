//! What the admin listener refuses (unknown Hosts, foreign Origins, revoked tokens, logins
//! that ended), its event stream, and draining a connector through it.

use std::process::Command;

use serde_json::json;
use tests::admin::{
    assert_documented, curl_through, openapi, wait_for_sessions, wait_until, ADMIN, HELLO, WRONG,
};
use tests::process::Proc;
use tests::tunnel::TestEdge;
use tests::READY;

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
    // The cookie holds a login, not the token; logging out ends it on the server, so the old
    // cookie is refused even if a browser kept it.
    assert!(!cookie.contains(&write), "{cookie}");
    let out = edge.api_with(
        "POST",
        "/api/v1/logout",
        &[cookie.clone(), own.clone()],
        None,
    );
    assert_eq!(out.status, 200, "{out:?}");
    assert!(out.headers.contains("Max-Age=0"), "{}", out.headers);
    assert_documented(&doc, "POST", "/api/v1/logout", &out);
    let after = edge.api_with(
        "GET",
        "/api/v1/tunnels",
        std::slice::from_ref(&cookie),
        None,
    );
    assert_eq!(after.status, 401, "{after:?}");
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
fn an_address_that_keeps_sending_wrong_tokens_is_held_off() {
    let edge = TestEdge::start(ADMIN);
    let read = edge.admin_token("viewer", "read");
    let held = (0..150).find_map(|_| {
        let a = edge.api("GET", "/api/v1/tunnels", Some(WRONG), None);
        (a.status != 401).then_some(a)
    });
    let held = held.expect("held off within 150 wrong tokens");
    assert_eq!(
        (held.status, held.body["code"].as_str()),
        (429, Some("too_many_failures"))
    );
    assert!(
        held.headers.to_ascii_lowercase().contains("retry-after:"),
        "{}",
        held.headers
    );
    // Held off before the token is even looked at: a good one waits too.
    assert_eq!(
        edge.api("GET", "/api/v1/tunnels", Some(&read), None).status,
        429
    );
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
fn a_drained_connector_hands_its_traffic_over_comes_back_and_is_drained_once() {
    let edge = TestEdge::start(ADMIN);
    let write = edge.admin_token("ops", "write");
    let tunnel = edge.create_tunnel("web");
    edge.route(&tunnel, "app.example.test");
    let _a = edge.connect(&tunnel, HELLO);
    wait_for_sessions(&edge, &write, 4);
    let sessions = edge.api("GET", "/api/v1/sessions", Some(&write), None);
    let a = sessions.body[0]["connector_id"]
        .as_str()
        .expect("a connector")
        .to_string();
    let _b = edge.connect(&tunnel, HELLO);
    wait_for_sessions(&edge, &write, 8);
    let sessions = edge.api("GET", "/api/v1/sessions", Some(&write), None);
    let b = sessions
        .body
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| s["connector_id"].as_str().unwrap_or("").to_string())
        .find(|c| *c != a)
        .expect("a second connector");
    let ids = |connector: &str| -> Vec<String> {
        let a = edge.api("GET", "/api/v1/sessions", Some(&write), None);
        let all = a.body.as_array().cloned().unwrap_or_default();
        all.iter()
            .filter(|s| s["connector_id"] == connector)
            .map(|s| s["session_id"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let drain = |connector: &str| {
        edge.api(
            "POST",
            &format!("/api/v1/connectors/{connector}/drain"),
            Some(&write),
            None,
        )
    };
    // Drain A: its four sessions close once idle, and it connects again with four new ones.
    let before = ids(&a);
    let drained = drain(&a);
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
    let after = wait_until(|| {
        let now = ids(&a);
        (now.len() == 4 && now.iter().all(|id| !before.contains(id))).then_some(now)
    });
    assert_eq!(after.len(), 4);
    // The tunnel served throughout from B, and serves now.
    assert!(curl_through(&edge, "app.example.test").contains("Hello from Tether!"));
    // Asking again while the first request is pending changes nothing; draining B next must
    // not take A's new sessions down with it.
    assert_eq!(drain(&a).status, 202);
    let before = ids(&b);
    assert_eq!(drain(&b).status, 202);
    wait_until(|| {
        let now = ids(&b);
        (now.len() == 4 && now.iter().all(|id| !before.contains(id))).then_some(())
    });
    let drained_of = |c: &str| {
        edge.proc.count_from(
            0,
            &format!("draining a connector's session on request.*connector={c}"),
        )
    };
    assert_eq!((drained_of(&a), drained_of(&b)), (4, 4));
    assert_eq!(ids(&a), after, "A's sessions were left alone");
    let unknown = drain(&uuid::Uuid::new_v4().to_string());
    assert_eq!(unknown.status, 404);
}
