//! One hosted zone's precomputed answers: its names (nodes) with their RRsets, the SOA, and the
//! wildcard lookup (RFC 4592); how a zone is started from its config, and the helpers the
//! snapshot builds its records with.

use std::collections::HashMap;
use std::net::IpAddr;

use hickory_proto::rr::rdata::{A, AAAA, NS, SOA};
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordType};

use crate::config::ZoneConfig;
use crate::snapshot::Answer;

/// One RRset: records of one type at one name.
pub(crate) type Set = Vec<Record>;

#[derive(Debug, Default)]
pub(crate) struct Node {
    pub(crate) sets: Vec<Set>,
    /// Split horizon: what internal askers get instead of `sets` (A/AAAA only).
    pub(crate) direct: Vec<Record>,
}

impl Node {
    pub(crate) fn get(&self, rtype: RecordType) -> Option<&Set> {
        self.sets
            .iter()
            .find(|s| s.first().is_some_and(|r| r.record_type() == rtype))
    }

    pub(crate) fn add(&mut self, record: Record) {
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
    pub(crate) soa: Record,
    /// The SOA as carried in negative answers: TTL = min(SOA TTL, MINIMUM) (RFC 2308 §5).
    pub(crate) negative_soa: Record,
    pub(crate) nodes: HashMap<LowerName, Node>,
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
    pub(crate) fn find(&self, name: &LowerName) -> Option<(&Node, bool)> {
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

    pub(crate) fn answer(
        &self,
        qname: &Name,
        lower: &LowerName,
        qtype: RecordType,
        internal: bool,
    ) -> Answer {
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

pub(crate) fn zone_for<'z>(zones: &'z mut [Zone], name: &Name) -> Option<&'z mut Zone> {
    let key = LowerName::new(name);
    zones
        .iter_mut()
        .filter(|z| z.origin.zone_of(&key))
        .max_by_key(|z| z.origin.num_labels())
}

pub(crate) fn address_records(name: &Name, addrs: &[IpAddr], ttl: u32) -> Vec<Record> {
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

pub(crate) fn zone(config: &ZoneConfig, serial: u32) -> Zone {
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
pub(crate) fn add_empty_non_terminals(zone: &mut Zone) {
    let names: Vec<LowerName> = zone.nodes.keys().cloned().collect();
    for name in names {
        let mut n = name.base_name();
        while zone.origin.zone_of(&n) && n != zone.origin {
            zone.nodes.entry(n.clone()).or_default();
            n = n.base_name();
        }
    }
}
