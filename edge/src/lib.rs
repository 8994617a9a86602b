//! The Tether edge: it owns the public side of every tunnel. Its rooms, as `docs/architecture.md`
//! lists them:
//!
//! - [`public`]: listeners, TLS by SNI, the HTTP proxy, WebSockets, public TCP ports, forwarding headers, access log.
//! - [`access`]: `connector access tcp` sessions on the HTTPS port, and their tokens.
//! - [`links`]: edge-to-edge links: dialling a peer (Links), accepting one (LinkAcceptor), the key between them.
//! - [`tunnels`]: connector sessions accepted (SessionAcceptor), enrollment (Enroller), the session table, the StreamOpener and its retries, presence in the store, control messages, revocation.
//! - [`protect`]: edge protection: the per-address budget of failed handshakes, open connections and request rates.
//! - [`policy`]: per-route access: client-ip-rules, and the policies (basic, bearer, JWT).
//! - [`tls`]: the tunnel CA, the certificate for each handshake, the tunnel listener's certificate, ACME certificates and TLS-ALPN-01 validations at the handshake.
//! - [`acme`]: certificates ordered over ACME for the routed hostnames: which names, when, the account, one order, the loop that places them under a lock in the store.
//! - [`state`]: the Store contract and its SQLite and etcd backends, typed records, the directory and route table followed from the store, the DNS source.
//! - [`cli`]: the `edge tunnel …`, `edge token …` and `edge store …` commands.
//! - Leaves: [`config`], [`metrics`], [`error`], [`body`], [`lifecycle`]: edge.yml (LiveConfig),
//!   metrics, every error the client sees and its page, bodies, draining/shutdown.
//! - Wiring: [`server`], [`listeners`], [`reload`], [`drain`]: builds the handles and starts the
//!   rooms; binds the sockets; reload of edge.yml; the edge's drain.
//!
//! Dependencies point one way: `public`, `access` and `links` use `tunnels`; `tunnels` uses
//! `state`; `protect` uses only the leaves and may be used by the rooms that take connections;
//! the leaves may be used by any room; nothing imports the wiring.
//! `tests/tests/layout.rs` keeps it so.

pub mod access;
pub mod acme;
pub mod admin;
pub mod body;
pub mod cli;
pub mod config;
pub mod drain;
pub mod error;
pub mod lifecycle;
pub mod links;
pub mod listeners;
pub mod manage;
pub mod metrics;
pub mod policy;
pub mod protect;
pub mod public;
pub mod reload;
pub mod server;
pub mod state;
pub mod tls;
pub mod tunnels;
pub mod view;
