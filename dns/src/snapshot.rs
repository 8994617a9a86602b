//! Every answer the server can give, built in one go from the config and the live state
//! ([`Input`]: tunnels with the addresses of the edges that hold them, and routes), then swapped in
//! whole. Queries read an immutable [`Snapshot`]; nothing is computed from the store per query.
//!
//! What a name holds:
//! - the apex of each hosted zone: SOA, NS (from config), glue for in-zone name servers;
//! - static records from config;
//! - `UUID.<tunnel-zone>`: A/AAAA of the tunnel's edges;
//! - a routed hostname: a CNAME to its tunnel's endpoint, or the endpoint's A/AAAA copied in
//!   (flattened) where a CNAME is illegal — at an apex or beside other records (RFC 1034 §3.6.2,
//!   RFC 2181 §10.1); `*.host` routes become wildcard owners (RFC 4592);
//! - a route's `--direct` address, answered only to internal askers (split horizon);
//! - `_acme-challenge.name`: the TXT values of the ACME DNS-01 challenges in flight.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use hickory_proto::rr::rdata::{CNAME, TXT};
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordSet, RecordType};

use crate::config::DnsConfig;
use crate::zone::{add_empty_non_terminals, address_records, zone, zone_for, Zone};

/// The live state the answers depend on. Sorted, so equal state compares equal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    /// Every tunnel (its UUID) with the addresses its endpoint answers: the live edges that hold
    /// one of its sessions, or every live edge when none does.
    pub endpoints: Vec<(String, Vec<IpAddr>)>,
    pub routes: Vec<Route>,
    /// ACME DNS-01 challenges in flight: (name, value) answers a TXT at `_acme-challenge.name`
    /// (RFC 8555 §8.4); a name may hold two values at once (a wildcard and its apex).
    pub acme_challenges: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    /// Lower case, no trailing dot; may start with `*.`.
    pub hostname: String,
    pub tunnel_id: String,
    /// Answered instead of the tunnel to askers in `internal-networks`.
    pub direct: Option<IpAddr>,
}

impl Input {
    pub fn normalize(&mut self) {
        for (_, addrs) in &mut self.endpoints {
            addrs.sort();
            addrs.dedup();
        }
        self.endpoints.sort();
        self.routes.sort();
        self.acme_challenges.sort();
        self.acme_challenges.dedup();
    }
}

/// What a query gets.
#[derive(Debug, PartialEq)]
pub enum Answer {
    Records {
        answers: Vec<Record>,
        additionals: Vec<Record>,
    },
    /// The name exists, without records of the asked type.
    NoData,
    NxDomain,
}

#[derive(Debug)]
pub struct Snapshot {
    pub serial: u32,
    pub input: Input,
    pub zones: Vec<Zone>,
}

/// The TTL of ACME challenge TXT records.
const ACME_TTL: u32 = 10;

/// A CNAME chain longer than this is cut (a loop, or a misconfiguration).
const MAX_CHAIN: usize = 8;

impl Snapshot {
    /// Builds the answers for `input`, read from the store at `version` (its revision). The SOA
    /// serial stays when nothing changed, else becomes `version` (at least one more than before):
    /// the store's revision only grows and is shared, so the serial never goes back across
    /// restarts, and every server reading one store agrees on it.
    pub fn build(
        config: &DnsConfig,
        input: Input,
        previous: Option<&Snapshot>,
        version: u32,
    ) -> Self {
        let serial = match previous {
            Some(p) if p.input == input => p.serial,
            Some(p) => version.max(p.serial.wrapping_add(1)),
            None => version.max(1),
        };
        let mut zones: Vec<Zone> = config.zones.iter().map(|z| zone(z, serial)).collect();
        let endpoints: HashMap<&str, &[IpAddr]> = input
            .endpoints
            .iter()
            .map(|(id, a)| (id.as_str(), a.as_slice()))
            .collect();
        for (id, addrs) in &endpoints {
            let Some(name) = config.endpoint(id) else {
                continue;
            };
            let Some(z) = zone_for(&mut zones, &name) else {
                continue;
            };
            let node = z.nodes.entry(LowerName::new(&name)).or_default();
            for a in address_records(&name, addrs, config.ttl) {
                node.add(a);
            }
        }
        // Flattening needs to know which names hold config records before routes are added.
        let occupied: HashSet<(LowerName, RecordType)> = zones
            .iter()
            .flat_map(|z| {
                z.nodes.iter().flat_map(|(k, n)| {
                    n.sets
                        .iter()
                        .filter_map(|s| s.first())
                        .map(|r| (k.clone(), r.record_type()))
                })
            })
            .collect();
        for route in &input.routes {
            let (Ok(host), Some(target)) = (
                Name::from_str(&format!("{}.", route.hostname)),
                config.endpoint(&route.tunnel_id),
            ) else {
                continue;
            };
            let Some(addrs) = endpoints.get(route.tunnel_id.as_str()) else {
                continue;
            };
            let Some(z) = zone_for(&mut zones, &host) else {
                continue;
            };
            let key = LowerName::new(&host);
            let flatten = key == z.origin || z.nodes.get(&key).is_some_and(|n| !n.sets.is_empty());
            let node = z.nodes.entry(key).or_default();
            if flatten && node.get(RecordType::CNAME).is_some() {
                tracing::warn!(host = %host, "route not published in DNS: the config has a CNAME at this name");
                continue;
            } else if flatten {
                // Records from config at this name win over the flattened ones of their type.
                for a in address_records(&host, addrs, config.ttl) {
                    if !occupied.contains(&(LowerName::new(&host), a.record_type())) {
                        node.add(a);
                    }
                }
            } else {
                node.add(Record::from_rdata(
                    host.clone(),
                    config.ttl,
                    RData::CNAME(CNAME(target)),
                ));
            }
            if let Some(direct) = route.direct {
                node.direct = address_records(&host, &[direct], config.ttl);
            }
        }
        for (name, value) in &input.acme_challenges {
            let Ok(owner) = Name::from_str(&format!("_acme-challenge.{name}.")) else {
                continue;
            };
            let Some(z) = zone_for(&mut zones, &owner) else {
                continue;
            };
            let txt = RData::TXT(TXT::new(vec![value.clone()]));
            // Short-lived: a validation asks once, and a retried order brings a new value.
            let record = Record::from_rdata(owner.clone(), ACME_TTL, txt);
            z.nodes
                .entry(LowerName::new(&owner))
                .or_default()
                .add(record);
        }
        for z in &mut zones {
            add_empty_non_terminals(z);
        }
        Snapshot {
            serial,
            input,
            zones,
        }
    }

    /// The most specific hosted zone holding `name`.
    pub fn zone(&self, name: &LowerName) -> Option<&Zone> {
        self.zones
            .iter()
            .filter(|z| z.origin.zone_of(name))
            .max_by_key(|z| z.origin.num_labels())
    }

    /// Whether the answer for `name` depends on the asker (split horizon), at the name or
    /// anywhere along its CNAME chain.
    pub fn varies_by_asker(&self, name: &LowerName) -> bool {
        let mut name = name.clone();
        for _ in 0..=MAX_CHAIN {
            let Some((node, _)) = self.zone(&name).and_then(|z| z.find(&name)) else {
                return false;
            };
            if !node.direct.is_empty() {
                return true;
            }
            match node
                .get(RecordType::CNAME)
                .and_then(|s| s.first())
                .map(|r| &r.data)
            {
                Some(RData::CNAME(target)) => name = LowerName::new(&target.0),
                _ => return false,
            }
        }
        false
    }

    /// Answers `qtype` at `qname` (written as the asker wrote it) for an internal or external
    /// asker. CNAME chains into hosted zones are followed, so a stub resolver gets the address in
    /// one query.
    pub fn answer(&self, qname: &Name, qtype: RecordType, internal: bool) -> Answer {
        let lower = LowerName::new(qname);
        let Some(zone) = self.zone(&lower) else {
            return Answer::NxDomain;
        };
        let mut answer = zone.answer(qname, &lower, qtype, internal);
        if let Answer::Records { answers, .. } = &mut answer {
            let mut seen = vec![lower];
            while let Some(target) = answers
                .last()
                .filter(|r| r.record_type() == RecordType::CNAME && qtype != RecordType::CNAME)
                .and_then(|r| match &r.data {
                    RData::CNAME(c) => Some(c.0.clone()),
                    _ => None,
                })
            {
                let key = LowerName::new(&target);
                if seen.len() > MAX_CHAIN || seen.contains(&key) {
                    break;
                }
                let Some(z) = self.zone(&key) else { break };
                seen.push(key.clone());
                match z.answer(&target, &key, qtype, internal) {
                    Answer::Records { answers: more, .. } => answers.extend(more),
                    _ => break,
                }
            }
        }
        if let Answer::Records {
            answers,
            additionals,
        } = &mut answer
        {
            *additionals = self.glue(answers);
        }
        answer
    }

    /// A/AAAA in hosted zones for the targets of NS, MX and SRV answers.
    fn glue(&self, answers: &[Record]) -> Vec<Record> {
        let mut out = Vec::new();
        for r in answers {
            let target = match &r.data {
                RData::NS(ns) => &ns.0,
                RData::MX(mx) => &mx.exchange,
                RData::SRV(srv) => &srv.target,
                _ => continue,
            };
            let key = LowerName::new(target);
            if let Some((node, _)) = self.zone(&key).and_then(|z| z.find(&key)) {
                for t in [RecordType::A, RecordType::AAAA] {
                    out.extend(node.get(t).into_iter().flatten().map(|r| {
                        let mut r = r.clone();
                        r.name = target.clone(); // a wildcard's owner is the name asked
                        r
                    }));
                }
            }
        }
        out
    }

    /// Every RRset of the zone at `origin` but its SOA (AXFR).
    pub fn transfer(&self, origin: &LowerName) -> Option<(Record, Vec<Arc<RecordSet>>)> {
        let zone = self.zones.iter().find(|z| z.origin == *origin)?;
        let mut sets = Vec::new();
        let mut names: Vec<&LowerName> = zone.nodes.keys().collect();
        names.sort();
        for name in names {
            for set in &zone.nodes[name].sets {
                let Some(first) = set.first() else { continue };
                if first.record_type() == RecordType::SOA {
                    continue;
                }
                let mut rs = RecordSet::new(first.name.clone(), first.record_type(), self.serial);
                for r in set {
                    rs.insert(r.clone(), self.serial);
                }
                sets.push(Arc::new(rs));
            }
        }
        Some((zone.soa.clone(), sets))
    }
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
