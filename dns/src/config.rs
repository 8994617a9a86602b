//! The `dns:` section of edge.yml: hosted zones (SOA, name servers, static records), the tunnel
//! zone, split horizon, zone transfers and response rate limiting. Parsed by the edge's config
//! loader (which knows the file and its text, for error locations) and validated here.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

pub use hickory_proto::rr::Name;
use hickory_proto::rr::Record;
use ipnet::IpNet;
use serde::Deserialize;
use tether_runtime::config_error::ConfigError;

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

/// Every entry of the list at `key` as a network.
fn networks(list: &[String], key: &str, locate: Locate) -> Result<Vec<IpNet>, ConfigError> {
    let at = |i: usize| [key.to_string(), i.to_string()];
    list.iter()
        .enumerate()
        .map(|(i, n)| network(n, &at(i).each_ref().map(String::as_str), locate))
        .collect()
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
        let internal_networks = networks(&raw.internal_networks, "internal-networks", locate)?;
        let transfer_allow = networks(&raw.transfer_allow, "transfer-allow", locate)?;
        let trusted_resolvers = networks(&raw.trusted_resolvers, "trusted-resolvers", locate)?;
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

    /// Whether `host` (a hostname as text, no trailing dot) lies in a hosted zone.
    pub fn hosts(&self, host: &str) -> bool {
        Name::from_ascii(format!("{host}.")).is_ok_and(|n| self.zone_of(&n).is_some())
    }

    /// The endpoint name of a tunnel: `UUID.<tunnel-zone>`.
    pub fn endpoint(&self, tunnel_id: &str) -> Option<Name> {
        self.tunnel_zone.prepend_label(tunnel_id).ok()
    }
}

#[path = "config_zones.rs"]
mod zones;
use zones::zone;

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
