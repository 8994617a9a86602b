//! One hosted zone of the `dns:` section: its origin, name servers, SOA and static records,
//! validated with the errors located in edge.yml (a child of `config`, whose raw shapes it reads).

use std::net::IpAddr;

use hickory_proto::rr::{DNSClass, Name, Record, RecordType};
use hickory_proto::serialize::txt::Parser;
use tether_runtime::config_error::ConfigError;

use super::*;

pub(super) fn zone(z: &RawZone, at: &[&str], locate: Locate) -> Result<ZoneConfig, ConfigError> {
    let key = |k: &'static str| [at, &[k]].concat();
    let origin = name(&z.name, &key("name"), locate)?;
    if z.name_servers.is_empty() {
        return Err(locate(
            &key("name"),
            format!("zone {origin} has no name servers: list name-servers (each `name:` with `addresses:` when it lies in the zone)"),
        ));
    }
    let mut name_servers = Vec::new();
    for (i, ns) in z.name_servers.iter().enumerate() {
        let idx = i.to_string();
        let at_ns = [at, &["name-servers", &idx]].concat();
        let ns_name = name(&ns.name, &at_ns, locate)?;
        let mut addresses = Vec::new();
        for a in &ns.addresses {
            addresses.push(
                a.parse::<IpAddr>()
                    .map_err(|_| locate(&at_ns, format!("`{a}` is not an IP address")))?,
            );
        }
        if origin.zone_of(&ns_name) && addresses.is_empty() {
            return Err(locate(
                &at_ns,
                format!("name server {ns_name} lies inside zone {origin}, so it needs glue: give its addresses"),
            ));
        }
        name_servers.push((ns_name, addresses));
    }
    let s = &z.soa;
    let at_soa = |k: &'static str| [at, &["soa", k]].concat();
    let soa = SoaConfig {
        rname: match &s.rname {
            Some(r) => name(r, &at_soa("rname"), locate)?,
            None => origin
                .prepend_label("hostmaster")
                .map_err(|e| locate(at, e.to_string()))?,
        },
        ttl: seconds(&s.ttl, 3600, &at_soa("ttl"), locate)?,
        refresh: seconds(&s.refresh, 3600, &at_soa("refresh"), locate)?,
        retry: seconds(&s.retry, 900, &at_soa("retry"), locate)?,
        expire: seconds(&s.expire, 1_209_600, &at_soa("expire"), locate)?,
        minimum: seconds(&s.minimum, 300, &at_soa("minimum"), locate)?,
    };
    let mut records = Vec::new();
    for (i, line) in z.records.iter().enumerate() {
        let idx = i.to_string();
        let at_rec = [at, &["records", &idx]].concat();
        records.extend(static_record(line, &origin, soa.ttl, &at_rec, locate)?);
    }
    for (i, r) in records.iter().enumerate() {
        let beside = |o: &Record| o.name == r.name && o.record_type() != RecordType::CNAME;
        if r.record_type() == RecordType::CNAME && records.iter().any(beside) {
            let idx = i.to_string();
            return Err(locate(
                &[at, &["records", &idx]].concat(),
                format!(
                    "{} has a CNAME and other records; a CNAME must stand alone (RFC 1034 §3.6.2)",
                    r.name
                ),
            ));
        }
    }
    Ok(ZoneConfig {
        origin,
        name_servers,
        soa,
        records,
    })
}

/// One zone-file line (`www 300 IN A 192.0.2.10`; TTL and class optional; names relative to the
/// zone unless they end in a dot), parsed by hickory's zone-file parser.
fn static_record(
    line: &str,
    origin: &Name,
    default_ttl: u32,
    at: &[&str],
    locate: Locate,
) -> Result<Vec<Record>, ConfigError> {
    let text = format!("$TTL {default_ttl}\n{line}\n");
    let (_, sets) = Parser::new(text, None, Some(origin.clone()))
        .parse()
        .map_err(|e| {
            locate(
                at,
                format!("`{line}` is not a zone-file record ({e}); write e.g. `www 300 IN A 192.0.2.10`"),
            )
        })?;
    let mut records = Vec::new();
    for set in sets.into_values() {
        for r in set.records_without_rrsigs() {
            let mut r = r.clone();
            r.name = r.name.to_lowercase();
            if r.dns_class != DNSClass::IN {
                return Err(locate(at, "only class IN is served".into()));
            }
            if !origin.zone_of(&r.name) {
                return Err(locate(at, format!("{} is outside zone {origin}", r.name)));
            }
            match r.record_type() {
                RecordType::SOA => {
                    return Err(locate(
                        at,
                        "the SOA comes from the zone's `soa:` settings, not from records".into(),
                    ))
                }
                RecordType::NS if r.name != *origin => {
                    return Err(locate(
                        at,
                        "delegating a subdomain (NS below the apex) is not supported".into(),
                    ))
                }
                RecordType::CNAME if r.name == *origin => {
                    return Err(locate(
                        at,
                        "a CNAME cannot sit at the zone apex (RFC 1034 §3.6.2)".into(),
                    ))
                }
                _ => {}
            }
            records.push(r);
        }
    }
    Ok(records)
}
