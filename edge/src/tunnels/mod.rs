//! The tunnel side: accepting connector sessions ([`accept`]) and enrolling their keys
//! ([`enroll`]), and what the edge says on them
//! ([`control`]), the table of live sessions and the choice of one for a stream ([`sessions`]),
//! the [`StreamOpener`] every other room asks for a stream to a tunnel ([`opener`]) and the retry
//! rules of opening one ([`stream`]), the edge's presence rows in the store ([`presence`]), the
//! sessions of deleted, revoked or rotated-out keys closed ([`revocations`]), streams counted on their public
//! connection ([`activity`]), and the WebSocket upgrade seam ([`upgrade`]).
//!
//! May use: `state`, `protect`, and the leaves (`config`, `metrics`, `error`, `body`, `lifecycle`).
//! `public`, `access` and `links` use this room, never the other way round: links reach this
//! room through the [`opener::Elsewhere`] trait it defines.

pub mod accept;
pub mod activity;
pub mod connector_drain;
pub mod control;
pub mod enroll;
pub mod opener;
pub mod presence;
pub mod revocations;
pub mod sessions;
pub mod stream;
pub mod upgrade;

pub use opener::{Elsewhere, Reach, StreamOpener};
