//! The `dns:` section of edge.yml: hosted zones (SOA, name servers, static records), the tunnel
//! zone, split horizon, zone transfers and response rate limiting. Parsed by the edge's config
//! loader (which knows the file and its text, for error locations) and validated here.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

pub use hickory_proto::rr::Name;
use hickory_proto::rr::{DNSClass, Record, RecordType};
use hickory_proto::serialize::txt::Parser;
use ipnet::IpNet;
use serde::Deserialize;
use tether_proto::config_error::ConfigError;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawDns {
    tunnel_zone: Option<String>,
    ttl: Option<String>,
    #[serde(default)]
    zones: Vec<RawZone>,
    #[serde(default)]
    internal_networks: Vec<String>,
    #[serde(default)]
    transfer_allow: Vec<String>,
    #[serde(default)]
    trusted_resolvers: Vec<String>,
    max_udp_payload: Option<u16>,
    #[serde(default)]
    rate_limit: RawRateLimit,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawZone {
    name: String,
    #[serde(default)]
    name_servers: Vec<RawNameServer>,
    #[serde(default)]
    soa: RawSoa,
    #[serde(default)]
    records: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNameServer {
    name: String,
    #[serde(default)]
    addresses: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSoa {
    rname: Option<String>,
    ttl: Option<String>,
    refresh: Option<String>,
    retry: Option<String>,
    expire: Option<String>,
    minimum: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRateLimit {
    responses_per_second: Option<u32>,
    slip: Option<u32>,
    ipv4_prefix: Option<u8>,
    ipv6_prefix: Option<u8>,
}

/// A validated `dns:` section.
#[derive(Debug, Clone)]
pub struct DnsConfig {
    /// Endpoint names are `UUID.<tunnel_zone>`; lies in (or is) a hosted zone.
    pub tunnel_zone: Name,
    /// TTL of endpoint A/AAAA records and of route CNAMEs.
    pub ttl: u32,
    pub zones: Vec<ZoneConfig>,
    /// Askers (or the client subnet their resolver reports) in these networks get a route's
    /// `--direct` address instead of the tunnel.
    pub internal_networks: Vec<IpNet>,
    /// Peers allowed AXFR/IXFR. Empty: nobody.
    pub transfer_allow: Vec<IpNet>,
    /// Resolvers whose EDNS Client Subnet (RFC 7871) is believed for split horizon; from anyone
    /// else the query's own source address is the asker. Empty: nobody's.
    pub trusted_resolvers: Vec<IpNet>,
    /// The largest UDP answer, whatever the asker advertises (larger ones are truncated, and
    /// the asker retries over TCP): 1232 by default, as DNS Flag Day 2020 recommends, so answers
    /// are not fragmented.
    pub max_udp_payload: u16,
    pub rate_limit: RateLimitConfig,
}

/// DNS Flag Day 2020's EDNS buffer size.
pub const DEFAULT_MAX_UDP_PAYLOAD: u16 = 1232;

#[derive(Debug, Clone)]
pub struct ZoneConfig {
    pub origin: Name,
    pub name_servers: Vec<(Name, Vec<IpAddr>)>,
    pub soa: SoaConfig,
    /// Static records, already parsed; owner names are absolute.
    pub records: Vec<Record>,
}

#[derive(Debug, Clone)]
pub struct SoaConfig {
    pub rname: Name,
    pub ttl: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    pub minimum: u32,
}

/// Response rate limiting per source prefix (NSD's and BIND's RRL): beyond `responses_per_second`,
/// every `slip`-th response is sent truncated (TC=1, so real clients retry over TCP) and the rest
/// are dropped. TCP is never limited: its source address is not spoofable.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitConfig {
    /// `None`: off.
    pub responses_per_second: Option<NonZeroU32>,
    /// 0: never slip (drop all); 1: slip all.
    pub slip: u32,
    pub ipv4_prefix: u8,
    pub ipv6_prefix: u8,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            responses_per_second: NonZeroU32::new(200),
            slip: 2,
            ipv4_prefix: 24,
            ipv6_prefix: 56,
        }
    }
}

/// Reports an error at a key path below `dns`.
pub type Locate<'a> = &'a dyn Fn(&[&str], String) -> ConfigError;

fn name(value: &str, at: &[&str], locate: Locate) -> Result<Name, ConfigError> {
    let mut n = Name::from_str(value.trim_end_matches('.'))
        .map_err(|e| locate(at, format!("`{value}` is not a domain name: {e}")))?;
    n.set_fqdn(true);
    Ok(n.to_lowercase())
}

fn seconds(
    value: &Option<String>,
    default: u32,
    at: &[&str],
    locate: Locate,
) -> Result<u32, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => humantime::parse_duration(v)
            .or_else(|_| v.parse::<u64>().map(Duration::from_secs))
            .map(|d| d.as_secs().min(u64::from(i32::MAX as u32)) as u32)
            .map_err(|e| {
                locate(
                    at,
                    format!("`{v}` is not a duration ({e}); write e.g. 30s, 5m or 1h"),
                )
            }),
    }
}

fn network(value: &str, at: &[&str], locate: Locate) -> Result<IpNet, ConfigError> {
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
        .map(|n| n.trunc())
        .map_err(|_| locate(at, format!("`{value}` is not an IP address or CIDR")))
}

impl DnsConfig {
    pub fn from_raw(raw: &RawDns, locate: Locate) -> Result<DnsConfig, ConfigError> {
        if raw.zones.is_empty() {
            return Err(locate(
                &["zones"],
                "dns needs at least one hosted zone: list dns.zones (e.g. `- name: example.test`)"
                    .into(),
            ));
        }
        let mut zones = Vec::new();
        for (i, z) in raw.zones.iter().enumerate() {
            let idx = i.to_string();
            zones.push(zone(z, &["zones", &idx], locate)?);
        }
        for (i, z) in zones.iter().enumerate() {
            if zones[..i].iter().any(|o| o.origin == z.origin) {
                return Err(locate(
                    &["zones", &i.to_string(), "name"],
                    format!("zone {} is listed twice", z.origin),
                ));
            }
        }
        let tunnel_zone = match &raw.tunnel_zone {
            Some(t) => name(t, &["tunnel-zone"], locate)?,
            None => zones[0].origin.prepend_label("tunnels").map_err(|e| {
                locate(
                    &["tunnel-zone"],
                    format!("cannot derive a tunnel zone: {e}"),
                )
            })?,
        };
        if !zones.iter().any(|z| z.origin.zone_of(&tunnel_zone)) {
            return Err(locate(
                &["tunnel-zone"],
                format!("tunnel-zone {tunnel_zone} is in no hosted zone: make it a name under one of dns.zones"),
            ));
        }
        let mut internal_networks = Vec::new();
        for (i, n) in raw.internal_networks.iter().enumerate() {
            internal_networks.push(network(n, &["internal-networks", &i.to_string()], locate)?);
        }
        let mut transfer_allow = Vec::new();
        for (i, n) in raw.transfer_allow.iter().enumerate() {
            transfer_allow.push(network(n, &["transfer-allow", &i.to_string()], locate)?);
        }
        let mut trusted_resolvers = Vec::new();
        for (i, n) in raw.trusted_resolvers.iter().enumerate() {
            trusted_resolvers.push(network(n, &["trusted-resolvers", &i.to_string()], locate)?);
        }
        let max_udp_payload = raw.max_udp_payload.unwrap_or(DEFAULT_MAX_UDP_PAYLOAD);
        if !(512..=4096).contains(&max_udp_payload) {
            return Err(locate(
                &["max-udp-payload"],
                format!("max-udp-payload is {max_udp_payload}; write a size from 512 to 4096 bytes (1232 avoids fragmentation)"),
            ));
        }
        let rl = &raw.rate_limit;
        let defaults = RateLimitConfig::default();
        let rate_limit = RateLimitConfig {
            responses_per_second: match rl.responses_per_second {
                None => defaults.responses_per_second,
                Some(n) => NonZeroU32::new(n),
            },
            slip: rl.slip.unwrap_or(defaults.slip),
            ipv4_prefix: rl.ipv4_prefix.unwrap_or(defaults.ipv4_prefix),
            ipv6_prefix: rl.ipv6_prefix.unwrap_or(defaults.ipv6_prefix),
        };
        if rate_limit.ipv4_prefix > 32 || rate_limit.ipv6_prefix > 128 {
            return Err(locate(
                &["rate-limit"],
                "ipv4-prefix is at most 32 and ipv6-prefix at most 128".into(),
            ));
        }
        Ok(DnsConfig {
            tunnel_zone,
            ttl: seconds(&raw.ttl, 30, &["ttl"], locate)?,
            zones,
            internal_networks,
            transfer_allow,
            trusted_resolvers,
            max_udp_payload,
            rate_limit,
        })
    }

    /// The hosted zone `name` lies in (the most specific one), if any.
    pub fn zone_of(&self, name: &Name) -> Option<&ZoneConfig> {
        self.zones
            .iter()
            .filter(|z| z.origin.zone_of(name))
            .max_by_key(|z| z.origin.num_labels())
    }

    /// The endpoint name of a tunnel: `UUID.<tunnel-zone>`.
    pub fn endpoint(&self, tunnel_id: &str) -> Option<Name> {
        self.tunnel_zone.prepend_label(tunnel_id).ok()
    }
}

fn zone(z: &RawZone, at: &[&str], locate: Locate) -> Result<ZoneConfig, ConfigError> {
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

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
