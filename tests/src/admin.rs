//! The admin API as an operator reaches it: an edge with `admin:` on 127.0.0.1:0, tokens made
//! with the real CLI, calls made with curl, answers checked against the API's own OpenAPI
//! document.

use std::process::Command;

use serde_json::Value;

use crate::tunnel::TestEdge;

/// The `admin:` section of a test edge: the listener on a free port, plain HTTP on loopback.
pub const ADMIN: &str = "admin:\n  listen: 127.0.0.1:0\n";
/// A connector's rules: the built-in hello_world for every name.
pub const HELLO: &str = "ingress:\n  - service: hello_world\n";
/// A well-formed admin token no edge made.
pub const WRONG: &str = "tadm_0123456789abcdef0123456789abcdef.not-the-secret";

/// An answer: the status, and the body as JSON (`Value::Null` when it is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: String,
}

impl TestEdge {
    /// `http://127.0.0.1:PORT` of the admin listener.
    pub fn admin_url(&self) -> String {
        format!("http://{}", self.addr("admin"))
    }

    /// Creates an admin token with `role` (`read` or `write`) and returns its text.
    pub fn admin_token(&self, name: &str, role: &str) -> String {
        let out = self.cli_ok(&["admin", "token", "create", name, "--role", role]);
        out.lines()
            .find(|l| l.starts_with("tadm_"))
            .unwrap_or_else(|| panic!("no token in: {out}"))
            .to_string()
    }

    /// `METHOD PATH` on the admin API with a bearer `token` and a JSON `body`.
    pub fn api(&self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> Answer {
        let mut headers = Vec::new();
        if let Some(token) = token {
            headers.push(format!("Authorization: Bearer {token}"));
        }
        self.api_with(method, path, &headers, body)
    }

    /// `METHOD PATH` with exactly these request headers.
    pub fn api_with(
        &self,
        method: &str,
        path: &str,
        headers: &[String],
        body: Option<&str>,
    ) -> Answer {
        curl(
            method,
            &format!("{}{path}", self.admin_url()),
            headers,
            body,
        )
    }
}

/// GET https://HOST/ through `edge`'s HTTPS listener with curl, trusting its dev CA; the body.
pub fn curl_through(edge: &TestEdge, host: &str) -> String {
    let port = edge.addr("https").port();
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "30", "--cacert"])
        .arg(edge.ca_pem())
        .arg("--resolve")
        .arg(format!("{host}:{port}:127.0.0.1"))
        .arg(format!("https://{host}:{port}/"))
        .output()
        .expect("run curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One request with curl: its status, its JSON body, its response headers.
pub fn curl(method: &str, url: &str, headers: &[String], body: Option<&str>) -> Answer {
    let dir = tempfile::tempdir().expect("tempdir");
    let head = dir.path().join("headers");
    let mut command = Command::new("curl");
    command
        .args(["-sS", "--max-time", "30", "-X", method, "-o", "-"])
        .args(["-w", "\n%{http_code}", "-D"])
        .arg(&head);
    for h in headers {
        command.args(["-H", h]);
    }
    if let Some(body) = body {
        command.args([
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            body,
        ]);
    }
    let out = command.arg(url).output().expect("run curl");
    assert!(
        out.status.success(),
        "curl {method} {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').expect("status line");
    Answer {
        status: status.trim().parse().expect("status"),
        body: serde_json::from_str(body).unwrap_or(Value::Null),
        headers: std::fs::read_to_string(&head).unwrap_or_default(),
    }
}

/// The API's OpenAPI document, as the edge's source holds it.
pub fn openapi() -> Value {
    serde_json::from_str(tether_edge::admin::OPENAPI).expect("openapi.json is JSON")
}

/// Checks `answer` against the schema openapi.json gives for `method path` (the template) and
/// its status: every answer the tests see must be one the document describes.
pub fn assert_documented(doc: &Value, method: &str, path: &str, answer: &Answer) {
    let operation = &doc["paths"][path][method.to_ascii_lowercase()];
    assert!(
        operation.is_object(),
        "{method} {path} is not in openapi.json"
    );
    let response = &operation["responses"][answer.status.to_string()];
    assert!(
        response.is_object(),
        "{method} {path} answered {} ({}), which openapi.json does not list",
        answer.status,
        answer.body
    );
    let Some(schema) = response["content"]["application/json"]["schema"].as_object() else {
        return;
    };
    // The response's schema, resolved against the document's components.
    let mut root = serde_json::json!({ "components": doc["components"] });
    for (k, v) in schema {
        root[k] = v.clone();
    }
    let validator = jsonschema::validator_for(&root).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&answer.body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {}: the body does not match openapi.json: {errors:?}\n{}",
        answer.status,
        answer.body
    );
}

/// Waits until the API lists `n` sessions (each connector opens four, one after the other).
pub fn wait_for_sessions(edge: &TestEdge, token: &str, n: usize) {
    wait_until(|| {
        let a = edge.api("GET", "/api/v1/sessions", Some(token), None);
        (a.body.as_array().map(Vec::len) == Some(n)).then_some(())
    })
}

/// Polls `probe` (each call a real request) until it returns something, for at most [`crate::READY`].
pub fn wait_until<T>(mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + crate::READY;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not within {:?}",
            crate::READY
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
