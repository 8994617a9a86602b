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
//! - a route's `--direct` address, answered only to internal askers (split horizon).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use hickory_proto::rr::rdata::{A, AAAA, CNAME, NS, SOA};
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordSet, RecordType};

use crate::config::{DnsConfig, ZoneConfig};

/// The live state the answers depend on. Sorted, so equal state compares equal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    /// Every tunnel (its UUID) with the addresses its endpoint answers: the live edges that hold
    /// one of its sessions, or every live edge when none does.
    pub endpoints: Vec<(String, Vec<IpAddr>)>,
    pub routes: Vec<Route>,
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
    }
}

/// One RRset: records of one type at one name.
type Set = Vec<Record>;

#[derive(Debug, Default)]
struct Node {
    sets: Vec<Set>,
    /// Split horizon: what internal askers get instead of `sets` (A/AAAA only).
    direct: Vec<Record>,
}

impl Node {
    fn get(&self, rtype: RecordType) -> Option<&Set> {
        self.sets
            .iter()
            .find(|s| s.first().is_some_and(|r| r.record_type() == rtype))
    }

    fn add(&mut self, record: Record) {
        let rtype = record.record_type();
        match self
            .sets
            .iter_mut()
            .find(|s| s.first().is_some_and(|r| r.record_type() == rtype))
        {
            Some(set) => {
                if !set.iter().any(|r| r.data == record.data) {
                    set.push(record)
                }
            }
            None => self.sets.push(vec![record]),
        }
    }
}

#[derive(Debug)]
pub struct Zone {
    pub origin: LowerName,
    soa: Record,
    /// The SOA as carried in negative answers: TTL = min(SOA TTL, MINIMUM) (RFC 2308 §5).
    negative_soa: Record,
    nodes: HashMap<LowerName, Node>,
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

impl Zone {
    pub fn soa(&self) -> &Record {
        &self.soa
    }

    pub fn negative_soa(&self) -> &Record {
        &self.negative_soa
    }

    /// The node for `name`: its own, or the wildcard that covers it (RFC 4592 §3.3.1: `*.E`
    /// where E is the closest encloser, the longest existing ancestor). `true` when synthesized.
    fn find(&self, name: &LowerName) -> Option<(&Node, bool)> {
        if let Some(node) = self.nodes.get(name) {
            return Some((node, false));
        }
        let mut ancestor = name.base_name();
        while self.origin.zone_of(&ancestor) {
            if self.nodes.contains_key(&ancestor) {
                let wildcard = LowerName::new(&Name::from(&ancestor).prepend_label("*").ok()?);
                return self.nodes.get(&wildcard).map(|n| (n, true));
            }
            ancestor = ancestor.base_name();
        }
        None
    }

    fn answer(&self, qname: &Name, lower: &LowerName, qtype: RecordType, internal: bool) -> Answer {
        let Some((node, _)) = self.find(lower) else {
            return Answer::NxDomain;
        };
        // Owners are written as the asker wrote the name (its case, and for a wildcard the name
        // itself, RFC 4592 §3.3.1), as compression to the question makes other servers do.
        let own = |set: &[Record]| -> Vec<Record> {
            set.iter()
                .map(|r| {
                    let mut r = r.clone();
                    r.name = qname.clone();
                    r
                })
                .collect()
        };
        let records = |answers: Vec<Record>| Answer::Records {
            answers,
            additionals: Vec::new(),
        };
        // Split horizon replaces the addresses only; other records at the name stay.
        let addresses = matches!(qtype, RecordType::A | RecordType::AAAA | RecordType::ANY);
        if internal && addresses && !node.direct.is_empty() {
            let direct: Vec<Record> = node
                .direct
                .iter()
                .filter(|r| r.record_type() == qtype || qtype == RecordType::ANY)
                .cloned()
                .collect();
            return if direct.is_empty() {
                Answer::NoData
            } else {
                records(own(&direct))
            };
        }
        if qtype == RecordType::ANY {
            // RFC 8482: answer ANY with one RRset, not everything at the name.
            return match node.sets.first() {
                Some(set) => records(own(set)),
                None => Answer::NoData,
            };
        }
        if let Some(set) = node.get(qtype) {
            return records(own(set));
        }
        if let Some(cname) = node.get(RecordType::CNAME) {
            return records(own(cname));
        }
        Answer::NoData
    }
}

fn zone_for<'z>(zones: &'z mut [Zone], name: &Name) -> Option<&'z mut Zone> {
    let key = LowerName::new(name);
    zones
        .iter_mut()
        .filter(|z| z.origin.zone_of(&key))
        .max_by_key(|z| z.origin.num_labels())
}

fn address_records(name: &Name, addrs: &[IpAddr], ttl: u32) -> Vec<Record> {
    addrs
        .iter()
        .map(|a| {
            let data = match a {
                IpAddr::V4(v4) => RData::A(A(*v4)),
                IpAddr::V6(v6) => RData::AAAA(AAAA(*v6)),
            };
            Record::from_rdata(name.clone(), ttl, data)
        })
        .collect()
}

fn zone(config: &ZoneConfig, serial: u32) -> Zone {
    let origin = config.origin.clone();
    let s = &config.soa;
    let mname = config
        .name_servers
        .first()
        .map(|(n, _)| n.clone())
        .unwrap_or_else(|| origin.clone());
    let clamp = |v: u32| v.min(i32::MAX as u32) as i32;
    let soa_data = SOA::new(
        mname,
        s.rname.clone(),
        serial,
        clamp(s.refresh),
        clamp(s.retry),
        clamp(s.expire),
        s.minimum,
    );
    let soa = Record::from_rdata(origin.clone(), s.ttl, RData::SOA(soa_data));
    let mut negative_soa = soa.clone();
    negative_soa.ttl = s.ttl.min(s.minimum);
    let mut nodes: HashMap<LowerName, Node> = HashMap::new();
    let apex = nodes.entry(LowerName::new(&origin)).or_default();
    apex.add(soa.clone());
    for (ns, _) in &config.name_servers {
        apex.add(Record::from_rdata(
            origin.clone(),
            s.ttl,
            RData::NS(NS(ns.clone())),
        ));
    }
    for (ns, addrs) in &config.name_servers {
        if origin.zone_of(ns) {
            let node = nodes.entry(LowerName::new(ns)).or_default();
            for r in address_records(ns, addrs, s.ttl) {
                node.add(r);
            }
        }
    }
    for r in &config.records {
        nodes
            .entry(LowerName::new(&r.name))
            .or_default()
            .add(r.clone());
    }
    Zone {
        origin: LowerName::new(&origin),
        soa,
        negative_soa,
        nodes,
    }
}

/// Names between the apex and each owner exist (RFC 4592 "empty non-terminals"): a query for
/// them is NODATA, not NXDOMAIN, and they stop wildcard matching.
fn add_empty_non_terminals(zone: &mut Zone) {
    let names: Vec<LowerName> = zone.nodes.keys().cloned().collect();
    for name in names {
        let mut n = name.base_name();
        while zone.origin.zone_of(&n) && n != zone.origin {
            zone.nodes.entry(n.clone()).or_default();
            n = n.base_name();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tether_proto::config_error::ConfigError;

    const ID: &str = "0f0e0d0c-0b0a-0908-0706-050403020100";

    fn config() -> DnsConfig {
        let yaml = "tunnel-zone: tunnels.example.test\nzones:\n  - name: example.test\n    name-servers:\n      - name: ns1.example.test\n        addresses: [127.0.0.1]\n    records:\n      - \"busy 60 IN TXT hello\"\n      - \"busy 60 IN A 192.0.2.9\"\n";
        let raw = yaml_serde::from_str(yaml).unwrap();
        DnsConfig::from_raw(&raw, &|_: &[&str], m: String| ConfigError::file("t", m)).unwrap()
    }

    fn input(hosts: &[(&str, Option<&str>)]) -> Input {
        let mut input = Input {
            endpoints: vec![(ID.into(), vec!["127.0.0.7".parse().unwrap()])],
            routes: hosts
                .iter()
                .map(|(h, d)| Route {
                    hostname: h.to_string(),
                    tunnel_id: ID.into(),
                    direct: d.map(|d| d.parse().unwrap()),
                })
                .collect(),
        };
        input.normalize();
        input
    }

    fn ask(s: &Snapshot, name: &str, qtype: RecordType, internal: bool) -> Vec<String> {
        match s.answer(&Name::from_ascii(name).unwrap(), qtype, internal) {
            Answer::Records { answers, .. } => answers
                .iter()
                .map(|r| format!("{} {} {}", r.name, r.record_type(), r.data))
                .collect(),
            other => vec![format!("{other:?}")],
        }
    }

    #[test]
    fn route_is_a_cname_chased_to_the_endpoint_address() {
        let s = Snapshot::build(&config(), input(&[("app.example.test", None)]), None, 100);
        assert_eq!(
            ask(&s, "App.Example.Test.", RecordType::A, false),
            vec![
                format!("App.Example.Test. CNAME {ID}.tunnels.example.test."),
                format!("{ID}.tunnels.example.test. A 127.0.0.7"),
            ]
        );
        assert_eq!(
            ask(&s, "tunnels.example.test.", RecordType::A, false),
            vec!["NoData"]
        );
        assert_eq!(
            ask(&s, "nope.example.test.", RecordType::A, false),
            vec!["NxDomain"]
        );
    }

    #[test]
    fn apex_and_occupied_names_are_flattened() {
        let s = Snapshot::build(
            &config(),
            input(&[("example.test", None), ("busy.example.test", None)]),
            None,
            100,
        );
        assert_eq!(
            ask(&s, "example.test.", RecordType::A, false),
            vec!["example.test. A 127.0.0.7"]
        );
        // The static A wins at its name; the TXT stays beside it.
        assert_eq!(
            ask(&s, "busy.example.test.", RecordType::A, false),
            vec!["busy.example.test. A 192.0.2.9"]
        );
        assert_eq!(
            ask(&s, "busy.example.test.", RecordType::TXT, false).len(),
            1
        );
    }

    #[test]
    fn wildcard_synthesizes_the_query_name_but_not_below_existing_names() {
        let s = Snapshot::build(
            &config(),
            input(&[("*.apps.example.test", None)]),
            None,
            100,
        );
        let a = ask(&s, "x.y.apps.example.test.", RecordType::CNAME, false);
        assert_eq!(
            a,
            vec![format!(
                "x.y.apps.example.test. CNAME {ID}.tunnels.example.test."
            )]
        );
        assert_eq!(
            ask(&s, "apps.example.test.", RecordType::A, false),
            vec!["NoData"]
        );
    }

    #[test]
    fn split_horizon_gives_internal_askers_the_direct_address() {
        let s = Snapshot::build(
            &config(),
            input(&[("app.example.test", Some("10.0.0.5"))]),
            None,
            100,
        );
        assert_eq!(
            ask(&s, "app.example.test.", RecordType::A, true),
            vec!["app.example.test. A 10.0.0.5"]
        );
        assert_eq!(ask(&s, "app.example.test.", RecordType::A, false).len(), 2);
        assert!(s.varies_by_asker(&LowerName::new(
            &Name::from_str("app.example.test.").unwrap()
        )));
    }

    #[test]
    fn serial_changes_only_with_content_and_never_goes_back() {
        let c = config();
        let a = Snapshot::build(&c, input(&[]), None, 1000);
        let same = Snapshot::build(&c, input(&[]), Some(&a), 2000);
        assert_eq!(same.serial, 1000);
        let changed = Snapshot::build(&c, input(&[("a.example.test", None)]), Some(&a), 500);
        assert_eq!(changed.serial, 1001);
    }

    #[test]
    fn any_is_answered_with_one_rrset() {
        let s = Snapshot::build(&config(), input(&[]), None, 100);
        assert_eq!(
            ask(&s, "busy.example.test.", RecordType::ANY, false).len(),
            1
        );
    }
}
