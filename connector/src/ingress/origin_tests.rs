//! How an origin's TLS trust is built.

use super::*;

#[test]
fn ca_pool_adds_to_the_system_roots() {
    let system = tether_proto::trust::root_store(None)
        .expect("this machine has system roots (ca-certificates)")
        .len();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let pem = params.self_signed(&key).unwrap().pem();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, pem).unwrap();
    let settings = OriginRequest {
        ca_pool: Some(path),
        ..OriginRequest::default()
    };
    assert_eq!(origin_roots(&settings).unwrap().len(), system + 1);
    assert_eq!(
        origin_roots(&OriginRequest::default()).unwrap().len(),
        system
    );
}
