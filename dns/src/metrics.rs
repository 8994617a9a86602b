//! The DNS server's Prometheus metrics, registered into the process's registry.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResponseLabels {
    pub qtype: &'static str,
    /// The response code sent, or `dropped` when rate limiting sent nothing.
    pub rcode: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RateLimitLabels {
    /// `slip` (answered truncated, TC=1) or `drop`.
    pub action: &'static str,
}

#[derive(Default, Debug)]
pub struct DnsMetrics {
    pub queries: Family<ResponseLabels, Counter>,
    pub rate_limited: Family<RateLimitLabels, Counter>,
    pub serial: Gauge,
}

impl DnsMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "tether_dns_queries",
            "DNS queries answered, by query type and response code",
            self.queries.clone(),
        );
        registry.register(
            "tether_dns_rate_limited",
            "DNS responses withheld or truncated by response rate limiting",
            self.rate_limited.clone(),
        );
        registry.register(
            "tether_dns_zone_serial",
            "The SOA serial of the zones served now",
            self.serial.clone(),
        );
    }
}
