//! The DNS server's request handling: any message, over UDP and over TCP, against zones with
//! routes, a wildcard, split horizon and an ACME challenge, answered by the same handler the
//! server runs (checks, catalog, zone, EDNS and ECS echo), and encoded as it is sent (512 bytes
//! or the EDNS size over UDP). An answer sent must parse as a whole message.
#![no_main]

use std::net::SocketAddr;
use std::sync::LazyLock;

use hickory_proto::op::Message;
use hickory_proto::rr::Record;
use hickory_proto::serialize::binary::BinEncoder;
use hickory_server::net::runtime::TokioTime;
use hickory_server::net::xfer::Protocol;
use hickory_server::net::NetError;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponse;
use libfuzzer_sys::fuzz_target;
use tether_dns::config::DnsConfig;
use tether_dns::frontend::Frontend;
use tether_dns::server::{frontend, Zones};
use tether_dns::snapshot::{Input, Route};
use tether_runtime::config_error::ConfigError;

const TUNNEL: &str = "0f0e0d0c-0b0a-0908-0706-050403020100";

static FRONTEND: LazyLock<Frontend> = LazyLock::new(|| {
    let yaml = "tunnel-zone: tunnels.example.test\ninternal-networks: [10.0.0.0/8]\ntrusted-resolvers: [127.0.0.0/8]\nzones:\n  - name: example.test\n    name-servers:\n      - name: ns1.example.test\n        addresses: [127.0.0.1, \"::1\"]\n    records:\n      - \"txt 60 IN TXT hello\"\n      - \"mx 60 IN MX 10 mail.example.test.\"\n";
    let raw = yaml_serde::from_str(yaml).unwrap();
    let config =
        DnsConfig::from_raw(&raw, &|_: &[&str], m: String| ConfigError::file("fuzz", m)).unwrap();
    let zones = Zones::new(config, Default::default());
    let route = |h: &str, direct: Option<&str>| Route {
        hostname: h.into(),
        tunnel_id: TUNNEL.into(),
        direct: direct.map(|d| d.parse().unwrap()),
    };
    zones.publish(
        Input {
            endpoints: vec![(
                TUNNEL.into(),
                vec!["192.0.2.7".parse().unwrap(), "2001:db8::7".parse().unwrap()],
            )],
            routes: vec![
                route("app.example.test", Some("10.1.2.3")),
                route("*.wild.example.test", None),
                route("example.test", None),
            ],
            acme_challenges: vec![("app.example.test".into(), "token".into())],
        },
        1,
    );
    frontend(&zones)
});

/// Encodes the answer as the server would send it, and checks it parses.
#[derive(Clone)]
struct Wire {
    udp: bool,
}

#[async_trait::async_trait]
impl ResponseHandler for Wire {
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
        let limit = match (self.udp, response.edns()) {
            (false, _) => u16::MAX,
            (true, Some(edns)) => edns.max_payload().max(512),
            (true, None) => 512,
        };
        let mut bytes = Vec::with_capacity(512);
        let mut encoder = BinEncoder::new(&mut bytes);
        encoder.set_max_size(limit);
        let info = response.destructive_emit(&mut encoder)?;
        assert!(bytes.len() <= usize::from(limit));
        Message::from_vec(&bytes).expect("an answer the server sends parses");
        Ok(info)
    }
}

fuzz_target!(|data: &[u8]| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (udp, src) in [(true, "192.0.2.1:5353"), (false, "10.9.9.9:5353")] {
        let src: SocketAddr = src.parse().unwrap();
        let protocol = if udp { Protocol::Udp } else { Protocol::Tcp };
        let Ok(request) = Request::from_bytes(data.to_vec(), src, protocol) else {
            return;
        };
        runtime.block_on(FRONTEND.handle_request::<_, TokioTime>(&request, Wire { udp }));
    }
});
