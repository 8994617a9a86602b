//! The Tether connector: runs next to private services and opens outbound sessions to the edge.
//! Its rooms, as `docs/architecture.md` lists them:
//!
//! - [`session`]: dialling an edge, one session's handshake and accept loop, control messages, the edge pool, the supervisor of `ha-connections` slots.
//! - [`serve`]: the streams the edge opens: dispatch (Streams), HTTP, WebSocket, raw TCP, the answers sent back.
//! - [`ingress`]: ingress rules, services and `originRequest`, pooled origin clients.
//! - [`access`]: `connector access tcp`, the client side of access sessions.
//! - [`enroll`]: `connector enroll` (an enrollment token redeemed, the key made here) and
//!   `connector token` (a credentials file as a run token).
//! - Leaves: [`metrics`], [`health`]: the metrics, `/ready` and `/healthz`.
//! - [`config`], [`reload`], [`cli`]: tunnel.yml, its reload, and the commands (wiring).
//!
//! Dependencies point one way: `session` hands streams to `serve`, `serve` asks `ingress`;
//! `access` and `enroll` use `session` to dial. `tests/tests/layout.rs` keeps it so.

pub mod access;
pub mod cli;
pub mod cloudflared_metrics;
pub mod compat;
pub mod config;
pub mod enroll;
pub mod health;
pub mod ingress;
pub mod metrics;
pub mod reload;
pub mod serve;
pub mod service;
pub mod session;
