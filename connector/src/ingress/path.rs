//! The path an ingress rule's `path:` sees: the one the origin will act on, not the bytes the
//! client sent. cloudflared matches Go's decoded `URL.Path`, so `GET /%61dmin` is `/admin` to
//! its rules (`%2F` decoded too); origins go further and resolve `.` and `..` (nginx, Go's
//! ServeMux), merge `//` (nginx's `merge_slashes`) and drop `;parameters` from a segment
//! (Tomcat, Spring). A deny rule (`path: ^/admin` → `http_status:403`) must see all of those
//! as `/admin`, so a rule's path is matched against the path decoded (as Go does) and then
//! normalised (as origins do). The origin still gets the path exactly as the client sent it.
//!
//! A path that cannot be decoded honestly is refused with 400: an escape that is not `%XX`,
//! a NUL (`%00`), or bytes that are not UTF-8.
//!
//! Written by hand beyond the decoding (`percent-encoding`): the dot-segment removal is RFC 3986
//! §5.2.4's, on decoded segments, which no URL crate offers for a bare path.

use percent_encoding::percent_decode_str;

/// Why a path cannot be matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadPath {
    #[error("the path has a `%` that is not followed by two hex digits")]
    Escape,
    #[error("the path has a NUL byte (%00)")]
    Nul,
    #[error("the decoded path is not UTF-8")]
    NotUtf8,
}

/// The path for `path:` rules: `raw` (a request's path, without its query) decoded and
/// normalised.
pub fn for_matching(raw: &str) -> Result<String, BadPath> {
    let bytes = raw.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'%' {
            let hex = bytes.get(i + 1..i + 3).unwrap_or_default();
            if hex.len() != 2 || !hex.iter().all(u8::is_ascii_hexdigit) {
                return Err(BadPath::Escape);
            }
        }
    }
    let decoded: Vec<u8> = percent_decode_str(raw).collect();
    if decoded.contains(&0) {
        return Err(BadPath::Nul);
    }
    let decoded = String::from_utf8(decoded).map_err(|_| BadPath::NotUtf8)?;
    Ok(normalise(&decoded))
}

/// `/`-separated segments with `;parameters` dropped, empty and `.` segments removed and `..`
/// taking the one before it away (never above the root); a trailing `/` is kept.
fn normalise(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut last = "";
    for segment in path.split('/') {
        let segment = segment.split(';').next().unwrap_or_default();
        last = segment;
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            named => kept.push(named),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    for segment in &kept {
        out.push('/');
        out.push_str(segment);
    }
    // `/admin/`, `/admin/.` and `/admin/x/..` all name the folder.
    if out.is_empty() || matches!(last, "" | "." | "..") {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classic_bypasses_all_become_the_path_the_origin_serves() {
        for raw in [
            "/admin",
            "/%61dmin",
            "/%61%64min",
            "/%2e%2e/admin",
            "/x/%2e%2e/admin",
            "/x/../admin",
            "//admin",
            "/%2fadmin",
            "/./admin",
            "/%2e/admin",
            "/admin;jsessionid=1",
            "/;x/admin",
            "/../../admin",
        ] {
            assert_eq!(for_matching(raw).as_deref(), Ok("/admin"), "{raw}");
        }
    }

    #[test]
    fn folders_keep_their_slash_and_the_root_stays_the_root() {
        assert_eq!(for_matching("/admin/").as_deref(), Ok("/admin/"));
        assert_eq!(for_matching("/admin/.").as_deref(), Ok("/admin/"));
        assert_eq!(for_matching("/admin/x/..").as_deref(), Ok("/admin/"));
        assert_eq!(for_matching("/").as_deref(), Ok("/"));
        assert_eq!(for_matching("").as_deref(), Ok("/"));
        assert_eq!(for_matching("/..").as_deref(), Ok("/"));
        assert_eq!(for_matching("/caf%C3%A9").as_deref(), Ok("/café"));
    }

    #[test]
    fn undecodable_paths_are_refused() {
        assert_eq!(for_matching("/%00admin"), Err(BadPath::Nul));
        assert_eq!(for_matching("/%ff"), Err(BadPath::NotUtf8));
        assert_eq!(for_matching("/%zz"), Err(BadPath::Escape));
        assert_eq!(for_matching("/50%"), Err(BadPath::Escape));
    }
}
