//! The shape of the code: each crate's rooms (the folders of `edge/src` and `connector/src`, and
//! the files at their top) may use only the rooms the matrix below allows, so imports point one
//! way and no cycle between rooms can come back. The check reads the sources as text: every
//! `crate::ROOM` path (in `use` lines, groups and inline paths) and every `super::` that climbs out
//! of a room. Test modules (`#[cfg(test)] mod tests` at a file's end) may use anything.
//!
//! `docs/architecture.md` states the same rule in words.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

/// Rooms any room of the crate may use: they use nothing but each other.
const EDGE_LEAVES: &[&str] = &["body", "config", "error", "lifecycle", "metrics"];

/// The edge: which room may use which. Wiring (`server`, `reload`, `drain`) may use every room
/// and no room may use it.
const EDGE: &[(&str, &[&str])] = &[
    ("state", &[]),
    ("protect", &[]),
    ("policy", &["state", "protect"]),
    ("view", &["state", "policy", "protect"]),
    ("tls", &["state", "view", "policy"]),
    ("acme", &["state"]),
    ("tunnels", &["state", "protect"]),
    ("links", &["tunnels", "state", "protect"]),
    ("access", &["tunnels", "state", "protect", "policy", "view"]),
    (
        "public",
        &["tunnels", "state", "tls", "protect", "policy", "view"],
    ),
    ("manage", &["state", "tls", "policy", "acme"]),
    ("admin", &["manage", "state", "tunnels", "protect"]),
    (
        "cli",
        &["manage", "admin", "state", "tls", "policy", "acme"],
    ),
    ("drain", &["tunnels", "state"]),
    ("reload", &["tls", "public"]),
    ("listeners", &[]),
    (
        "server",
        &[
            "state",
            "protect",
            "policy",
            "view",
            "tls",
            "acme",
            "admin",
            "manage",
            "tunnels",
            "links",
            "access",
            "public",
            "drain",
            "reload",
            "listeners",
        ],
    ),
];

const CONNECTOR_LEAVES: &[&str] = &["metrics", "cloudflared_metrics", "health", "compat"];

/// The connector: `session` hands streams to `serve`, `serve` asks `ingress`.
const CONNECTOR: &[(&str, &[&str])] = &[
    ("ingress", &[]),
    ("serve", &["ingress"]),
    ("session", &["serve", "ingress"]),
    ("access", &["session"]),
    ("enroll", &["session"]),
    ("config", &["ingress"]),
    ("reload", &["config", "ingress"]),
    ("service", &["config"]),
    (
        "cli",
        &[
            "config", "session", "serve", "ingress", "access", "enroll", "reload", "service",
        ],
    ),
];

/// Files of the crate root that are no room: they declare the rooms or only start the binary.
const ROOTS: &[&str] = &["lib", "main"];

/// The most lines a source file may have before it is split along an idea.
const MAX_LINES: usize = 400;

struct Matrix {
    leaves: &'static [&'static str],
    rooms: &'static [(&'static str, &'static [&'static str])],
}

impl Matrix {
    fn known(&self, room: &str) -> bool {
        self.leaves.contains(&room) || self.rooms.iter().any(|(r, _)| *r == room)
    }

    fn allows(&self, from: &str, to: &str) -> bool {
        if from == to || self.leaves.contains(&to) {
            return true;
        }
        if self.leaves.contains(&from) {
            return false;
        }
        self.rooms
            .iter()
            .find(|(r, _)| *r == from)
            .is_some_and(|(_, uses)| uses.contains(&to))
    }
}

/// One import against the matrix.
#[derive(Debug, PartialEq, Eq)]
struct Violation {
    file: String,
    line: usize,
    from: String,
    to: String,
}

/// The module path of a source file below `src/` (`public/proxy.rs` → `[public, proxy]`,
/// `public/mod.rs` → `[public]`); `None` for binaries under `bin/`.
fn module_path(relative: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.first().is_some_and(|p| p == "bin") {
        return None;
    }
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?;
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    Some(parts)
}

/// The code of a file with comments, string and character literals blanked out (so that what they
/// hold never counts, and offsets and lines stay where they were), and without its test modules
/// (`#[cfg(test)] mod tests { … }`).
fn code_of(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            // Block comments nest in Rust.
            let mut depth = 0;
            loop {
                if i + 1 < chars.len() && chars[i] == '/' && chars[i + 1] == '*' {
                    depth += 1;
                    blank(&mut out, '/');
                    blank(&mut out, '*');
                    i += 2;
                } else if i + 1 < chars.len() && chars[i] == '*' && chars[i + 1] == '/' {
                    depth -= 1;
                    blank(&mut out, '*');
                    blank(&mut out, '/');
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else if i < chars.len() {
                    blank(&mut out, chars[i]);
                    i += 1;
                } else {
                    break;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&chars, i) {
            // A raw string: r"…", r#"…"#, …
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let close: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let mut k = j + 1;
            while k < chars.len() && !chars[k..].starts_with(&close) {
                k += 1;
            }
            let end = (k + close.len()).min(chars.len());
            for &c in &chars[i..end] {
                blank(&mut out, c);
            }
            i = end;
        } else if c == '"' {
            blank(&mut out, c);
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
                blank(&mut out, chars[i]);
                i += 1;
            }
            if i < chars.len() {
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '\'' && is_char_literal(&chars, i) {
            let end = chars[i + 1..]
                .iter()
                .skip(1)
                .position(|&c| c == '\'')
                .map_or(chars.len(), |p| i + 2 + p + 1);
            for &c in &chars[i..end] {
                blank(&mut out, c);
            }
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    without_test_modules(out)
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_ascii_alphanumeric() || chars[i - 1] == '_')
}

/// `'x'`, `'\n'`, `'\''`, `'"'` rather than a lifetime (`'a`).
fn is_char_literal(chars: &[char], i: usize) -> bool {
    matches!(
        (chars.get(i + 1), chars.get(i + 2)),
        (Some('\\'), _) | (Some(_), Some('\''))
    )
}

/// Blanks each `#[cfg(test)] mod tests { … }` (a `mod tests;` is a file of its own, left out by
/// [`is_test_file`]).
fn without_test_modules(mut code: String) -> String {
    let mut from = 0;
    while let Some(at) = code[from..].find("#[cfg(test)]").map(|p| p + from) {
        let rest = code[at + "#[cfg(test)]".len()..].trim_start();
        let start = code.len() - rest.len();
        let Some(body) = rest.strip_prefix("mod tests").map(str::trim_start) else {
            from = at + 1;
            continue;
        };
        let Some(open) = body.strip_prefix('{').map(|_| code.len() - body.len()) else {
            from = at + 1;
            continue;
        };
        let mut depth = 0;
        let mut end = code.len();
        for (i, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        let blanked: String = code[start..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        code.replace_range(start..end, &blanked);
        from = end;
    }
    code
}

/// Test code of its own file (`#[cfg(test)] #[path = "x_tests.rs"] mod tests;`).
fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with("_tests.rs"))
}

/// Every full path a `use` tree names: `crate::{a::x, b::{c, d}}` → `crate::a::x`,
/// `crate::b::c`, `crate::b::d`.
fn expand_use(tree: &str) -> Vec<Vec<String>> {
    // `x as y` keeps its `x` (marked by `@`, which no path holds); then spaces mean nothing.
    static ALIASED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s+as\s+").expect("regex"));
    let tree: String = ALIASED
        .replace_all(tree, "@")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut paths = Vec::new();
    expand(&tree, &mut Vec::new(), &mut paths);
    paths
}

fn expand(tree: &str, prefix: &mut Vec<String>, paths: &mut Vec<Vec<String>>) {
    let (head, group) = match tree.find('{') {
        Some(open) if tree.ends_with('}') => (&tree[..open], Some(&tree[open + 1..tree.len() - 1])),
        _ => (tree, None),
    };
    let depth = prefix.len();
    for segment in head.split("::").filter(|s| !s.is_empty()) {
        let segment = segment.split('@').next().unwrap_or(segment);
        prefix.push(segment.to_string());
    }
    match group {
        None => paths.push(prefix.clone()),
        Some(group) => {
            let (mut level, mut start) = (0, 0);
            let bytes: Vec<char> = group.chars().collect();
            for (i, c) in bytes.iter().enumerate() {
                match c {
                    '{' => level += 1,
                    '}' => level -= 1,
                    ',' if level == 0 => {
                        let entry: String = bytes[start..i].iter().collect();
                        expand(&entry, prefix, paths);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            let entry: String = bytes[start..].iter().collect();
            if !entry.is_empty() {
                expand(&entry, prefix, paths);
            }
        }
    }
    prefix.truncate(depth);
}

/// The room a path leads to from `module` (a file's module path), if it leaves the file's room
/// for another of this crate: `crate::ROOM::…`, or enough `super::` to climb to the crate root.
fn room_of(module: &[String], path: &[String]) -> Option<String> {
    let first = path.first()?;
    if first == "crate" {
        return path.get(1).cloned();
    }
    let supers = path.iter().take_while(|s| *s == "super").count();
    // Fewer `super::` than the module is deep stays inside the room.
    (supers > 0 && supers >= module.len()).then(|| path.get(supers).cloned())?
}

/// The line (1-based) of byte offset `at`.
fn line_of(code: &str, at: usize) -> usize {
    code[..at].matches('\n').count() + 1
}

/// The rooms `module` reaches, with the line of each path: every path of every `use` tree, and
/// every inline `crate::…` or `super::…` path elsewhere.
fn rooms_used(module: &[String], code: &str) -> Vec<(usize, String)> {
    let mut used = Vec::new();
    let mut rest = code.to_string();
    static USE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\buse\s+([^;]*);").expect("regex"));
    static PATH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(crate|super)((?:\s*::\s*(?:super|[A-Za-z_][A-Za-z0-9_]*))+)")
            .expect("regex")
    });
    for found in USE.captures_iter(code) {
        let whole = found.get(0).expect("match");
        let line = line_of(code, whole.start());
        for path in expand_use(&found[1]) {
            if let Some(room) = room_of(module, &path) {
                used.push((line, room));
            }
        }
        let blank: String = whole
            .as_str()
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        rest.replace_range(whole.range(), &blank);
    }
    for found in PATH.captures_iter(&rest) {
        let whole = found.get(0).expect("match");
        if rest[..whole.start()].ends_with("::") {
            continue; // the tail of a longer path, counted from its start
        }
        let path: Vec<String> = whole
            .as_str()
            .split("::")
            .map(|s| s.trim().to_string())
            .collect();
        if let Some(room) = room_of(module, &path) {
            used.push((line_of(&rest, whole.start()), room));
        }
    }
    used
}

/// Checks one file's imports against the matrix.
fn check_file(matrix: &Matrix, module: &[String], file: &str, text: &str) -> Vec<Violation> {
    let Some(from) = module.first() else {
        return Vec::new();
    };
    if ROOTS.contains(&from.as_str()) {
        return Vec::new();
    }
    let mut found: Vec<Violation> = rooms_used(module, &code_of(text))
        .into_iter()
        .filter(|(_, to)| !matrix.allows(from, to))
        .map(|(line, to)| Violation {
            file: file.to_string(),
            line,
            from: from.clone(),
            to,
        })
        .collect();
    found.sort_by_key(|v| v.line);
    found.dedup_by(|a, b| a.line == b.line && a.to == b.to);
    found
}

fn sources(src: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace folder")
        .to_path_buf()
}

/// Every violation in a crate, plus the rooms found that the matrix does not name.
fn check_crate(name: &str, matrix: &Matrix) -> (Vec<Violation>, BTreeSet<String>) {
    let src = workspace().join(name).join("src");
    let (mut violations, mut unknown) = (Vec::new(), BTreeSet::new());
    for path in sources(&src) {
        let relative = path.strip_prefix(&src).expect("below src");
        let Some(module) = module_path(relative) else {
            continue;
        };
        if is_test_file(&path) {
            continue;
        }
        let room = &module[0];
        if !ROOTS.contains(&room.as_str()) && !matrix.known(room) {
            unknown.insert(room.clone());
        }
        let text = std::fs::read_to_string(&path).expect("read a source file");
        let file = format!("{name}/src/{}", relative.display());
        violations.extend(check_file(matrix, &module, &file, &text));
    }
    (violations, unknown)
}

fn assert_layout(name: &str, matrix: &Matrix) {
    let (violations, unknown) = check_crate(name, matrix);
    assert!(
        unknown.is_empty(),
        "{name}: rooms missing from the matrix in tests/tests/layout.rs: {unknown:?}"
    );
    let report: Vec<String> = violations
        .iter()
        .map(|v| {
            format!(
                "{}:{}: `{}` uses `{}`, against the allowed direction",
                v.file, v.line, v.from, v.to
            )
        })
        .collect();
    assert!(report.is_empty(), "{}", report.join("\n"));
}

/// The matrix itself is a one-way order: no room may reach itself through others.
fn assert_acyclic(matrix: &Matrix) {
    let graph: BTreeMap<&str, &[&str]> = matrix.rooms.iter().copied().collect();
    fn visit<'a>(room: &'a str, graph: &BTreeMap<&'a str, &'a [&'a str]>, path: &mut Vec<&'a str>) {
        assert!(
            !path.contains(&room),
            "cycle in the matrix: {path:?} → {room}"
        );
        path.push(room);
        for next in graph.get(room).copied().unwrap_or_default() {
            visit(next, graph, path);
        }
        path.pop();
    }
    for room in graph.keys() {
        visit(room, &graph, &mut Vec::new());
    }
}

#[test]
fn the_edge_imports_only_in_the_allowed_direction() {
    let matrix = Matrix {
        leaves: EDGE_LEAVES,
        rooms: EDGE,
    };
    assert_acyclic(&matrix);
    assert_layout("edge", &matrix);
}

#[test]
fn the_connector_imports_only_in_the_allowed_direction() {
    let matrix = Matrix {
        leaves: CONNECTOR_LEAVES,
        rooms: CONNECTOR,
    };
    assert_acyclic(&matrix);
    assert_layout("connector", &matrix);
}

#[test]
fn no_source_file_is_longer_than_the_limit() {
    let mut long = Vec::new();
    for name in [
        "edge",
        "connector",
        "proto",
        "proto/runtime",
        "proto/transport",
        "dns",
    ] {
        for path in sources(&workspace().join(name).join("src")) {
            let lines = std::fs::read_to_string(&path)
                .expect("read a source file")
                .lines()
                .count();
            if lines > MAX_LINES {
                long.push(format!("{}: {lines} lines", path.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "split these along an idea (at most {MAX_LINES} lines):\n{}",
        long.join("\n")
    );
}

/// A fixture with forbidden imports proves the check fails: `tunnels` may not use `public`
/// (by path, by group over several lines, nested, aliased, or inline) and no room may use
/// `server`, not even by `super::`; what comments, strings and test modules hold never counts.
#[test]
fn the_check_catches_an_import_against_the_direction() {
    let matrix = Matrix {
        leaves: EDGE_LEAVES,
        rooms: EDGE,
    };
    let module = |m: &[&str]| m.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let fixture = r##"//! A file that breaks the rule. crate::public in a comment does not count.
use crate::public::proxy::ConnInfo;
use crate::{
    state::State,
    public::{listener, proxy::Proxy},
};
use crate::config::EdgeConfig; // a leaf: allowed
fn f() { let _ = crate::server::Edge::new(); }
fn g() { let _ = super::super::server::run; }
fn h() { let _ = ("https://crate::server in a string", r#"a "raw" crate::server"#, '"'); }
/* crate::server in a block comment */
use super::{super::public::websocket, opener::StreamOpener};
use crate::public as outside;
fn i() { let _ = crate
    ::public::proxy::Proxy::new(); }
#[cfg(test)]
mod tests {
    use crate::server::Edge;
}
fn j() { let _ = crate::server::run; }
"##;
    let found = check_file(
        &matrix,
        &module(&["tunnels", "stream"]),
        "fixture.rs",
        fixture,
    );
    let seen: Vec<(usize, &str)> = found.iter().map(|v| (v.line, v.to.as_str())).collect();
    assert_eq!(
        seen,
        [
            (2, "public"),
            (3, "public"),
            (8, "server"),
            (9, "server"),
            (12, "public"),
            (13, "public"),
            (14, "public"),
            (20, "server"),
        ]
    );
    // Inside its own room, `super::` is no escape; leaves and allowed rooms pass.
    let inside = "use super::opener::StreamOpener;\nuse super::super::state::State;\n\
                  use crate::{config::LiveConfig, error::EdgeError};\n";
    assert!(check_file(&matrix, &module(&["tunnels", "stream"]), "f.rs", inside).is_empty());
}
