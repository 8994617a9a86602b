//! The dashboard in a real headless Chromium: a person logs in with a token, sees the tunnel and
//! its live sessions, watches a connector appear without reloading, creates a route that then
//! serves traffic, and a read-only token shows no action. Screenshots of each page land in
//! `target/screenshots/` for review.

use serde_json::Value;
use tests::admin::{curl_through, ADMIN, HELLO};
use tests::browser::{screenshot_path, Browser, Page};
use tests::tunnel::{TestEdge, Tunnel};
use tests::READY;

/// Logs in with `token` through the page's form.
async fn log_in(page: &mut Page<'_>, token: &str) {
    page.wait_for("!document.getElementById('login').hidden")
        .await;
    let token = serde_json::to_string(token).unwrap();
    page.eval(&format!(
        "document.getElementById('token').value = {token}; \
         document.getElementById('login-form').requestSubmit(); true"
    ))
    .await;
    page.wait_for("document.getElementById('login').hidden && document.getElementById('overview')")
        .await;
}

/// Waits until the overview's tunnel row for `name` shows `sessions` sessions.
async fn wait_sessions(page: &mut Page<'_>, name: &str, sessions: usize) {
    page.wait_for(&format!(
        "[...document.querySelectorAll('tr[data-tunnel]')].some(r => r.dataset.tunnel === '{name}' \
         && r.children[1].textContent === '{sessions}')"
    ))
    .await;
}

#[tokio::test]
async fn a_person_watches_and_changes_the_tunnels_from_the_dashboard() {
    let edge = TestEdge::start(ADMIN);
    let write = edge.admin_token("alice", "write");
    let tunnel = edge.create_tunnel("web");
    edge.route(&tunnel, "app.example.test");
    let _first = edge.connect(&tunnel, HELLO);
    edge.proc.wait_count("tunnel session registered", 4, READY);

    let mut browser = Browser::start().await;
    let mut page = browser.open(&edge.admin_url()).await;
    page.screenshot(&screenshot_path("login")).await;
    log_in(&mut page, &write).await;
    // The overview shows the tunnel and its live sessions.
    wait_sessions(&mut page, "web", 4).await;
    page.wait_for("document.body.dataset.live === 'yes'").await;
    let text = page
        .eval("document.getElementById('overview').innerText")
        .await;
    let text = text.as_str().unwrap_or("");
    assert!(text.contains("app.example.test"), "{text}");
    assert!(
        text.contains("Requests per second") && text.contains("Error rate"),
        "{text}"
    );
    page.screenshot(&screenshot_path("overview")).await;

    // A connector started now appears without a reload (the page keeps its marker).
    page.eval("window.__kept = 'yes'").await;
    let second = edge.create_tunnel("api");
    let _second = edge.connect(&second, HELLO);
    wait_sessions(&mut page, "api", 4).await;
    assert_eq!(page.eval("window.__kept").await, Value::from("yes"));

    // A route created from the tunnel's page serves traffic.
    page.eval(&format!("location.hash = '#/tunnel/{}'", tunnel.id))
        .await;
    page.wait_for(
        "document.getElementById('tunnel') && document.querySelector('section.connector')",
    )
    .await;
    let from = edge.proc.log_len();
    page.eval(
        "document.getElementById('route-hostname').value = 'new.example.test'; \
         document.getElementById('route-form').requestSubmit(); true",
    )
    .await;
    page.wait_for("document.querySelector('tr[data-route=\"new.example.test\"]')")
        .await;
    edge.proc
        .wait_for_from(from, "route added.*hostname=new.example.test", READY);
    let served = curl_through(&edge, "new.example.test");
    assert!(served.contains("Hello from Tether!"), "{served}");
    // Each session shows its RTT once the edge has published one.
    page.wait_for("[...document.querySelectorAll('tr[data-session] td:last-child')].some(td => td.textContent.endsWith(' ms'))")
        .await;
    page.screenshot(&screenshot_path("tunnel")).await;

    // Deleting the route from the page takes it away.
    page.eval("window.confirm = () => true; true").await;
    page.eval("document.querySelector('button[aria-label=\"Delete route new.example.test\"]').click(); true")
        .await;
    page.wait_for("!document.querySelector('tr[data-route=\"new.example.test\"]')")
        .await;
    let listed = edge.cli_ok(&["tunnel", "list"]);
    assert!(!listed.contains("new.example.test"), "{listed}");

    // The edges page, and the overview at a phone's width: nothing wider than the screen.
    page.eval("location.hash = '#/edges'").await;
    page.wait_for("document.querySelector('tr[data-edge]')")
        .await;
    page.screenshot(&screenshot_path("edges")).await;
    page.resize(390, 844, true).await;
    page.eval("location.hash = '#/'").await;
    page.wait_for("document.getElementById('overview')").await;
    let fits = page
        .eval("document.documentElement.scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(
        fits,
        Value::Bool(true),
        "the overview scrolls sideways on a phone"
    );
    page.screenshot(&screenshot_path("overview-phone")).await;
}

#[tokio::test]
async fn a_read_only_token_sees_no_action_and_cannot_write() {
    let edge = TestEdge::start(ADMIN);
    let read = edge.admin_token("viewer", "read");
    let tunnel: Tunnel = edge.create_tunnel("web");
    let _connector = edge.connect(&tunnel, HELLO);
    let mut browser = Browser::start().await;
    let mut page = browser.open(&edge.admin_url()).await;
    // A wrong token is refused on the form.
    page.wait_for("!document.getElementById('login').hidden")
        .await;
    page.eval(
        "document.getElementById('token').value = 'tadm_0123456789abcdef0123456789abcdef.x'; \
         document.getElementById('login-form').requestSubmit(); true",
    )
    .await;
    page.wait_for("document.getElementById('login-error').textContent.includes('unknown')")
        .await;
    log_in(&mut page, &read).await;
    wait_sessions(&mut page, "web", 4).await;
    assert_eq!(
        page.eval("document.querySelectorAll('.action').length")
            .await,
        Value::from(0)
    );
    page.eval(&format!("location.hash = '#/tunnel/{}'", tunnel.id))
        .await;
    page.wait_for("document.querySelector('section.connector')")
        .await;
    assert_eq!(
        page.eval("document.querySelectorAll('.action, button.danger').length")
            .await,
        Value::from(0)
    );
    // The cookie is HttpOnly: the page's scripts cannot read the token.
    assert_eq!(page.eval("document.cookie").await, Value::from(""));
    // Even a hand-made request from the page is refused for a read token.
    let status = page
        .eval("fetch('/api/v1/routes', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({type: 'dns', tunnel: 'web', hostname: 'x.example.test'})}).then(r => r.status)")
        .await;
    assert_eq!(status, Value::from(403));
    page.screenshot(&screenshot_path("tunnel-read-only")).await;
}
