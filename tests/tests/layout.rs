//! The shape of the code: each crate's rooms (the folders of `edge/src` and `connector/src`, and
//! the files at their top) may use only the rooms the matrix below allows, so imports point one
//! way and no cycle between rooms can come back. The check reads the sources as text: every
//! `crate::ROOM` path (in `use` lines, groups and inline paths) and every `super::` that climbs out
//! of a room. Test modules (`#[cfg(test)] mod tests` at a file's end) may use anything.
//!
//! `docs/architecture.md` states the same rule in words.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Rooms any room of the crate may use: they use nothing but each other.
const EDGE_LEAVES: &[&str] = &["body", "config", "error", "lifecycle", "metrics"];

/// The edge: which room may use which. Wiring (`server`, `reload`, `drain`) may use every room
/// and no room may use it.
const EDGE: &[(&str, &[&str])] = &[
    ("state", &[]),
    ("tls", &["state"]),
    ("tunnels", &["state"]),
    ("links", &["tunnels", "state"]),
    ("access", &["tunnels", "state"]),
    ("public", &["tunnels", "state", "tls"]),
    ("cli", &["state", "tls"]),
    ("drain", &["tunnels", "state"]),
    ("reload", &["tls", "public"]),
    (
        "server",
        &[
            "state", "tls", "tunnels", "links", "access", "public", "drain", "reload",
        ],
    ),
];

const CONNECTOR_LEAVES: &[&str] = &["metrics", "health"];

/// The connector: `session` hands streams to `serve`, `serve` asks `ingress`.
const CONNECTOR: &[(&str, &[&str])] = &[
    ("ingress", &[]),
    ("serve", &["ingress"]),
    ("session", &["serve", "ingress"]),
    ("access", &["session"]),
    ("config", &["ingress"]),
    ("reload", &["config", "ingress"]),
    (
        "cli",
        &["config", "session", "serve", "ingress", "access", "reload"],
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

/// The code of a file without comments, string contents and its trailing test module.
fn code_of(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest = text.lines().peekable();
    while let Some(line) = rest.next() {
        let trimmed = line.trim();
        if trimmed == "#[cfg(test)]"
            && rest
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod tests"))
        {
            break;
        }
        let code = line.split("//").next().unwrap_or_default();
        // String contents never name a module (and may hold `//`).
        let mut out = String::new();
        let mut in_string = false;
        for (i, part) in code.split('"').enumerate() {
            if i > 0 {
                in_string = !in_string;
            }
            if !in_string {
                out.push_str(part);
            }
        }
        lines.push(out);
    }
    lines
}

/// The first segments of the paths a `crate::` or `crate::{…}` at the start of `after` names.
fn crate_targets(after: &str) -> Vec<String> {
    let ident = |s: &str| {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<String>()
    };
    let Some(group) = after.strip_prefix('{') else {
        return vec![ident(after)];
    };
    // Top-level entries of the group: `a::x, b, c::{d, e}`.
    let (mut depth, mut entries, mut current) = (0, Vec::new(), String::new());
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                entries.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    entries.push(current);
    entries
        .iter()
        .map(|e| ident(e.trim()))
        .filter(|e| !e.is_empty() && e != "self")
        .collect()
}

/// The rooms `module` (a file's module path) reaches from `line`, by `crate::` and by `super::`
/// climbing out of its room.
fn rooms_used(module: &[String], line: &str) -> Vec<String> {
    let mut used = Vec::new();
    for (at, _) in line.match_indices("crate::") {
        let before = line[..at].chars().last();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue; // `tether_crate::` or the like
        }
        used.extend(crate_targets(&line[at + "crate::".len()..]));
    }
    for (at, _) in line.match_indices("super::") {
        if line[..at].ends_with("super::") {
            continue; // counted from the first `super::` of the chain
        }
        let mut path = &line[at..];
        let mut depth = 0;
        while let Some(rest) = path.strip_prefix("super::") {
            depth += 1;
            path = rest;
        }
        // Fewer `super::` than the module is deep stays inside the room.
        if depth >= module.len() {
            used.extend(crate_targets(path));
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
    let mut found = Vec::new();
    for (i, line) in code_of(text).iter().enumerate() {
        for to in rooms_used(module, line) {
            if !matrix.allows(from, &to) {
                found.push(Violation {
                    file: file.to_string(),
                    line: i + 1,
                    from: from.clone(),
                    to,
                });
            }
        }
    }
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
    for name in ["edge", "connector", "proto"] {
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
/// (by path, by group, or inline) and no room may use `server`, not even by `super::`.
#[test]
fn the_check_catches_an_import_against_the_direction() {
    let matrix = Matrix {
        leaves: EDGE_LEAVES,
        rooms: EDGE,
    };
    let module = |m: &[&str]| m.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let fixture = "//! A file that breaks the rule.\n\
                   use crate::public::proxy::ConnInfo;\n\
                   use crate::{state::State, public};\n\
                   use crate::config::EdgeConfig; // a leaf: allowed\n\
                   fn f() { let _ = crate::server::Edge::new(); }\n\
                   fn g() { let _ = super::super::server::run; }\n\
                   fn h() { let _ = \"crate::server in a string\"; }\n\
                   #[cfg(test)]\n\
                   mod tests {\n\
                   use crate::server::Edge;\n\
                   }\n";
    let found = check_file(
        &matrix,
        &module(&["tunnels", "stream"]),
        "fixture.rs",
        fixture,
    );
    let seen: Vec<(usize, &str)> = found.iter().map(|v| (v.line, v.to.as_str())).collect();
    assert_eq!(
        seen,
        [(2, "public"), (3, "public"), (5, "server"), (6, "server")]
    );
    // Inside its own room, `super::` is no escape.
    let inside = "use super::opener::StreamOpener;\nuse super::super::state::State;\n";
    assert!(check_file(&matrix, &module(&["tunnels", "stream"]), "f.rs", inside).is_empty());
}
