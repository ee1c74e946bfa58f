//! Switching between address mode and group mode: one full sync does it, in one plan, and
//! leaves no managed object of the other mode; narrower keys leave the other mode's rules and
//! objects exactly as they are.

mod support;

use model::{InstanceState, ReconcileKey, Settings, Topology};
use planner::ownership::owned_name;
use planner::testing::InMemoryFirewall;
use planner::{Operation, Scope};
use support::*;

const WEB: &str = "sg-0web";

fn topology() -> Topology {
    Net::new()
        .server("i-0a1", "10.0.1.10", &[WEB])
        .instance("i-0b2", InstanceState::Running)
        .eni(
            "eni-0b2",
            "i-0b2",
            "subnet-a",
            &["10.0.1.20"],
            &["2600:1f00::20"],
            &[WEB, "sg-0db"],
        )
        .group(
            WEB,
            vec![
                allow(tcp(22, 22), &["203.0.113.7/32"]),
                allow(tcp(8080, 8080), &["198.51.100.0/24", "2001:db8::/32"]),
                allow(tcp(443, 443), &["0.0.0.0/0", "::/0"]),
            ],
        )
        .group("sg-0db", vec![allow(tcp(3306, 3306), &["198.51.100.7/32"])])
        .build()
}

/// Owned rules whose destinations are all addresses (address mode's shape).
fn address_rules(firewall: &InMemoryFirewall, settings: &Settings) -> usize {
    firewall
        .rules
        .iter()
        .filter(|r| owned_name(r, &settings.managed_tag).is_some())
        .filter(|r| {
            r.destinations
                .iter()
                .all(|d| d.parse::<std::net::IpAddr>().is_ok())
        })
        .count()
}

fn group_rules(firewall: &InMemoryFirewall, settings: &Settings) -> usize {
    firewall
        .rules
        .iter()
        .filter(|r| owned_name(r, &settings.managed_tag).is_some())
        .filter(|r| r.destinations.iter().any(|d| d.starts_with("palosync.sg-")))
        .count()
}

#[test]
fn address_to_group_to_address_keeps_every_desired_flow_and_leaves_nothing_of_the_other_mode() {
    let topology = topology();
    let addresses = settings();
    let groups = group_settings();
    let mut firewall = empty_firewall();
    converge_all(&mut firewall, &topology, &addresses, &sync());
    assert_exact(&firewall, &topology, &addresses);
    assert!(address_rules(&firewall, &addresses) > 0);

    // To group mode: one plan creates the group objects and deletes the address rules.
    let plan = converge_all(&mut firewall, &topology, &groups, &sync());
    assert!(
        plan.operations
            .iter()
            .any(|op| matches!(op, Operation::CreateAddressGroup { .. }))
    );
    assert!(
        plan.operations
            .iter()
            .any(|op| matches!(op, Operation::DeleteRule { .. }))
    );
    assert!(!plan.registrations.register.is_empty());
    assert_exact(&firewall, &topology, &groups);
    assert_eq!(address_rules(&firewall, &groups), 0);
    assert_eq!(group_rules(&firewall, &groups), 4);
    assert_eq!(firewall.objects.address_groups.len(), 2);
    assert!(firewall.managed_rules_placed(&groups));

    // Back to address mode: group rules deleted, address groups cleaned up, tags unregistered.
    let plan = converge_all(&mut firewall, &topology, &addresses, &sync());
    assert_eq!(
        plan.cleanup
            .iter()
            .filter(|op| op.address_group_name().is_some())
            .count(),
        2
    );
    assert_eq!(plan.registrations.unregister.len(), 3);
    assert_exact(&firewall, &topology, &addresses);
    assert_eq!(group_rules(&firewall, &addresses), 0);
    assert!(firewall.objects.address_groups.is_empty());
    assert!(firewall.objects.registrations.entries.is_empty());
    assert!(
        firewall
            .services
            .iter()
            .all(|s| firewall.rules.iter().any(|r| r.services.contains(&s.name)))
    );
}

#[test]
fn address_mode_never_touches_a_group_mode_rule_under_a_narrow_key() {
    let topology = topology();
    let addresses = settings();
    let mut firewall = empty_firewall();
    converge_all(&mut firewall, &topology, &group_settings(), &sync());
    let before = firewall.clone();
    let keys = [
        ReconcileKey::Instance("i-0a1".into()),
        ReconcileKey::NetworkInterface("eni-0b2".into()),
        ReconcileKey::SecurityGroup(WEB.into()),
        ReconcileKey::PrefixList("pl-1".into()),
        ReconcileKey::RouteTable("rtb-fw".into()),
        ReconcileKey::RouteTableAssociation("rtbassoc-subnet-a".into()),
        ReconcileKey::Vpc("vpc-1".into()),
    ];
    for key in keys {
        let scope = Scope::single(key.clone(), event("Event"));
        let plan = firewall.plan(&topology, &addresses, &scope).expect("plan");
        let group_rule_names: Vec<&str> = before
            .rules
            .iter()
            .filter(|r| r.destinations.iter().any(|d| d.starts_with("palosync.sg-")))
            .map(|r| r.name.as_str())
            .collect();
        for op in plan.operations.iter().chain(&plan.cleanup) {
            let touched = op
                .rule_name()
                .is_some_and(|n| group_rule_names.contains(&n));
            assert!(!touched, "{key:?} touches a group-mode rule: {op:?}");
            assert!(op.address_group_name().is_none(), "{key:?}: {op:?}");
        }
        assert!(
            plan.registrations.is_empty(),
            "{key:?}: {:#?}",
            plan.registrations
        );
    }
}

#[test]
fn group_mode_never_touches_an_address_mode_rule_under_a_narrow_key() {
    let topology = topology();
    let groups = group_settings();
    let mut firewall = empty_firewall();
    converge_all(&mut firewall, &topology, &settings(), &sync());
    let address_rule_names: Vec<String> = firewall
        .rules
        .iter()
        .filter(|r| owned_name(r, "palosync").is_some())
        .map(|r| r.name.clone())
        .collect();
    let keys = [
        ReconcileKey::Instance("i-0a1".into()),
        ReconcileKey::NetworkInterface("eni-0b2".into()),
        ReconcileKey::SecurityGroup(WEB.into()),
        ReconcileKey::RouteTable("rtb-fw".into()),
        ReconcileKey::Vpc("vpc-1".into()),
    ];
    for key in keys {
        let scope = Scope::single(key.clone(), event("Event"));
        let plan = firewall.plan(&topology, &groups, &scope).expect("plan");
        for op in plan.operations.iter().chain(&plan.cleanup) {
            let touched = op
                .rule_name()
                .is_some_and(|n| address_rule_names.iter().any(|a| a == n));
            assert!(!touched, "{key:?} touches an address-mode rule: {op:?}");
        }
    }
}

#[test]
fn leaving_group_mode_unregisters_only_what_a_whole_read_shows() {
    let topology = topology();
    let mut firewall = empty_firewall();
    converge_all(&mut firewall, &topology, &group_settings(), &sync());
    let mut narrowed = firewall.clone();
    narrowed.objects.registrations = firewall.registrations_read(planner::RegistrationRead::Some {
        addresses: vec!["10.0.1.10".parse().unwrap()],
        tags: vec![],
    });
    let plan = narrowed
        .plan(&topology, &settings(), &sync())
        .expect("plan");
    assert!(plan.registrations.is_empty(), "{:#?}", plan.registrations);
    assert!(plan.notes.iter().any(|n| n.contains("not read whole")));
    // The address groups still go once no rule refers to them; the tags stay until a sync
    // reads them all, and a tag without an address group allows nothing.
    assert_eq!(
        plan.cleanup
            .iter()
            .filter(|op| op.address_group_name().is_some())
            .count(),
        2
    );
}
