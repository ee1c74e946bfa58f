//! Scenarios for partial topologies (issue 12, items 6 and 7): what a read lacks is unknown,
//! never "gone" and never "no internal CIDRs".

mod support;

use model::{GroupId, InstanceId, ReconcileKey, Topology};
use planner::{Operation, PlanInput, Scope, read_targets};
use support::*;

/// The topology the inventory reads for one `SecurityGroup` key (see the aws crate's scope
/// table): the group, the interfaces whose own groups include it with their instances and
/// groups, the firewall's interfaces, the VPC, its route tables and the interfaces' subnets.
fn narrow_to_group(whole: &Topology, group: &str) -> Topology {
    let group = GroupId::new(group);
    let firewall = InstanceId::new(FIREWALL);
    let mut narrow = whole.clone();
    narrow
        .network_interfaces
        .retain(|n| n.security_groups.contains(&group) || n.attached_instance() == Some(&firewall));
    let instances: Vec<_> = narrow
        .network_interfaces
        .iter()
        .filter_map(|n| n.attached_instance().cloned())
        .collect();
    narrow.instances.retain(|i| instances.contains(&i.id));
    let groups: Vec<_> = narrow
        .network_interfaces
        .iter()
        .flat_map(|n| n.security_groups.clone())
        .chain([group])
        .collect();
    narrow.security_groups.retain(|g| groups.contains(&g.id));
    let subnets: Vec<_> = narrow
        .network_interfaces
        .iter()
        .map(|n| n.subnet_id.clone())
        .collect();
    narrow.subnets.retain(|s| subnets.contains(&s.id));
    narrow
}

/// Instance b's interface moves from web to admin.
fn before_and_after_the_move() -> (Topology, Topology) {
    let with = |b_group: &str| {
        Net::new()
            .server("i-0a", "10.0.1.10", &["sg-0web"])
            .server("i-0b", "10.0.1.20", &[b_group])
            .group("sg-0web", vec![allow(tcp(80, 80), &["0.0.0.0/0"])])
            .group("sg-0admin", vec![allow(tcp(22, 22), &["203.0.113.7/32"])])
            .build()
    };
    (with("sg-0web"), with("sg-0admin"))
}

#[test]
fn a_narrow_group_reconcile_keeps_allowances_on_an_interface_it_did_not_read() {
    let settings = settings();
    let (before, after) = before_and_after_the_move();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &before, &settings, &sync());
    // The move, reconciled by b's interface: web's http rule on b is emptied and reused (it
    // keeps its web-based name) for admin's ssh.
    let move_key = Scope::single(
        ReconcileKey::NetworkInterface("eni-0b".into()),
        event("ModifyNetworkInterfaceAttribute"),
    );
    converge(&mut firewall, &after, &settings, &move_key);
    let desired = allowances(&firewall, &settings);
    assert!(desired.contains(&"203.0.113.7/32 -> 10.0.1.20 ssh/application-default".to_owned()));

    // Then web's rules change: the read covers web's interfaces only, not b's.
    let narrow = narrow_to_group(&after, "sg-0web");
    let web_key = group_key("sg-0web", "ModifySecurityGroupRules");
    let plan = firewall.plan(&narrow, &settings, &web_key).expect("plan");
    assert!(
        plan.operations.is_empty(),
        "b's allowances were not read and must stay: {:#?}",
        plan.operations
    );
    assert!(
        plan.notes.iter().any(|n| n.contains("10.0.1.20")),
        "{:?}",
        plan.notes
    );

    // What the inventory must read next: b's address and the interface its rule names.
    let targets = read_targets(PlanInput {
        topology: &narrow,
        settings: &settings,
        scope: &web_key,
        rules: &firewall.rules,
        services: &firewall.services,
        objects: &firewall.objects,
    });
    assert_eq!(
        targets.addresses,
        ["10.0.1.20".parse::<std::net::IpAddr>().unwrap()]
    );
    assert!(
        targets.network_interfaces.contains(&"eni-0b".into()),
        "{targets:?}"
    );
    assert!(targets.instances.contains(&"i-0b".into()), "{targets:?}");
}

#[test]
fn a_narrow_read_that_includes_the_claimed_interface_still_removes_what_is_revoked() {
    let settings = settings();
    let (_, after) = before_and_after_the_move();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &after, &settings, &sync());
    // admin stops allowing ssh; the read for admin's key holds b's interface, so the
    // removal is decided from what was read.
    let mut revoked = after.clone();
    let admin = revoked
        .security_groups
        .iter_mut()
        .find(|g| g.id == "sg-0admin")
        .expect("admin");
    admin.ingress.clear();
    let narrow = narrow_to_group(&revoked, "sg-0admin");
    let plan = converge(
        &mut firewall,
        &narrow,
        &settings,
        &group_key("sg-0admin", "RevokeSecurityGroupIngress"),
    );
    assert!(
        plan.operations
            .iter()
            .any(|op| matches!(op, Operation::DeleteRule { .. })),
        "{:#?}",
        plan.operations
    );
    assert!(
        !allowances(&firewall, &settings)
            .iter()
            .any(|a| a.contains("ssh")),
    );
}

#[test]
fn an_address_the_inventory_reports_absent_is_removed_under_a_narrow_key() {
    let settings = settings();
    let (before, after) = before_and_after_the_move();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &before, &settings, &sync());
    // b is gone altogether, and the inventory, asked for its address, found no interface.
    let mut gone = after.clone();
    gone.network_interfaces.retain(|n| n.id != "eni-0b");
    gone.instances.retain(|i| i.id != "i-0b");
    let mut narrow = narrow_to_group(&gone, "sg-0web");
    narrow.absent_addresses = vec!["10.0.1.20".parse().unwrap()];
    converge(
        &mut firewall,
        &narrow,
        &settings,
        &group_key("sg-0web", "ModifySecurityGroupRules"),
    );
    assert_eq!(
        allowances(&firewall, &settings),
        ["any -> 10.0.1.10 web-browsing/application-default"]
    );
}

#[test]
fn an_interface_whose_vpc_was_not_read_gets_no_allowance_for_internal_sources() {
    let settings = settings();
    let mut topology = Net::new()
        .server("i-0a", "10.0.1.10", &["sg-0web"])
        .group(
            "sg-0web",
            vec![allow(tcp(8080, 8080), &["10.0.5.0/24", "203.0.113.7/32"])],
        )
        .build();
    topology.vpcs.clear();
    let mut firewall = empty_firewall();
    let plan = firewall.plan(&topology, &settings, &sync()).expect("plan");
    assert!(plan.operations.is_empty(), "{:#?}", plan.operations);
    assert_eq!(plan.skipped.len(), 1, "{:?}", plan.skipped);
    assert_eq!(plan.skipped[0].network_interface, "eni-0a");
    assert!(
        plan.skipped[0].reason.contains("VPC vpc-1"),
        "{:?}",
        plan.skipped
    );
    firewall.apply(&plan).expect("apply");
    assert!(allowances(&firewall, &settings).is_empty());
}

#[test]
fn an_interface_whose_subnet_or_route_table_was_not_read_keeps_its_rules_and_gains_none() {
    let settings = settings();
    let whole = Net::new()
        .server("i-0a", "10.0.1.10", &["sg-0web"])
        .group("sg-0web", vec![allow(tcp(22, 22), &["203.0.113.7/32"])])
        .build();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &whole, &settings, &sync());
    let held = allowances(&firewall, &settings);
    let mut no_subnet = whole.clone();
    no_subnet.subnets.retain(|s| s.id != "subnet-a");
    let mut no_tables = whole.clone();
    no_tables.route_tables.clear();
    for (partial, missing) in [(no_subnet, "subnet subnet-a"), (no_tables, "route table")] {
        let mut widened = partial.clone();
        let group = widened.security_groups.iter_mut().next().expect("group");
        group.ingress.push(allow(tcp(443, 443), &["0.0.0.0/0"]));
        let plan = firewall.plan(&widened, &settings, &sync()).expect("plan");
        assert!(
            plan.operations.is_empty(),
            "{missing}: {:#?}",
            plan.operations
        );
        assert!(
            plan.skipped.iter().any(|s| s.reason.contains(missing)),
            "{missing}: {:?}",
            plan.skipped
        );
    }
    assert_eq!(allowances(&firewall, &settings), held);
}
