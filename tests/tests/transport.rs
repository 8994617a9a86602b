//! The transport's one dialer through a real HTTP proxy (squid with basic authentication): the
//! WebSocket reaches the edge through the proxy's CONNECT tunnel, and a wrong or missing password
//! fails at once, saying so and that a retry will not help.

use std::sync::Arc;
use std::time::Instant;

use http::HeaderMap;
use tests::client::access_dialer;
use tests::proxy::Squid;
use tests::tunnel::TestEdge;
use tests::READY;
use tether_proto::handshake::ACCESS_SUBPROTOCOL;
use tether_transport::error::{Step, Who};
use tether_transport::proxy::Proxy;

#[tokio::test]
async fn the_dialer_reaches_the_edge_through_an_http_proxy_with_basic_credentials() {
    let edge = TestEdge::start("");
    let squid = Squid::start("tether", "s3cret:/@");
    let (https, ca) = (edge.addr("https"), edge.ca_pem());
    let mut dialer = access_dialer(https, &ca, "localhost");
    // The password's reserved characters are percent-encoded in the URL, as curl wants them.
    let proxy = Proxy::parse(&squid.url("tether", "s3cret%3A%2F%40")).expect("proxy URL");
    dialer.proxy = Some(Arc::new(proxy));
    let dialled = dialer
        .websocket(&[ACCESS_SUBPROTOCOL], |_| Ok(HeaderMap::new()))
        .await
        .expect("an access session through the proxy");
    assert_eq!(dialled.subprotocol, ACCESS_SUBPROTOCOL);
    drop(dialled);
    // squid logs a tunnel once it has closed: the session went through the proxy, not around it.
    squid.wait_logged(&["TCP_TUNNEL/200", &format!("CONNECT {https} tether")]);
}

#[tokio::test]
async fn a_wrong_or_missing_proxy_password_fails_at_once_and_is_not_retried() {
    let edge = TestEdge::start("");
    let squid = Squid::start("tether", "s3cret");
    let (https, ca) = (edge.addr("https"), edge.ca_pem());
    for (url, says) in [
        (
            squid.url("tether", "wrong"),
            "refused the credentials in the proxy URL (407)",
        ),
        (
            format!("http://127.0.0.1:{}", squid.port),
            "wants credentials: write them in the proxy URL",
        ),
    ] {
        let mut dialer = access_dialer(https, &ca, "localhost");
        dialer.proxy = Some(Arc::new(Proxy::parse(&url).expect("proxy URL")));
        let started = Instant::now();
        let e = dialer
            .websocket(&[ACCESS_SUBPROTOCOL], |_| Ok(HeaderMap::new()))
            .await
            .err()
            .expect("the proxy refuses");
        assert!(started.elapsed() < READY);
        assert!(e.to_string().contains(says), "{e}");
        assert_eq!((e.step, e.who), (Step::Proxy, Who::Proxy), "{e:?}");
        assert!(!e.retry_is_safe(), "{e:?}");
    }
    squid.wait_logged(&["TCP_DENIED/407", &format!("CONNECT {https}")]);
}
