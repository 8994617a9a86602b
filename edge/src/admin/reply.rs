//! The admin API's answers: JSON bodies, and errors as `{"code": …, "message": …}` with the
//! status that says whose fault it was. Request bodies are read here too, size-bounded, into
//! types that refuse unknown fields, so a typo is a 400 naming the field.

use bytes::Bytes;
use http::{header, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::body::{self, EdgeBody};
use crate::manage::{ErrorKind, ManageError};

/// The largest request body the API reads: a route policy with its files is a few KiB.
const MAX_BODY: usize = 1 << 20;
/// How long the whole body may take to arrive.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn response(&self) -> Response<EdgeBody> {
        #[derive(Serialize)]
        struct Body<'a> {
            code: &'a str,
            message: &'a str,
        }
        let body = Body {
            code: self.code,
            message: &self.message,
        };
        json_with(self.status, &body)
    }
}

impl From<ManageError> for ApiError {
    fn from(e: ManageError) -> ApiError {
        let status = match e.kind {
            ErrorKind::Invalid => StatusCode::BAD_REQUEST,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.kind.code(), e.message)
    }
}

impl From<crate::state::StateError> for ApiError {
    fn from(e: crate::state::StateError) -> ApiError {
        ManageError::from(e).into()
    }
}

pub type ApiResult = Result<Response<EdgeBody>, ApiError>;

/// 200 with `value` as JSON.
pub fn json<T: Serialize>(value: &T) -> ApiResult {
    Ok(json_with(StatusCode::OK, value))
}

pub fn json_with<T: Serialize>(status: StatusCode, value: &T) -> Response<EdgeBody> {
    // Serializing the API's plain views cannot fail.
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    answer(status, body::full(Bytes::from(bytes)), "application/json")
}

/// An API answer: `body` as `content_type`, never cached (it is live state, behind a token).
pub fn answer(
    status: StatusCode,
    body: EdgeBody,
    content_type: &'static str,
) -> Response<EdgeBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    response
}

/// Reads a JSON body into `T`. An empty body reads as `{}`, so a POST without options works.
pub async fn read_json<T: DeserializeOwned>(body: Incoming) -> Result<T, ApiError> {
    let read = tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY).collect());
    let bytes = read
        .await
        .map_err(|_| ApiError::bad_request("the request body did not arrive within 30 s"))?
        .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?
        .to_bytes();
    let bytes = match bytes.iter().all(u8::is_ascii_whitespace) {
        true => Bytes::from_static(b"{}"),
        false => bytes,
    };
    parse_json(&bytes)
}

/// Parses a JSON request body; the error names the field (serde says ``unknown field `x` `` or
/// ``missing field `y` ``) and where in the body it is.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!(
            "bad JSON body: {e}; the API's schema is at /api/v1/openapi.json"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Route {
        hostname: String,
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let e = parse_json::<Route>(br#"{"hostname":"a","colour":1}"#).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(
            e.message.contains("unknown field `colour`"),
            "{}",
            e.message
        );
        let e = parse_json::<Route>(b"{}").unwrap_err();
        assert!(
            e.message.contains("missing field `hostname`"),
            "{}",
            e.message
        );
        let e = parse_json::<Route>(b"{nope").unwrap_err();
        assert!(e.message.contains("bad JSON body"), "{}", e.message);
    }
}
