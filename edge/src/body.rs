//! The body types the edge moves. Public responses and tunnel requests are type-erased so that
//! streamed bodies (from hyper) and edge-generated pages share one type.

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type EdgeBody = UnsyncBoxBody<Bytes, BoxError>;

pub fn empty() -> EdgeBody {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

pub fn full(data: impl Into<Bytes>) -> EdgeBody {
    Full::new(data.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Erases a hyper body's type.
pub fn boxed<B>(body: B) -> EdgeBody
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}
