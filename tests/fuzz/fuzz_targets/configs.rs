//! The files an operator writes: edge.yml, tunnel.yml (cloudflared's config.yml too) and route
//! policy files, parsed and checked. Whatever the text, the answer is a config or an error that
//! names the file; named files are looked for in a folder that does not exist.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tether_connector::config::ConnectorConfig;
use tether_edge::cli::route_policy;
use tether_edge::config::EdgeConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = EdgeConfig::parse(Path::new("/nonexistent/edge.yml"), text);
    let _ = ConnectorConfig::parse(Path::new("/nonexistent/tunnel.yml"), text);
    let _ = route_policy::parse(Path::new("/nonexistent/policy.yml"), text);
});
