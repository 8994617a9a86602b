//! The streams the edge opens, served: dispatch by kind, with the [`Streams`] handle a session
//! hands every stream to ([`stream`]); HTTP to the origin and the built-in services ([`http`]);
//! WebSockets ([`websocket`]); raw TCP ([`tcp`]); the answers and origin failures sent back
//! ([`respond`]); streams whose answers wait on the edge, reset when the machine runs short of
//! TCP memory ([`stalls`]).
//!
//! May use: `ingress` (which rule and origin serve a stream), and the leaves.

pub mod http;
pub mod respond;
pub mod stalls;
pub mod stream;
pub mod tcp;
pub mod websocket;

pub use stream::Streams;
