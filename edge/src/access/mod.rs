//! `connector access tcp` sessions on the public HTTPS port ([`session`]) and the access tokens
//! that gate the routes requiring them ([`tokens`]).
//!
//! May use: `tunnels`, `state`, and the leaves.

pub mod session;
pub mod tokens;

pub use session::AccessSessions;
pub use tokens::TokenTable;
