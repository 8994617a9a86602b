//! Who may call the admin API, and from where: an admin token from the store (bearer header, or
//! the dashboard's HttpOnly cookie), with its role; a Host this listener answers to (a page on
//! another name that rebinds its DNS to us is refused); and, for writes, an Origin that is the
//! listener itself (a page elsewhere cannot post with the dashboard's cookie).

use http::{header, HeaderMap, StatusCode};

use super::reply::ApiError;
use crate::state::admin::{AdminTokenRecord, Role};
use crate::state::table::Table;
use crate::state::{now_secs, State, StateError};

/// The dashboard's cookie: a login's random id (not the token), HttpOnly (no script reads it)
/// and SameSite=Strict (no other site's request carries it). Over TLS it is `__Host-` prefixed:
/// Secure, for this host only, never set by another name.
pub const COOKIE: &str = "tether_admin";
pub const SECURE_COOKIE: &str = "__Host-tether_admin";

/// What an endpoint needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Nothing (login, logout).
    Public,
    /// A read or write token.
    Read,
    /// A write token.
    Write,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: AdminTokenRecord,
    /// The dashboard's login it came with (a browser), rather than a bearer header.
    pub login: Option<String>,
}

impl Caller {
    pub fn by_cookie(&self) -> bool {
        self.login.is_some()
    }
}

/// The admin tokens every edge honours, followed from the store: a revoked token is refused
/// within a second.
#[derive(Clone)]
pub struct Tokens {
    pub table: Table<AdminTokenRecord>,
    /// Asked for a token the table does not hold yet (made a moment ago, before the watch
    /// brought it), and for the dashboard's logins.
    pub state: State,
    /// The listener speaks TLS: which cookie name is ours.
    pub secure: bool,
}

impl Tokens {
    /// The record of a token's text, if it is known, unexpired and its secret matches; an
    /// error only when the store had to be asked and did not answer.
    pub async fn check(&self, text: &str) -> Result<Option<AdminTokenRecord>, StateError> {
        let Some((id, sha)) = AdminTokenRecord::parse(text) else {
            return Ok(None);
        };
        let record = match self.table.get(&id.to_string()) {
            Some(record) => record,
            None => match self.state.admin_token(id).await? {
                Some(record) => record,
                None => return Ok(None),
            },
        };
        let same = constant_time_eq(record.secret_sha256.as_bytes(), sha.as_bytes());
        Ok((same && record.valid_at(now_secs())).then_some(record))
    }

    async fn token_valid(&self, id: uuid::Uuid) -> bool {
        let record = match self.table.get(&id.to_string()) {
            Some(record) => Some(record),
            None => self.state.admin_token(id).await.ok().flatten(),
        };
        record.is_some_and(|t| t.valid_at(now_secs()))
    }

    /// The token behind a dashboard login's cookie, if the login is open and its token valid.
    async fn logged_in(&self, login: &str) -> Result<Option<AdminTokenRecord>, StateError> {
        let Some(record) = self.state.login(login).await? else {
            return Ok(None);
        };
        let token = match self.table.get(&record.token_id.to_string()) {
            Some(token) => Some(token),
            None => self.state.admin_token(record.token_id).await?,
        };
        Ok(token.filter(|t| t.valid_at(now_secs())))
    }

    /// Whether `caller` may still go on (an open event stream asks): its token is valid and,
    /// for the dashboard, its login still open.
    pub async fn still_valid(&self, caller: &Caller) -> bool {
        match &caller.login {
            Some(login) => matches!(self.logged_in(login).await, Ok(Some(_))),
            None => self.token_valid(caller.token.id).await,
        }
    }

    /// The dashboard's login id in a request's cookies.
    pub fn login_cookie(&self, headers: &HeaderMap) -> Option<String> {
        cookie(headers, self.cookie_name())
    }

    pub fn cookie_name(&self) -> &'static str {
        if self.secure {
            SECURE_COOKIE
        } else {
            COOKIE
        }
    }

    /// The caller of a request: 401 without a valid token or login.
    pub async fn caller(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        if let Some(text) = bearer(headers) {
            return match self.check(&text).await? {
                Some(token) => Ok(Caller { token, login: None }),
                None => Err(unauthorized("the admin token is unknown, revoked or expired; `edge admin token list` shows the valid ones")),
            };
        }
        let Some(login) = self.login_cookie(headers) else {
            return Err(unauthorized("no admin token: send `Authorization: Bearer TOKEN` (`edge admin token create`), or log in to the dashboard"));
        };
        match self.logged_in(&login).await? {
            Some(token) => Ok(Caller {
                token,
                login: Some(login),
            }),
            None => Err(unauthorized("the dashboard's login has ended (logged out, expired, or its token revoked); log in again")),
        }
    }
}

/// Checks `access` for `caller`: 403 for a read token on a write.
pub fn allows(caller: &Caller, access: Access) -> Result<(), ApiError> {
    match (access, caller.token.role) {
        (Access::Write, Role::Read) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "admin token {} is read-only; this needs a write token (`edge admin token create --role write`)",
                caller.token.name
            ),
        )),
        _ => Ok(()),
    }
}

pub fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The Host names the listener answers to.
#[derive(Debug, Clone, Default)]
pub struct Hosts {
    /// `admin.hosts` and the edge's public hostname, lowercase.
    pub names: Vec<String>,
}

impl Hosts {
    /// Accepts an IP literal (no DNS name, so nothing to rebind), `localhost`, or a listed
    /// name; refuses every other Host with 421.
    pub fn check(&self, authority: Option<&str>) -> Result<(), ApiError> {
        let Some(authority) = authority else {
            return Err(misdirected("the request names no Host"));
        };
        let host = tether_proto::hostname::normalize_host(authority);
        let ip = host.parse::<std::net::IpAddr>().is_ok();
        if ip || host == "localhost" || self.names.contains(&host) {
            return Ok(());
        }
        Err(misdirected(&format!(
            "this admin listener does not answer to `{host}`; add it to admin.hosts in edge.yml"
        )))
    }
}

fn misdirected(message: &str) -> ApiError {
    ApiError::new(StatusCode::MISDIRECTED_REQUEST, "unknown_host", message)
}

/// A write from a browser must come from a page of this listener: its Origin must be
/// `scheme://authority` of the request itself. A client without Origin (the CLI, curl) is
/// accepted unless it authenticated with the cookie, which only browsers hold.
pub fn check_origin(
    headers: &HeaderMap,
    authority: Option<&str>,
    scheme: &str,
    by_cookie: bool,
) -> Result<(), ApiError> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let forbidden = |m: String| ApiError::new(StatusCode::FORBIDDEN, "bad_origin", m);
    match (origin, authority) {
        (Some(origin), Some(authority)) => {
            let own = format!("{scheme}://{authority}");
            match origin.eq_ignore_ascii_case(&own) {
                true => Ok(()),
                false => Err(forbidden(format!(
                    "a write from {origin} is refused: only pages of {own} may write"
                ))),
            }
        }
        (Some(origin), None) => Err(forbidden(format!("a write from {origin} names no Host"))),
        (None, _) if by_cookie => Err(forbidden(
            "a write with the dashboard's cookie must carry an Origin header".into(),
        )),
        (None, _) => Ok(()),
    }
}

/// The `Set-Cookie` value that holds the dashboard's login for `max_age` seconds (or ends it,
/// with 0).
pub fn set_cookie(login: &str, max_age: u64, secure: bool) -> String {
    match secure {
        true => format!(
            "{SECURE_COOKIE}={login}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}; Secure"
        ),
        false => format!("{COOKIE}={login}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_refuse_names_they_do_not_know() {
        let hosts = Hosts {
            names: vec!["admin.example.com".into()],
        };
        for ok in [
            "127.0.0.1:7070",
            "[::1]:7070",
            "localhost:7070",
            "ADMIN.example.com",
            "admin.example.com:443",
        ] {
            assert!(hosts.check(Some(ok)).is_ok(), "{ok}");
        }
        for bad in ["evil.example:7070", "admin.example.com.evil", ""] {
            let e = hosts.check(Some(bad)).unwrap_err();
            assert_eq!(e.status, StatusCode::MISDIRECTED_REQUEST, "{bad}");
        }
        assert!(hosts.check(None).is_err());
    }

    #[test]
    fn writes_need_their_own_origin() {
        let mut h = HeaderMap::new();
        let at = Some("127.0.0.1:7070");
        assert!(check_origin(&h, at, "http", false).is_ok());
        assert!(check_origin(&h, at, "http", true).is_err());
        h.insert(header::ORIGIN, "http://127.0.0.1:7070".parse().unwrap());
        assert!(check_origin(&h, at, "http", true).is_ok());
        assert!(check_origin(&h, at, "https", true).is_err());
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(check_origin(&h, at, "http", false).is_err());
    }

    #[test]
    fn tokens_come_from_the_header_or_the_cookie() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=b; tether_admin=tadm_x.y".parse().unwrap(),
        );
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("tadm_x.y"));
        h.insert(header::AUTHORIZATION, "Bearer tadm_1.2".parse().unwrap());
        assert_eq!(bearer(&h).as_deref(), Some("tadm_1.2"));
    }
}
