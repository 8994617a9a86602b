//! Config errors that name the file, line and column, shared by the edge and connector loaders.
//!
//! yaml_serde reports where a syntax or type error is; errors found later, while validating, only
//! know the key path, so [`locate`] finds that key's line in the text.

use std::fmt;

/// A config error a user can act on: where it is, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{}:{}: {}", self.file, l, c, self.message),
            (Some(l), None) => write!(f, "{}:{}: {}", self.file, l, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// An error about the whole file (unreadable, empty).
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        ConfigError {
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// An error about the key at `path` (e.g. `["ingress", "2", "service"]`), located in `text`;
    /// where the key itself cannot be found (flow style, `warp-routing: {enabled: true}`), at
    /// the nearest enclosing key that can.
    pub fn at(file: &str, text: &str, path: &[&str], message: impl Into<String>) -> Self {
        let found = (1..=path.len())
            .rev()
            .find_map(|n| locate(text, &path[..n]));
        let (line, column) = match found {
            Some((l, c)) => (Some(l), Some(c)),
            None => (None, None),
        };
        ConfigError {
            file: file.into(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An error yaml_serde reported while parsing.
    pub fn from_yaml(file: &str, err: &yaml_serde::Error) -> Self {
        let location = err.location();
        ConfigError {
            file: file.into(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            message: readable(
                &err.to_string(),
                location.as_ref().map(|l| (l.line(), l.column())),
            ),
        }
    }
}

/// The key of `keys` a misspelt `key` most likely meant: the nearest, ignoring case, at most
/// `max` edits away.
pub fn closest_key<'k>(key: &str, keys: &[&'k str], max: usize) -> Option<&'k str> {
    let key = key.to_ascii_lowercase();
    keys.iter()
        .map(|k| (strsim::levenshtein(&key, &k.to_ascii_lowercase()), *k))
        .filter(|(d, _)| *d <= max)
        .min()
        .map(|(_, k)| k)
}

/// yaml_serde's message without the position it appends (the error already leads with it),
/// and an unknown key's error with the closest key suggested rather than every key listed.
fn readable(message: &str, at: Option<(usize, usize)>) -> String {
    let message = match at {
        Some((line, column)) => {
            message.replacen(&format!(" at line {line} column {column}"), "", 1)
        }
        None => message.to_string(),
    };
    let Some(start) = message.find("unknown field `") else {
        return message;
    };
    let rest = &message[start + "unknown field `".len()..];
    // serde: "unknown field `K`, expected one of `a`, `b`", "… expected `a` or `b`", "… expected
    // `a`", or "…, there are no fields". K may itself hold a backtick: split at the last marker.
    let (key, keys) = if let Some(i) = rest.rfind("`, expected ") {
        let expected = &rest[i + "`, expected ".len()..];
        let keys: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        (&rest[..i], keys)
    } else if let Some(i) = rest.rfind("`, there are no fields") {
        (&rest[..i], Vec::new())
    } else {
        return message;
    };
    let prefix = &message[..start];
    if keys.is_empty() {
        return format!("{prefix}`{key}` is not a key here; no keys are allowed here");
    }
    let closest = closest_key(key, &keys, 3);
    let hint = match closest {
        Some(k) => format!("did you mean `{k}`? "),
        None => String::new(),
    };
    format!(
        "{prefix}`{key}` is not a key here; {hint}the keys here are {}",
        keys.join(", ")
    )
}

/// One meaningful line of block YAML: where its sequence dash and its key stand.
struct Line<'a> {
    /// Column of `- ` when the line opens a sequence item.
    item: Option<usize>,
    /// The key on the line and its column.
    key: Option<(&'a str, usize)>,
}

impl Line<'_> {
    /// The column that decides nesting: the dash of an item, else the key.
    fn column(&self) -> Option<usize> {
        self.item.or(self.key.map(|(_, c)| c))
    }
}

fn parse_line(raw: &str) -> Line<'_> {
    let content = raw.trim_start();
    let mut col = raw.len() - content.len();
    if content.is_empty() || content.starts_with('#') {
        return Line {
            item: None,
            key: None,
        };
    }
    let mut item = None;
    let mut rest = content;
    if rest == "-" || rest.starts_with("- ") {
        item = Some(col);
        let after = rest.get(1..).unwrap_or("");
        let trimmed = after.trim_start();
        col += 1 + after.len() - trimmed.len();
        rest = trimmed;
    }
    let key = rest
        .split_once(':')
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty() && !k.contains(' ') && !k.starts_with('"'))
        .map(|k| (k, col));
    Line { item, key }
}

/// Finds the 1-based line and column of a key path in block-style YAML. A numeric path element
/// selects the n-th item (0-based) of a sequence. Returns `None` when the path is not there.
pub fn locate(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    let lines: Vec<Line> = text.lines().map(parse_line).collect();
    // The lines still in scope, the column their parent stands at, and whether the parent is a
    // key (whose sequence items may stand at its own column: YAML's compact block sequence).
    let (mut lo, mut hi, mut parent): (usize, usize, Option<usize>) = (0, lines.len(), None);
    let mut parent_is_key = false;
    let mut found = None;
    for element in path {
        let inside = |c: usize| parent.is_none_or(|p| c > p);
        let (at, col) = if let Ok(n) = element.parse::<usize>() {
            let item_inside = |c: usize| inside(c) || (parent_is_key && Some(c) == parent);
            let items: Vec<(usize, usize)> = (lo..hi)
                .filter_map(|i| lines[i].item.filter(|c| item_inside(*c)).map(|c| (i, c)))
                .collect();
            let level = items.first()?.1;
            *items.iter().filter(|(_, c)| *c == level).nth(n)?
        } else {
            let keys: Vec<(usize, &str, usize)> = (lo..hi)
                .filter_map(|i| {
                    lines[i]
                        .key
                        .filter(|(_, c)| inside(*c))
                        .map(|(k, c)| (i, k, c))
                })
                .collect();
            let level = keys.first()?.2;
            let (i, _, c) = *keys.iter().find(|(_, k, c)| *c == level && k == element)?;
            (i, c)
        };
        found = Some((at + 1, col + 1));
        let is_item = lines[at].item == Some(col);
        // The scope of what was found ends at the next line that is not nested deeper (a key's
        // compact sequence items, at the key's own column, are nested).
        let end = (at + 1..hi)
            .find(|&i| {
                let compact_item = !is_item && lines[i].item == Some(col);
                lines[i].column().is_some_and(|c| c <= col) && !compact_item
            })
            .unwrap_or(hi);
        lo = if is_item { at } else { at + 1 };
        hi = end;
        parent = Some(col);
        parent_is_key = !is_item;
    }
    found
}

#[cfg(test)]
mod tests {

    #[test]
    fn unknown_keys_get_the_closest_one_and_positions_are_not_repeated() {
        let r = |m: &str| super::readable(m, Some((5, 7)));
        assert_eq!(
            r("ingress[0]: unknown field `servce`, expected one of `hostname`, `path`, `service` at line 5 column 7"),
            "ingress[0]: `servce` is not a key here; did you mean `service`? the keys here are hostname, path, service"
        );
        assert_eq!(
            r("unknown field `x`, expected `alpha` or `beta`"),
            "`x` is not a key here; the keys here are alpha, beta"
        );
        assert_eq!(
            r("unknown field `a`b`, expected `ab`"),
            "`a`b` is not a key here; did you mean `ab`? the keys here are ab"
        );
        assert_eq!(
            r("unknown field `x`, there are no fields"),
            "`x` is not a key here; no keys are allowed here"
        );
        // A syntax error keeps its other position (the context), only the leading one goes.
        assert_eq!(
            r("did not find expected '-' indicator at line 5 column 7, while parsing a block collection at line 4 column 3"),
            "did not find expected '-' indicator, while parsing a block collection at line 4 column 3"
        );
        assert_eq!(r("invalid type: integer"), "invalid type: integer");
    }

    use super::*;

    const TEXT: &str = "tunnel: x\ningress:\n  - hostname: a\n    service: http://a\n  - service: http_status:404\n";

    #[test]
    fn locates_nested_sequence_keys() {
        assert_eq!(locate(TEXT, &["tunnel"]), Some((1, 1)));
        assert_eq!(locate(TEXT, &["ingress", "0", "service"]), Some((4, 5)));
        assert_eq!(locate(TEXT, &["ingress", "1", "service"]), Some((5, 5)));
        assert_eq!(locate(TEXT, &["ingress", "1"]), Some((5, 3)));
        assert_eq!(locate(TEXT, &["nothere"]), None);
    }

    #[test]
    fn locates_keys_in_compact_sequences() {
        let text = "ingress:\n- hostname: a\n  service: x\n- service: y\ntunnel: t\n";
        assert_eq!(locate(text, &["ingress", "0", "service"]), Some((3, 3)));
        assert_eq!(locate(text, &["ingress", "1"]), Some((4, 1)));
        assert_eq!(locate(text, &["tunnel"]), Some((5, 1)));
    }
}
