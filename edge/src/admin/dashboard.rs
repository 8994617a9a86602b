//! The dashboard's static pages, compiled into the binary: plain HTML, CSS and JavaScript with no
//! framework and no build step (nothing to download, nothing for cargo to run), so it works
//! offline. The page logs in with an admin token (exchanged for the HttpOnly cookie) and then
//! reads the same JSON API as everyone else, refreshing on the API's server-sent events.

use http::{header, HeaderValue, Method, Response, StatusCode};

use crate::body::{self, EdgeBody};

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");

/// What the pages may load: only from this listener; no inline script; not framed elsewhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The asset at `path` (every page of the dashboard is `index.html`; it routes by `#…`).
pub fn asset(method: &Method, path: &str) -> Response<EdgeBody> {
    if method != Method::GET && method != Method::HEAD {
        return plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "the dashboard is read with GET\n",
        );
    }
    let (content, kind) = match path {
        "/" | "/index.html" => (INDEX, "text/html; charset=utf-8"),
        "/app.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        "/app.css" => (STYLE, "text/css; charset=utf-8"),
        _ => return plain(StatusCode::NOT_FOUND, "not found; the dashboard is at /\n"),
    };
    let mut response = Response::new(body::full(content));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<EdgeBody> {
    let mut response = Response::new(body::full(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
