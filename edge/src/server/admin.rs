//! Wiring of the admin room: the admin listener (with its TLS), the tables it reads, this edge's
//! counters for the dashboard's plots, and the drain requests it writes.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::task::TaskTracker;

use super::{Rooms, RunError};
use crate::admin::auth::Tokens;
use crate::admin::history::History;
use crate::admin::stats::StatsPublisher;
use crate::admin::AdminApi;
use crate::config::AdminTls;
use crate::protect::failures::Failures;
use crate::state::admin::{ADMIN_STATS, ADMIN_TOKENS};
use crate::state::table::Table;
use crate::tls::certs;
use crate::tunnels::connector_drain::drain_on_request;

impl Rooms {
    /// Every edge publishes its counters and follows drain requests; the one with `admin:`
    /// also serves the API and the dashboard.
    pub(super) fn start_admin(
        &self,
        listener: Option<TcpListener>,
        background: &TaskTracker,
    ) -> Result<(), RunError> {
        let shutdown = self.lifecycle.shutdown.clone();
        let publisher = StatsPublisher {
            state: self.state.clone(),
            presence: self.presence.clone(),
            sessions: self.sessions.clone(),
            metrics: self.metrics.clone(),
        };
        background.spawn(publisher.run(shutdown.clone()));
        let (store, sessions) = (self.state.store.clone(), self.sessions.clone());
        background.spawn(drain_on_request(
            store.clone(),
            sessions,
            self.config.clone(),
            shutdown.clone(),
        ));
        let (Some(listener), Some(admin)) = (listener, self.config.get().admin.clone()) else {
            return Ok(());
        };
        let tls = match &admin.tls {
            AdminTls::Off => None,
            AdminTls::Edge => Some(certs::server_config(
                self.certs.clone(),
                &[b"h2", b"http/1.1"],
                false,
            )),
            AdminTls::Files(files) => {
                let pair =
                    certs::load_pair(files).map_err(|e| RunError::AdminTls(e.to_string()))?;
                let resolver = Arc::new(rustls::sign::SingleCertAndKey::from(pair));
                Some(certs::server_config(resolver, &[b"h2", b"http/1.1"], false))
            }
        };
        let tokens = Table::new(ADMIN_TOKENS);
        background.spawn(tokens.clone().follow(store.clone(), shutdown.clone()));
        let stats = Table::new(ADMIN_STATS);
        background.spawn(stats.clone().follow(store, shutdown.clone()));
        let history = History::default();
        background.spawn(history.clone().follow(stats.clone(), shutdown.clone()));
        let api = Arc::new(AdminApi {
            config: self.config.clone(),
            state: self.state.clone(),
            directory: self.directory.clone(),
            routes: self.routes.clone(),
            tokens: Tokens {
                table: tokens,
                state: self.state.clone(),
                secure: tls.is_some(),
            },
            stats,
            history,
            lifecycle: self.lifecycle.clone(),
            failures: Failures::new(crate::admin::AUTH_BUDGET),
        });
        if let Ok(addr) = listener.local_addr() {
            // Tests and scripts read the bound port from this line.
            let scheme = if tls.is_some() { "https" } else { "http" };
            tracing::info!("listening on admin {addr} ({scheme}://{addr}/)");
        }
        background.spawn(crate::admin::serve(
            listener,
            tls.map(TlsAcceptor::from),
            api,
        ));
        Ok(())
    }
}
