//! HTTP-01 (RFC 8555 §8.3): the CA's `GET /.well-known/acme-challenge/{token}` on the public
//! HTTP port is answered before routing and before the redirect to HTTPS, for the tokens of
//! orders in flight only (from the store, so whichever edge the CA reaches answers). Any other
//! path under it goes to the route, so an origin may still answer its own challenges.

use http::{header, Method, Request, Response};

use crate::body::{self, EdgeBody};
use crate::state::acme::AcmeTables;

const PREFIX: &str = "/.well-known/acme-challenge/";

/// The answer to an HTTP-01 validation, if `req` (for `host`, normalised) is one for a token
/// in flight for that name.
pub fn answer<B>(tables: &AcmeTables, host: &str, req: &Request<B>) -> Option<Response<EdgeBody>> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let token = req.uri().path().strip_prefix(PREFIX)?;
    let key_authorization = tables.http01(host, token)?;
    tracing::info!(hostname = %host, %token, "answered an HTTP-01 validation");
    Response::builder()
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body::full(key_authorization))
        .ok()
}
