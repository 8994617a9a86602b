use std::sync::Arc;

use uuid::Uuid;

use super::View;
use crate::policy::CompiledPolicy;
use crate::state::route_policy::{BasicPolicy, MtlsPolicy, Policy};
use crate::state::route_table::RouteTable;
use crate::state::RouteRecord;

fn route(hostname: &str, tunnel: Uuid) -> RouteRecord {
    RouteRecord::new(hostname.into(), tunnel)
}

#[test]
fn the_view_has_a_route_as_soon_as_the_table_has_it() {
    let table = RouteTable::default();
    let view = View::of(&table);
    assert!(view.route("app.example.test").is_none());
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    table.set([route("app.example.test", a), route("*.example.test", b)]);
    let found = |host: &str| view.route(host).map(|r| r.tunnel_id);
    assert_eq!(found("app.example.test"), Some(a));
    assert_eq!(found("x.y.example.test"), Some(b));
    assert_eq!(found("example.test"), None);
    table.set([]);
    assert_eq!(found("app.example.test"), None);
}

#[test]
fn an_unchanged_route_is_kept_and_a_changed_one_compiled_again() {
    let table = RouteTable::default();
    let view = View::of(&table);
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    table.set([route("a.example.test", a), route("b.example.test", b)]);
    let (first_a, first_b) = (
        view.route("a.example.test").unwrap(),
        view.route("b.example.test").unwrap(),
    );
    let moved = Uuid::new_v4();
    table.set([route("a.example.test", a), route("b.example.test", moved)]);
    assert!(Arc::ptr_eq(
        &first_a,
        &view.route("a.example.test").unwrap()
    ));
    let now_b = view.route("b.example.test").unwrap();
    assert!(!Arc::ptr_eq(&first_b, &now_b));
    assert_eq!(now_b.tunnel_id, moved);
}

#[test]
fn policies_are_compiled_with_the_view_and_a_broken_one_refuses() {
    let table = RouteTable::default();
    let view = View::of(&table);
    let mut basic = route("basic.example.test", Uuid::new_v4());
    basic.rules.policy = Some(Policy::Basic(BasicPolicy {
        realm: "Team".into(),
        htpasswd_file: None,
        users: vec!["ann:$2y$04$abcdefghijklmnopqrstuuJ8b3mG3i4v0c3hG8x2t5v1j6u5aQ1yW".into()],
    }));
    let mut mtls = route("mtls.example.test", Uuid::new_v4());
    mtls.rules.policy = Some(Policy::Mtls(MtlsPolicy {
        ca_file: None,
        ca: "not a PEM".into(),
    }));
    table.set([basic, mtls]);
    let basic = view.route("basic.example.test").unwrap();
    let Some(CompiledPolicy::Basic(rule)) = &basic.access.policy else {
        panic!("a basic policy compiles to a basic rule");
    };
    assert!(rule.entries.contains_key("ann"));
    assert_eq!(rule.cost, 4);
    assert!(rule.challenge.contains("realm=\"Team\""));
    let mtls = view.route("mtls.example.test").unwrap();
    assert!(matches!(
        &mtls.access.policy,
        Some(CompiledPolicy::Broken("mtls", _))
    ));
    assert_eq!(mtls.policy_method(), Some("mtls"));
}
