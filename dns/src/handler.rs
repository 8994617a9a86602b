//! [`TetherZone`]: hickory's `ZoneHandler` for one hosted zone, answering from the current
//! [`Snapshot`]. hickory's `InMemoryZoneHandler` cannot do this: its answers cannot depend on
//! live sessions or on the asker, and it answers ANY with everything.

use std::net::IpAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use hickory_proto::op::Edns;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
use hickory_proto::rr::{LowerName, RecordType, TSigResponseContext};
use hickory_server::server::{Request, RequestInfo};
use hickory_server::zone_handler::{
    AuthLookup, AxfrPolicy, AxfrRecords, LookupControlFlow, LookupError, LookupOptions,
    LookupRecords, ZoneHandler, ZoneTransfer, ZoneType,
};
use ipnet::IpNet;

use crate::snapshot::{Answer, Snapshot};

pub struct TetherZone {
    pub origin: LowerName,
    pub snapshot: Arc<ArcSwap<Snapshot>>,
    pub internal_networks: Arc<[IpNet]>,
    pub trusted_resolvers: Arc<[IpNet]>,
}

/// Who is asking, for split horizon: the client subnet a trusted resolver reports (RFC 7871),
/// else the address the query came from. A source prefix of 0 means the resolver keeps the
/// client's address to itself: the resolver is the asker then. A subnet from a resolver not in
/// `trusted` is ignored: anyone could claim to ask from an internal network.
pub fn asker(src: IpAddr, edns: Option<&Edns>, trusted: &[IpNet]) -> IpNet {
    let src = match src {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(src),
        v4 => v4,
    };
    let believed = trusted.iter().any(|n| n.contains(&src));
    match edns.and_then(|e| e.option(EdnsCode::Subnet)) {
        Some(EdnsOption::Subnet(subnet)) if believed && subnet.source_prefix() > 0 => {
            IpNet::new(subnet.addr(), subnet.source_prefix())
                .map(|n| n.trunc())
                .unwrap_or_else(|_| IpNet::from(src))
        }
        _ => IpNet::from(src),
    }
}

/// Internal when an internal network holds the whole asking subnet.
pub fn is_internal(networks: &[IpNet], asker: IpNet) -> bool {
    networks.iter().any(|n| n.contains(&asker))
}

type Flow = LookupControlFlow<AuthLookup>;

fn records(answers: Vec<hickory_proto::rr::Record>) -> LookupRecords {
    LookupRecords::Section(answers)
}

#[async_trait::async_trait]
impl ZoneHandler for TetherZone {
    fn zone_type(&self) -> ZoneType {
        ZoneType::Primary
    }

    /// Transfers are allowed here; the per-peer ACL runs before the catalog, in the frontend.
    fn axfr_policy(&self) -> AxfrPolicy {
        AxfrPolicy::AllowAll
    }

    fn origin(&self) -> &LowerName {
        &self.origin
    }

    /// Called by the catalog without a request for the apex SOA of negative answers and the NS
    /// set that accompanies SOA answers.
    async fn lookup(
        &self,
        name: &LowerName,
        rtype: RecordType,
        _request_info: Option<&RequestInfo<'_>>,
        _lookup_options: LookupOptions,
    ) -> Flow {
        let snapshot = self.snapshot.load();
        let Some(zone) = snapshot.zone(name) else {
            return LookupControlFlow::Skip;
        };
        if rtype == RecordType::SOA && *name == zone.origin {
            return LookupControlFlow::Continue(Ok(AuthLookup::answers(
                records(vec![zone.negative_soa().clone()]),
                None,
            )));
        }
        match snapshot.answer(&name.into(), rtype, false) {
            Answer::Records { answers, .. } => {
                LookupControlFlow::Continue(Ok(AuthLookup::answers(records(answers), None)))
            }
            Answer::NoData => LookupControlFlow::Continue(Err(LookupError::NameExists)),
            Answer::NxDomain => {
                LookupControlFlow::Continue(Err(LookupError::ResponseCode(ResponseCode::NXDomain)))
            }
        }
    }

    async fn search(
        &self,
        request: &Request,
        _lookup_options: LookupOptions,
    ) -> (Flow, Option<TSigResponseContext>) {
        let Ok(info) = request.request_info() else {
            return (
                LookupControlFlow::Break(Err(LookupError::ResponseCode(ResponseCode::FormErr))),
                None,
            );
        };
        let qname = info.query.original().name();
        let qtype = info.query.query_type();
        let snapshot = self.snapshot.load();
        if qtype == RecordType::IXFR && *info.query.name() != self.origin {
            return (
                LookupControlFlow::Break(Err(LookupError::ResponseCode(ResponseCode::NotAuth))),
                None,
            );
        }
        if qtype == RecordType::IXFR {
            // RFC 1995 §4: a full zone in AXFR form is a valid answer to IXFR.
            let Some((soa, sets)) = snapshot.transfer(&self.origin) else {
                return (LookupControlFlow::Skip, None);
            };
            let mut all = vec![soa.clone()];
            all.extend(
                sets.iter()
                    .flat_map(|s| s.records_without_rrsigs().cloned()),
            );
            all.push(soa);
            return (
                LookupControlFlow::Continue(Ok(AuthLookup::answers(records(all), None))),
                None,
            );
        }
        let internal = is_internal(
            &self.internal_networks,
            asker(
                request.src().ip(),
                request.edns.as_ref(),
                &self.trusted_resolvers,
            ),
        );
        let flow = match snapshot.answer(qname, qtype, internal) {
            Answer::Records {
                answers,
                additionals,
            } => LookupControlFlow::Continue(Ok(AuthLookup::answers(
                records(answers),
                (!additionals.is_empty()).then(|| records(additionals)),
            ))),
            Answer::NoData => LookupControlFlow::Continue(Err(LookupError::NameExists)),
            Answer::NxDomain => {
                LookupControlFlow::Continue(Err(LookupError::ResponseCode(ResponseCode::NXDomain)))
            }
        };
        (flow, None)
    }

    async fn nsec_records(&self, _name: &LowerName, _options: LookupOptions) -> Flow {
        LookupControlFlow::Continue(Ok(AuthLookup::default()))
    }

    async fn zone_transfer(
        &self,
        request: &Request,
        lookup_options: LookupOptions,
        _now: u64,
    ) -> Option<(
        Result<ZoneTransfer, LookupError>,
        Option<TSigResponseContext>,
    )> {
        // Only the zone itself transfers, not a name inside it (the catalog hands us those too).
        let asked = request.request_info().ok().map(|i| i.query.name().clone());
        if asked.as_ref() != Some(&self.origin) {
            return Some((Err(LookupError::ResponseCode(ResponseCode::NotAuth)), None));
        }
        let snapshot = self.snapshot.load();
        let (soa, sets) = snapshot.transfer(&self.origin)?;
        Some((
            Ok(ZoneTransfer {
                start_soa: records(vec![soa.clone()]),
                records: AxfrRecords::new(lookup_options.dnssec_ok, sets),
                end_soa: records(vec![soa]),
            }),
            None,
        ))
    }
}
