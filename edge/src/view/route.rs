//! A route as the data plane reads it: compiled from its stored record once (`super::compile`),
//! shared by every request for its hostname through an `Arc`, never cloned or parsed again.

use std::collections::HashMap;
use std::sync::Arc;

use http::HeaderName;
use tether_proto::hostname::route_wildcards;
use uuid::Uuid;

use crate::policy::jwks::KeyCache;
use crate::policy::Access;
use crate::protect::rates::Rate;
use crate::state::route_policy::IDENTITY_HEADER;
use crate::state::RouteRecord;

/// What a hostname's requests are checked against and carried to.
pub struct Route {
    /// Lower case, no trailing dot; may start with `*.`.
    pub hostname: String,
    pub tunnel_id: Uuid,
    /// `route tcp --port`: the public TCP port of this hostname.
    pub port: Option<u16>,
    /// `route tcp --require-token`: access sessions must present a token for it.
    pub require_token: bool,
    /// Client address rules and the access policy.
    pub access: Access,
    /// Requests per second per client address, when the route sets its own.
    pub rate: Option<Rate>,
    /// Largest request body, when the route sets its own.
    pub max_request_body: Option<u64>,
    /// The header the verified identity goes to the origin in.
    pub identity_header: HeaderName,
    /// Plain HTTP is redirected to HTTPS (a policy route that did not opt out).
    pub wants_https: bool,
    /// What it was compiled from: a recompilation keeps this route while the record is unchanged.
    record: RouteRecord,
}

impl Route {
    pub fn compile(record: &RouteRecord, keys: &KeyCache) -> Route {
        let rules = &record.rules;
        let identity_header = rules
            .identity_header
            .as_deref()
            .and_then(|h| HeaderName::from_bytes(h.as_bytes()).ok())
            .unwrap_or(HeaderName::from_static(IDENTITY_HEADER));
        Route {
            hostname: record.hostname.clone(),
            tunnel_id: record.tunnel_id,
            port: record.port,
            require_token: record.require_token,
            access: Access::compile(rules, keys),
            rate: rules
                .limits
                .requests_per_second
                .and_then(|rps| Rate::new(rps, rules.limits.burst)),
            max_request_body: rules.limits.max_request_body,
            identity_header,
            wants_https: rules.wants_https(),
            record: record.clone(),
        }
    }

    /// The policy's method, for refusals and logs.
    pub fn policy_method(&self) -> Option<&'static str> {
        self.access.policy.as_ref().map(|p| p.method())
    }
}

/// The routes by hostname, exact names and `*.` wildcards alike.
#[derive(Default)]
pub struct Routes {
    by_name: HashMap<String, Arc<Route>>,
}

impl Routes {
    /// Compiles `records`, keeping each route of `previous` whose record is unchanged (its
    /// compiled policy, fetched keys and TLS settings with it).
    pub fn compile<'a>(
        records: impl IntoIterator<Item = &'a RouteRecord>,
        previous: &Routes,
        keys: &KeyCache,
    ) -> Routes {
        let by_name = records
            .into_iter()
            .map(|record| {
                let kept = previous
                    .by_name
                    .get(&record.hostname)
                    .filter(|r| r.record == *record);
                let route = match kept {
                    Some(route) => route.clone(),
                    None => Arc::new(Route::compile(record, keys)),
                };
                (record.hostname.clone(), route)
            })
            .collect();
        Routes { by_name }
    }

    /// The route serving a normalised host: its exact route, else the most specific wildcard.
    pub fn find(&self, host: &str) -> Option<&Arc<Route>> {
        if let Some(route) = self.by_name.get(host) {
            return Some(route);
        }
        route_wildcards(host).find_map(|w| self.by_name.get(&w))
    }
}
