//! PROXY protocol v1 and v2 headers at the start of a public connection, as the edge reads them
//! when its listener is behind a load balancer: a header, not one, incomplete, or malformed; a
//! header's length never runs past what was read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether_edge::public::proxy_protocol::{parse, Parsed};

fuzz_target!(|data: &[u8]| {
    for full in [false, true] {
        if let Parsed::Header { len, .. } = parse(data, full) {
            assert!(len <= data.len());
        }
    }
});
