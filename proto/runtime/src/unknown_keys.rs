//! Every unknown key of a YAML config file in one pass. serde's `deny_unknown_fields` stops at the
//! first one, so a file with five misspelt keys would need five runs to find them all. Here each
//! unknown key serde reports is set aside (its lines blanked, so every later position stays true)
//! and the parse is tried again, until it succeeds or fails for another reason. The edge makes
//! the collected keys one error; the connector, as cloudflared does, warns about them and runs.

use serde::de::DeserializeOwned;

use crate::config_error::ConfigError;

/// A file has at most this many unknown keys set aside: each costs one more parse.
const MAX_UNKNOWN: usize = 100;

/// A parsed file and the unknown keys that were set aside.
pub struct Parsed<T> {
    pub value: T,
    pub unknown: Vec<Unknown>,
}

/// One unknown key.
pub struct Unknown {
    /// At the key's line, serde's message with the closest known key suggested (see
    /// [`ConfigError::from_yaml`]).
    pub error: ConfigError,
    /// Where the key stands, in serde's spelling: `ingress[0].originRequest`, empty at the top.
    pub within: String,
    pub key: String,
}

impl Unknown {
    /// serde's message: `PATH: unknown field `K`, expected …` (no `PATH: ` at the top level).
    fn new(error: ConfigError, serde_message: &str) -> Unknown {
        let (within, rest) = match serde_message.split_once("unknown field `") {
            Some((within, rest)) => (within.trim_end_matches(": "), rest),
            None => ("", ""),
        };
        // The key may itself hold a backtick: it ends at the last marker.
        let end = ["`, expected ", "`, there are no fields"]
            .iter()
            .find_map(|m| rest.rfind(m))
            .unwrap_or(rest.len());
        Unknown {
            error,
            within: within.to_string(),
            key: rest[..end].to_string(),
        }
    }
}

/// Parses `text` as `T`, setting aside each unknown key. Another error ends the parse: it is
/// returned first, followed by the unknown keys found before it (they may be what caused it). An
/// unknown key that cannot be set aside (inside a flow mapping, `{a: 1, b: 2}`) is an error, and
/// so is a YAML merge key (`<<: *anchor`): dropping it would drop every key it merges.
pub fn parse<T: DeserializeOwned>(file: &str, text: &str) -> Result<Parsed<T>, ConfigError> {
    let mut current = text.to_string();
    let mut unknown: Vec<Unknown> = Vec::new();
    loop {
        let err = match yaml_serde::from_str::<T>(&current) {
            Ok(value) => return Ok(Parsed { value, unknown }),
            Err(err) => err,
        };
        let mut error = ConfigError::from_yaml(file, &err);
        let message = err.to_string();
        let place = err.location().map(|l| (l.line(), l.column()));
        let found = message
            .contains("unknown field `")
            .then(|| Unknown::new(error.clone(), &message));
        let set_aside = match (&found, place) {
            (Some(u), _) if u.key == "<<" => {
                error.message = format!("{}: YAML merge keys (`<<: *anchor`) are not supported here; write the keys out", u.within);
                None
            }
            (Some(u), Some((line, column))) if unknown.len() < MAX_UNKNOWN => {
                blank_key(&current, line, column, &u.key)
            }
            _ => None,
        };
        match (set_aside, found) {
            (Some(next), Some(u)) => {
                unknown.push(u);
                current = next;
            }
            _ => {
                let all = std::iter::once(error).chain(unknown.into_iter().map(|u| u.error));
                return Err(combined(all.collect()).expect("at least this error"));
            }
        }
    }
}

/// `errors` as one: the first's place, every message on a line of its own.
pub fn combined(errors: Vec<ConfigError>) -> Option<ConfigError> {
    let mut iter = errors.into_iter();
    let mut first = iter.next()?;
    let rest: Vec<String> = iter.map(|e| e.to_string()).collect();
    if !rest.is_empty() {
        first.message = format!("{}\n{}", first.message, rest.join("\n"));
    }
    Some(first)
}

/// `text` with `key` at 1-based `line` and `column` blanked, and every line of its value (the
/// lines after it indented deeper or comments, and a compact sequence at its own column). `None`
/// when the key is not written there in block style (flow style, a merge `<<: *anchor`).
fn blank_key(text: &str, line: usize, column: usize, key: &str) -> Option<String> {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let at = line.checked_sub(1)?;
    let col = column.checked_sub(1)?;
    let key_line = lines.get(at)?.clone();
    let before = key_line.get(..col)?;
    // Only blanks before the key, or a sequence dash: a flow mapping cannot lose a key this way.
    if !before.chars().all(|c| c == ' ' || c == '-') {
        return None;
    }
    let after = key_line[col..].to_string();
    let written = [
        format!("{key}:"),
        format!("\"{key}\":"),
        format!("'{key}':"),
    ];
    if !written.iter().any(|w| after.starts_with(w.as_str())) {
        return None;
    }
    let value = after.split_once(':').map(|(_, v)| v.trim()).unwrap_or("");
    let value_on_next_lines = value.is_empty() || value.starts_with('#');
    lines[at] = format!("{before}{}", " ".repeat(after.len()));
    let key_is_item = before.contains('-');
    if key_is_item && lines[at].trim() == "-" {
        // The item's other keys stay its content: `-` alone opens a mapping on the next lines.
        lines[at] = before.to_string();
    }
    for next in lines.iter_mut().skip(at + 1) {
        let trimmed = next.trim_start();
        let indent = next.len() - trimmed.len();
        let compact_item = indent == col && trimmed.starts_with('-') && value_on_next_lines;
        let comment = trimmed.starts_with('#');
        if !(trimmed.is_empty() || comment || indent > col || compact_item) {
            break;
        }
        *next = String::new();
    }
    Some(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Origin {
        connect_timeout: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Rule {
        hostname: Option<String>,
        service: String,
        #[serde(rename = "originRequest")]
        origin: Option<Origin>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        ingress: Vec<Rule>,
    }

    #[test]
    fn every_unknown_key_is_reported_at_its_line_and_the_rest_parses() {
        let text = "ingress:\n  - hostname: a\n    disableChunkedEncoding: true\n    service: x\n  - bogus:\n      - 1\n      - 2\n    service: y\n    originRequest:\n      conectTimeout: 1s\n      connectTimeout: 2s\nextra:\n- a\n- b\n";
        let parsed = parse::<File>("f.yml", text).unwrap();
        let lines: Vec<Option<usize>> = parsed.unknown.iter().map(|u| u.error.line).collect();
        assert_eq!(lines, [Some(3), Some(5), Some(10), Some(12)]);
        let third = &parsed.unknown[2];
        assert!(
            third
                .error
                .message
                .contains("did you mean `connectTimeout`?"),
            "{}",
            third.error
        );
        assert_eq!(
            (third.within.as_str(), third.key.as_str()),
            ("ingress[1].originRequest", "conectTimeout")
        );
        let last = &parsed.unknown[3];
        assert_eq!((last.within.as_str(), last.key.as_str()), ("", "extra"));
        let rules = &parsed.value.ingress;
        assert_eq!(
            (rules[0].hostname.as_deref(), rules[0].service.as_str()),
            (Some("a"), "x")
        );
        assert_eq!(rules[1].service, "y");
        let origin = rules[1].origin.as_ref().unwrap();
        assert_eq!(origin.connect_timeout.as_deref(), Some("2s"));
    }

    #[test]
    fn an_item_whose_first_key_is_unknown_keeps_its_other_keys() {
        let text = "ingress:\n- bogus: 1\n  service: x\n- \"quoted\": |\n    two\n    lines\n# a comment\n  service: y\n";
        let parsed = parse::<File>("f.yml", text).unwrap();
        assert_eq!(parsed.unknown.len(), 2);
        assert_eq!(parsed.value.ingress[0].service, "x");
        assert_eq!(parsed.value.ingress[1].service, "y");
    }

    #[test]
    fn a_merge_key_is_an_error_not_dropped() {
        let text = "ingress:\n- &rule\n  service: x\n- <<: *rule\n  hostname: a\n";
        let e = parse::<File>("f.yml", text).err().unwrap();
        assert!(e.message.contains("YAML merge keys"), "{e}");
    }

    #[test]
    fn flow_style_and_other_errors_end_the_parse() {
        let e = parse::<File>("f.yml", "ingress: [{service: x, bogus: 1}]\n")
            .err()
            .unwrap();
        assert!(e.message.contains("`bogus` is not a key here"), "{e}");
        // A key that is not written where serde says (merged from an anchor) is not blanked.
        assert!(blank_key("a:\n  <<: *x\n", 2, 3, "bogus").is_none());
        assert!(blank_key("a:\n  'bogus': 1\n", 2, 3, "bogus").is_some());
        let e = parse::<File>("f.yml", "bogus: 1\ningress: 3\n")
            .err()
            .unwrap();
        assert_eq!(e.line, Some(2), "{e}");
        // The unknown key set aside before comes with it.
        assert!(
            e.message.contains("\nf.yml:1:1: `bogus` is not a key here"),
            "{e}"
        );
        let all = combined(vec![
            ConfigError::file("f.yml", "one"),
            ConfigError::file("f.yml", "two"),
        ])
        .unwrap();
        assert_eq!(all.to_string(), "f.yml: one\nf.yml: two");
    }
}
