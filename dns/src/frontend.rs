//! [`Frontend`]: the `RequestHandler` in front of hickory's `Catalog`. hickory has no per-peer
//! transfer ACL and no response rate limiting, so they live here, with the metrics and the echo
//! of the EDNS Client Subnet option (RFC 7871 §7.2.1).

use std::net::IpAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use hickory_proto::op::{Edns, Header, HeaderCounts, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::rdata::opt::{ClientSubnet, EdnsCode, EdnsOption};
use hickory_proto::rr::{DNSClass, Record, RecordType};
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::net::NetError;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::{Catalog, MessageResponse, MessageResponseBuilder, Queries};
use ipnet::IpNet;

use crate::metrics::{DnsMetrics, RateLimitLabels, ResponseLabels};
use crate::question;
use crate::rate_limit::{ResponseRateLimit, Verdict};
use crate::snapshot::Snapshot;

pub struct Frontend {
    pub catalog: Catalog,
    pub snapshot: Arc<ArcSwap<Snapshot>>,
    pub transfer_allow: Vec<IpNet>,
    /// Whose client subnet split horizon believes (the scope echoed to others is 0).
    pub trusted_resolvers: Arc<[IpNet]>,
    /// The cap on every UDP answer's size, whatever the asker advertised.
    pub max_udp_payload: u16,
    pub rate_limit: Option<ResponseRateLimit>,
    pub metrics: Arc<DnsMetrics>,
}

fn qtype_label(qtype: Option<RecordType>) -> &'static str {
    match qtype {
        Some(t) => t.into(),
        None => "none",
    }
}

/// The mnemonic (RFC 1035, RFC 6891), as dig prints it.
fn rcode_label(rcode: ResponseCode) -> &'static str {
    match rcode {
        ResponseCode::NoError => "NOERROR",
        ResponseCode::FormErr => "FORMERR",
        ResponseCode::ServFail => "SERVFAIL",
        ResponseCode::NXDomain => "NXDOMAIN",
        ResponseCode::NotImp => "NOTIMP",
        ResponseCode::Refused => "REFUSED",
        ResponseCode::NotAuth => "NOTAUTH",
        ResponseCode::BADVERS => "BADVERS",
        _ => "OTHER",
    }
}

fn allowed(networks: &[IpNet], ip: IpAddr) -> bool {
    networks.iter().any(|n| n.contains(&ip))
}

/// The OPT of a response to an EDNS query (RFC 6891 §7: such a response carries one), its size
/// capped at `cap`, with the query's DO bit.
fn response_edns(request: &Request, cap: u16) -> Option<Edns> {
    request.edns.as_ref().map(|e| {
        let mut edns = Edns::new();
        edns.set_max_payload(e.max_payload().clamp(512, cap));
        edns.set_dnssec_ok(e.flags().dnssec_ok);
        edns
    })
}

/// Whether the query set the DO bit, which its response must copy (RFC 3225 §3); hickory's
/// catalog leaves it clear.
fn dnssec_ok(request: &Request) -> bool {
    request.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok)
}

/// Answers with no records: `rcode`, and TC when `truncated` (a rate-limit slip).
async fn reply<R: ResponseHandler>(
    request: &Request,
    queries: &Queries,
    mut handle: R,
    rcode: ResponseCode,
    truncated: bool,
    cap: u16,
) -> ResponseInfo {
    let edns = response_edns(request, cap);
    let mut metadata = Metadata::response_from_request(&request.metadata);
    metadata.response_code = rcode;
    metadata.truncation = truncated;
    let response = MessageResponseBuilder::new(queries, edns.as_ref()).build_no_records(metadata);
    match handle.send_response(response).await {
        Ok(info) => info,
        Err(_) => dropped(request),
    }
}

fn dropped(request: &Request) -> ResponseInfo {
    ResponseInfo::from(Header {
        metadata: Metadata::response_from_request(&request.metadata),
        counts: HeaderCounts::default(),
    })
}

#[async_trait::async_trait]
impl RequestHandler for Frontend {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        response_handle: R,
    ) -> ResponseInfo {
        let query = request.queries.queries().first();
        let qtype = query.map(|q| q.query_type());
        let count = |rcode: &'static str| {
            self.metrics
                .queries
                .get_or_create(&ResponseLabels {
                    qtype: qtype_label(qtype),
                    rcode,
                })
                .inc();
        };
        // An IPv4 client of a dual-stack socket arrives as ::ffff:a.b.c.d.
        let src = request.src().ip().to_canonical();
        let cap = self.max_udp_payload;
        // A question that cannot be echoed as sent (`question.rs`): FORMERR, without it.
        if !question::echoes_safely(request.queries.as_bytes()) {
            let none = question::none();
            let info = reply(
                request,
                &none,
                response_handle,
                ResponseCode::FormErr,
                false,
                cap,
            )
            .await;
            count(rcode_label(info.response_code));
            return info;
        }
        // EDNS version errors (BADVERS) come first, from the catalog.
        let plain = request.edns.as_ref().is_none_or(|e| e.version() == 0);
        // Only QUERY is served (UPDATE, NOTIFY, STATUS… are not implemented, RFC 2136 §3).
        let refusal = if plain && request.metadata.op_code != OpCode::Query {
            Some(ResponseCode::NotImp)
        // Only class IN (CHAOS `version.bind` and the like are refused, as by NSD by default).
        } else if plain && query.is_some_and(|q| q.query_class() != DNSClass::IN) {
            Some(ResponseCode::Refused)
        } else if plain
            && matches!(qtype, Some(RecordType::AXFR | RecordType::IXFR))
            && !allowed(&self.transfer_allow, src)
        {
            tracing::info!(peer = %src, "zone transfer refused (not in dns.transfer-allow)");
            Some(ResponseCode::Refused)
        } else {
            None
        };
        if let Some(rcode) = refusal {
            let info = reply(
                request,
                &request.queries,
                response_handle,
                rcode,
                false,
                cap,
            )
            .await;
            count(rcode_label(info.response_code));
            return info;
        }
        if request.protocol() == Protocol::Udp {
            if let Some(rrl) = &self.rate_limit {
                match rrl.check(src) {
                    Verdict::Send => {}
                    Verdict::Slip => {
                        self.metrics
                            .rate_limited
                            .get_or_create(&RateLimitLabels { action: "slip" })
                            .inc();
                        let info = reply(
                            request,
                            &request.queries,
                            response_handle,
                            ResponseCode::NoError,
                            true,
                            cap,
                        )
                        .await;
                        count(rcode_label(info.response_code));
                        return info;
                    }
                    Verdict::Drop => {
                        self.metrics
                            .rate_limited
                            .get_or_create(&RateLimitLabels { action: "drop" })
                            .inc();
                        count("dropped");
                        return dropped(request);
                    }
                }
            }
        }
        let subnet = match request
            .edns
            .as_ref()
            .and_then(|e| e.option(EdnsCode::Subnet))
        {
            Some(EdnsOption::Subnet(s)) => {
                // Scope: the whole source prefix when the answer depends on the asker, else 0
                // (the answer is good for everyone).
                let believed = allowed(&self.trusted_resolvers, src);
                let varies = believed
                    && query.is_some_and(|q| self.snapshot.load().varies_by_asker(q.name()));
                let scope = if varies { s.source_prefix() } else { 0 };
                Some(ClientSubnet::new(s.addr(), s.source_prefix(), scope))
            }
            _ => None,
        };
        let info = self
            .catalog
            .handle_request::<_, T>(
                request,
                EchoSubnet {
                    inner: response_handle,
                    subnet,
                    cap,
                    dnssec_ok: dnssec_ok(request),
                },
            )
            .await;
        count(rcode_label(info.response_code));
        info
    }
}

/// Adds the client-subnet option, with its scope, to the response's OPT record, copies the
/// query's DO bit there, and caps the size the response may take over UDP (hickory's catalog
/// takes the asker's word, up to 64 KiB).
#[derive(Clone)]
struct EchoSubnet<R> {
    inner: R,
    subnet: Option<ClientSubnet>,
    cap: u16,
    dnssec_ok: bool,
}

#[async_trait::async_trait]
impl<R: ResponseHandler> ResponseHandler for EchoSubnet<R> {
    async fn send_response<'a>(
        &mut self,
        response: MessageResponse<
            '_,
            'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
        >,
    ) -> Result<ResponseInfo, NetError> {
        let mut edns: Edns = match response.edns() {
            Some(e) => e.clone(),
            None => return self.inner.send_response(response).await,
        };
        edns.set_max_payload(edns.max_payload().clamp(512, self.cap));
        edns.set_dnssec_ok(self.dnssec_ok);
        if let Some(subnet) = self.subnet {
            edns.options_mut().insert(EdnsOption::Subnet(subnet));
        }
        let mut response = response;
        response.set_edns(&edns);
        self.inner.send_response(response).await
    }
}
