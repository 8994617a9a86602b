//! The streams the edge opens, served: dispatch by kind ([`stream`]), HTTP and WebSocket to the
//! origin ([`http`]), raw TCP ([`tcp`]).
//!
//! May use: `ingress` (which rule and origin serve a stream), and the leaves.

pub mod http;
pub mod stream;
pub mod tcp;
