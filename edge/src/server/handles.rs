//! The handles each room gets from the wiring: built from the [`Rooms`] the edge holds, each
//! with only the few it needs.

use std::sync::Arc;

use super::Rooms;
use crate::access::session::{ACCESS_PER_ADDRESS, ACCESS_TOTAL};
use crate::access::AccessSessions;
use crate::acme::Manager as AcmeManager;
use crate::drain::Drain;
use crate::links::LinkAcceptor;
use crate::protect::counts::Counts;
use crate::public::{Proxy, TcpPorts};
use crate::tunnels::accept::SessionAcceptor;
use crate::tunnels::enroll::Enroller;

impl Rooms {
    pub(super) fn proxy(&self, https_port: Option<u16>) -> Proxy {
        let access = AccessSessions {
            tokens: self.tokens.clone(),
            view: self.view.clone(),
            opener: self.opener.clone(),
            lifecycle: self.lifecycle.clone(),
            config: self.config.clone(),
            https_port,
            failures: self.failures.clone(),
            open: Counts::new(ACCESS_PER_ADDRESS, ACCESS_TOTAL),
            gate: self.guards.gate.clone(),
            stalls: self.guards.stalls.clone(),
        };
        Proxy {
            view: self.view.clone(),
            certs: self.certs.clone(),
            config: self.config.clone(),
            metrics: self.metrics.clone(),
            opener: self.opener.clone(),
            lifecycle: self.lifecycle.clone(),
            https_port,
            access: Arc::new(access),
            sessions: Arc::new(self.session_acceptor()),
            enroll: Arc::new(self.enroller()),
            guards: self.guards.clone(),
            acme: self.acme.clone(),
        }
    }

    /// Orders and renews ACME certificates while `tls.acme` is set; names a configured
    /// certificate covers are left alone.
    pub(super) fn acme_manager(&self) -> AcmeManager {
        let certs = self.certs.clone();
        AcmeManager::new(
            self.state.clone(),
            self.acme.clone(),
            self.routes.clone(),
            self.config.clone(),
            self.metrics.clone(),
            Arc::new(move |name: &str| certs.configured_covers(name)),
        )
    }

    pub(super) fn enroller(&self) -> Enroller {
        let config = self.config.get();
        Enroller {
            state: self.state.clone(),
            failures: self.failures.clone(),
            server_name: config.server_name.clone(),
            ca_pem: (!config.public_certificate).then(|| self.ca_pem.clone()),
        }
    }

    pub(super) fn session_acceptor(&self) -> SessionAcceptor {
        SessionAcceptor {
            directory: self.directory.clone(),
            failures: self.failures.clone(),
            freshness: self.freshness.clone(),
            sessions: self.sessions.clone(),
            routes: self.routes.clone(),
            presence: self.presence.clone(),
            lifecycle: self.lifecycle.clone(),
            config: self.config.clone(),
            metrics: self.metrics.clone(),
        }
    }

    pub(super) fn link_acceptor(&self) -> LinkAcceptor {
        LinkAcceptor {
            key: self.link_key.clone(),
            opener: self.opener.clone(),
            lifecycle: self.lifecycle.clone(),
            config: self.config.clone(),
            metrics: self.metrics.clone(),
            failures: self.failures.clone(),
        }
    }

    pub(super) fn tcp_ports(&self) -> TcpPorts {
        TcpPorts {
            directory: self.directory.clone(),
            opener: self.opener.clone(),
            lifecycle: self.lifecycle.clone(),
            metrics: self.metrics.clone(),
            config: self.config.clone(),
            view: self.view.clone(),
            open: Counts::of_config(&self.config.get()),
            stalls: self.guards.stalls.clone(),
        }
    }

    pub(super) fn drain(&self) -> Drain {
        Drain {
            sessions: self.sessions.clone(),
            presence: self.presence.clone(),
            lifecycle: self.lifecycle.clone(),
            config: self.config.clone(),
            metrics: self.metrics.clone(),
        }
    }
}
