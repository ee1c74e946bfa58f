//! Scenarios for objects palosync shares the device with (issue 12, items 1 and 2): a refused
//! delete never blocks rule changes, and palosync never depends on an object it does not own.

mod support;

use planner::testing::{ApplyError, InMemoryFirewall};
use planner::{
    ObjectReference, ObservedService, ObservedServiceGroup, Operation, PortProtocol,
    UnreadableObject,
};
use support::*;

fn http_alt(cidrs: &[&str]) -> model::Topology {
    Net::new()
        .server("i-0a", "10.0.1.10", &["sg-0web"])
        .group("sg-0web", vec![allow(tcp(8080, 8080), cidrs)])
        .build()
}

fn operator_service(name: &str, ports: &str) -> ObservedService {
    ObservedService {
        name: name.into(),
        protocol: PortProtocol::Tcp,
        ports: ports.into(),
        source_ports: None,
        tags: Vec::new(),
    }
}

fn operator_group_holding(firewall: &mut InMemoryFirewall, member: &str) {
    firewall.objects.service_groups.push(ObservedServiceGroup {
        name: "ops-web".into(),
        members: vec![member.into()],
        tags: Vec::new(),
    });
}

fn service_deletes(operations: &[Operation]) -> Vec<&str> {
    operations
        .iter()
        .filter_map(|op| match op {
            Operation::DeleteService { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_revoked_permission_is_removed_although_an_operator_group_holds_its_service_object() {
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(
        &mut firewall,
        &http_alt(&["203.0.113.0/24"]),
        &settings,
        &sync(),
    );
    operator_group_holding(&mut firewall, "tcp_8080");
    let revoked = http_alt(&[]);
    let plan = converge(&mut firewall, &revoked, &settings, &sync());
    assert!(service_deletes(&plan.operations).is_empty());
    assert!(
        service_deletes(&plan.cleanup).is_empty(),
        "{:?}",
        plan.cleanup
    );
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("tcp_8080") && n.contains("service group ops-web")),
        "{:?}",
        plan.notes
    );
    assert!(
        allowances(&firewall, &settings).is_empty(),
        "the revoke landed"
    );
    assert!(firewall.services.iter().any(|s| s.name == "tcp_8080"));

    // Once the operator lets go, a later run cleans up.
    firewall.objects.service_groups.clear();
    let plan = converge(&mut firewall, &revoked, &settings, &sync());
    assert_eq!(service_deletes(&plan.cleanup), ["tcp_8080"]);
    assert!(firewall.services.is_empty());
}

#[test]
fn a_reference_from_another_rulebase_keeps_the_object_and_a_refused_cleanup_undoes_nothing() {
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(
        &mut firewall,
        &http_alt(&["203.0.113.0/24"]),
        &settings,
        &sync(),
    );
    let nat = ObjectReference {
        object: "tcp_8080".into(),
        from: "nat rule dnat-8080".into(),
    };
    // Planned with the reference known: no delete, a note.
    let mut known = firewall.clone();
    known.objects.references.push(nat.clone());
    let plan = known
        .plan(&http_alt(&[]), &settings, &sync())
        .expect("plan");
    assert!(service_deletes(&plan.cleanup).is_empty());
    assert!(plan.notes.iter().any(|n| n.contains("nat rule dnat-8080")));

    // Planned without it (it appeared between read and write): the device refuses the
    // delete, the rule changes stand.
    let plan = firewall
        .plan(&http_alt(&[]), &settings, &sync())
        .expect("plan");
    assert_eq!(service_deletes(&plan.cleanup), ["tcp_8080"]);
    firewall.objects.references.push(nat);
    let refused = firewall.apply(&plan).expect("the rule changes land");
    assert_eq!(
        refused,
        [ApplyError::Referenced {
            object: "tcp_8080".into(),
            from: "nat rule dnat-8080".into()
        }]
    );
    assert!(allowances(&firewall, &settings).is_empty());
    assert!(firewall.services.iter().any(|s| s.name == "tcp_8080"));
}

#[test]
fn an_operators_same_named_object_is_never_used_even_when_its_ports_match() {
    let settings = settings();
    let mut firewall = empty_firewall();
    firewall.services.push(operator_service("tcp_8080", "8080"));
    converge(
        &mut firewall,
        &http_alt(&["203.0.113.0/24"]),
        &settings,
        &sync(),
    );
    let rule = firewall
        .rules
        .iter()
        .find(|r| r.name.starts_with("sg-0web-"))
        .expect("a managed rule");
    assert_eq!(rule.services, ["palosync-tcp_8080"]);
    // The operator widens their object: palosync's rule does not move with it.
    firewall.services[0].ports = "22-8080".into();
    let plan = firewall
        .plan(&http_alt(&["203.0.113.0/24"]), &settings, &sync())
        .expect("plan");
    assert!(plan.is_empty(), "{:#?}", plan.operations);
    let own = firewall
        .services
        .iter()
        .find(|s| s.name == "palosync-tcp_8080")
        .expect("palosync's own object");
    assert_eq!(
        (own.ports.as_str(), own.tags.as_slice()),
        ("8080", &["palosync".to_owned()][..])
    );
    assert_eq!(
        firewall.services[0].ports, "22-8080",
        "the operator's object is untouched"
    );
}

#[test]
fn a_name_taken_by_a_group_an_address_or_an_unreadable_object_is_not_palosyncs() {
    let settings = settings();
    let mut firewall = empty_firewall();
    firewall.objects.unreadable_services.push(UnreadableObject {
        name: "tcp_8080".into(),
        tags: vec!["palosync".into()],
    });
    firewall.objects.addresses.push(planner::ObservedAddress {
        name: "palosync-tcp_8080".into(),
        value: planner::AddressValue::IpNetmask("10.9.9.9".into()),
        tags: Vec::new(),
    });
    converge(
        &mut firewall,
        &http_alt(&["203.0.113.0/24"]),
        &settings,
        &sync(),
    );
    let names: Vec<&str> = firewall.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["palosync-tcp_8080.2"]);
}

#[test]
fn a_managed_rule_an_older_version_pointed_at_a_foreign_object_is_rewritten_to_palosyncs_own() {
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(
        &mut firewall,
        &http_alt(&["203.0.113.0/24"]),
        &settings,
        &sync(),
    );
    // As an older version left it: the rule uses tcp_8080, now an untagged operator object.
    firewall.services[0].tags.clear();
    let plan = converge(
        &mut firewall,
        &http_alt(&["203.0.113.0/24"]),
        &settings,
        &sync(),
    );
    assert!(
        plan.operations
            .iter()
            .any(|op| matches!(op, Operation::ReplaceRule { rule, .. } if rule.services == ["palosync-tcp_8080"])),
        "{:#?}",
        plan.operations
    );
    assert!(
        service_deletes(&plan.cleanup).is_empty(),
        "never deletes a foreign object"
    );
    let operator = firewall.services.iter().find(|s| s.name == "tcp_8080");
    assert!(operator.is_some_and(|s| s.tags.is_empty()));
}

#[test]
fn a_managed_object_with_the_right_name_and_wrong_content_is_repaired() {
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(
        &mut firewall,
        &http_alt(&["203.0.113.0/24"]),
        &settings,
        &sync(),
    );
    firewall.services[0].ports = "8080-8081".into();
    let plan = converge(
        &mut firewall,
        &http_alt(&["203.0.113.0/24"]),
        &settings,
        &sync(),
    );
    assert!(matches!(
        plan.operations.as_slice(),
        [Operation::CreateService { service, .. }, ..] if service.name == "tcp_8080"
    ));
    assert_eq!(firewall.services[0].ports, "8080");
}
