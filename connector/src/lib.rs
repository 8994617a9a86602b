//! The Tether connector: runs next to private services and opens outbound sessions to the edge.
//!
//! A map of the crate:
//! - [`config`]: tunnel.yml (cloudflared's shape) → [`ingress`] rules with their services.
//! - [`supervisor`]: keeps `ha-connections` sessions alive (backoff with full jitter, stop on
//!   permanent refusal, make before break when an edge drains); [`edges`]: the edges known and
//!   which one each session dials.
//! - [`session`]: one session: TLS, signed WebSocket upgrade, HTTP/2 server (the `h2` crate) over it;
//!   [`stream`] dispatches each stream the edge opens.
//! - [`proxy`]: one stream → origin (HTTP, WebSocket, built-in services); [`control`] for the
//!   edge's control messages; [`origin`]: pooled origin clients (TCP, unix, TLS); [`tcp`]: raw
//!   TCP services (`tcp://`, `ssh://`, …) spliced onto CONNECT streams.
//! - [`access`]: `connector access tcp`, the client side of access sessions.
//! - [`health`]: `/metrics`, `/ready` and `/healthz` on the `metrics:` address; [`metrics`]: the
//!   Prometheus metrics.
//! - [`reload`]: tunnel.yml reloaded on SIGHUP or change, validated first.
//! - [`cli`]: the commands.

pub mod access;
pub mod cli;
pub mod config;
pub mod control;
pub mod edges;
pub mod health;
pub mod ingress;
pub mod metrics;
pub mod origin;
pub mod proxy;
pub mod reload;
pub mod session;
pub mod stream;
pub mod supervisor;
pub mod tcp;
