//! The tunnel side: accepting connector sessions ([`accept`]), the table of live sessions and
//! the choice of one for a stream ([`sessions`]), and opening a stream on a session with its
//! retries ([`stream`]).
//!
//! May use: `state`, and the leaves. `public`, `access` and `links` use this room, never the
//! other way round.

pub mod accept;
pub mod sessions;
pub mod stream;
