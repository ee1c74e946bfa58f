//! Scenarios for shadowing decided from the rulebase alone (issue 12 item 10): an operator
//! rule above the managed block that allows all of an allowance, through CIDRs, ranges,
//! address objects and groups, service groups and negation, means no managed twin and no
//! question to the device; anything only partly covered, or met first by another action,
//! keeps its managed rule.

mod support;

use planner::testing::InMemoryFirewall;
use planner::{
    AddressValue, MatchConditions, ObservedAddress, ObservedAddressGroup, ObservedRule,
    ObservedService, ObservedServiceGroup, PlanInput, PortProtocol, RuleAction, plan_candidates,
};
use support::*;

fn server(permissions: Vec<model::IngressPermission>) -> model::Topology {
    Net::new()
        .server("i-0a1", "10.0.1.10", &["sg-0web"])
        .group("sg-0web", permissions)
        .build()
}

/// Above the bottom rule (which stays last).
fn above(firewall: &mut InMemoryFirewall, rule: ObservedRule) {
    let bottom = firewall.rules.len() - 1;
    firewall.rules.insert(bottom, rule);
}

fn questions(firewall: &InMemoryFirewall, topology: &model::Topology) -> usize {
    let settings = settings();
    let scope = sync();
    let candidates = plan_candidates(PlanInput {
        topology,
        settings: &settings,
        scope: &scope,
        rules: &firewall.rules,
        services: &firewall.services,
        objects: &firewall.objects,
    })
    .expect("candidates");
    candidates.queries().len()
}

fn service(name: &str, ports: &str) -> ObservedService {
    ObservedService {
        name: name.into(),
        protocol: PortProtocol::Tcp,
        ports: ports.into(),
        source_ports: None,
        tags: vec![],
    }
}

fn address(name: &str, value: AddressValue) -> ObservedAddress {
    ObservedAddress {
        name: name.into(),
        value,
        tags: vec![],
    }
}

#[test]
fn an_operator_rule_allowing_ssl_from_any_to_the_vpc_gets_no_managed_twin() {
    let topology = server(vec![allow(
        tcp(443, 443),
        &["0.0.0.0/0", "198.51.100.0/24"],
    )]);
    let settings = settings();
    let mut firewall = empty_firewall();
    above(
        &mut firewall,
        unmanaged_allow("vpc ssl", "any", "10.0.0.0/16", "ssl"),
    );
    assert_eq!(questions(&firewall, &topology), 0, "decided without asking");
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert!(plan.operations.is_empty(), "{:#?}", plan.operations);
    let mut shadowed: Vec<String> = plan
        .shadowed
        .iter()
        .map(|s| format!("{} by {}", s.allowance.source, s.rule))
        .collect();
    shadowed.sort();
    assert_eq!(shadowed, ["198.51.100.0/24 by vpc ssl", "any by vpc ssl"]);
    assert!(allowances(&firewall, &settings).is_empty());
}

#[test]
fn a_cidr_only_partly_covered_still_gets_its_rule() {
    let topology = server(vec![allow(tcp(22, 22), &["198.51.100.0/24"])]);
    let settings = settings();
    let mut firewall = empty_firewall();
    // Half the network, and a range that stops one address short of its end.
    above(
        &mut firewall,
        unmanaged_allow("half", "198.51.100.0/25", "any", "ssh"),
    );
    firewall.objects.addresses.push(address(
        "almost",
        AddressValue::IpRange("198.51.100.0-198.51.100.254".into()),
    ));
    above(
        &mut firewall,
        unmanaged_allow("almost all", "almost", "10.0.1.10", "ssh"),
    );
    assert_eq!(questions(&firewall, &topology), 0, "decided: not covered");
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert!(plan.shadowed.is_empty());
    assert_eq!(
        allowances(&firewall, &settings),
        ["198.51.100.0/24 -> 10.0.1.10 ssh/application-default"]
    );
}

#[test]
fn a_deny_above_the_covering_rule_keeps_the_managed_rule() {
    let topology = server(vec![
        allow(tcp(22, 22), &["198.51.100.0/24"]),
        allow(tcp(443, 443), &["198.51.100.0/24"]),
    ]);
    let settings = settings();
    let mut firewall = empty_firewall();
    // A deny for one address of the network, on ssh only, above an allow-everything rule.
    above(
        &mut firewall,
        ObservedRule {
            action: RuleAction::Deny,
            ..unmanaged_allow("block one", "198.51.100.77", "any", "ssh")
        },
    );
    above(
        &mut firewall,
        ObservedRule {
            services: vec!["any".into()],
            ..unmanaged_allow("partners", "198.51.100.0/24", "any", "any")
        },
    );
    assert_eq!(questions(&firewall, &topology), 0);
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert_eq!(
        allowances(&firewall, &settings),
        ["198.51.100.0/24 -> 10.0.1.10 ssh/application-default"],
        "ssh is met by the deny first; ssl is not"
    );
    assert_eq!(plan.shadowed.len(), 1);
    assert_eq!(plan.shadowed[0].rule, "partners");
    assert_eq!(
        plan.shadowed[0].allowance.service.to_string(),
        "ssl/application-default"
    );
}

#[test]
fn a_deny_below_the_covering_rule_or_a_disabled_one_above_changes_nothing() {
    let topology = server(vec![allow(tcp(22, 22), &["198.51.100.0/24"])]);
    let settings = settings();
    let mut firewall = empty_firewall();
    above(
        &mut firewall,
        ObservedRule {
            action: RuleAction::Deny,
            disabled: true,
            ..unmanaged_allow("old block", "any", "any", "any")
        },
    );
    above(
        &mut firewall,
        unmanaged_allow("ssh in", "198.51.100.0/24", "10.0.1.0/24", "ssh"),
    );
    above(
        &mut firewall,
        ObservedRule {
            action: RuleAction::Drop,
            ..unmanaged_allow("later drop", "any", "any", "any")
        },
    );
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert_eq!(plan.shadowed.len(), 1);
    assert_eq!(plan.shadowed[0].rule, "ssh in");
    assert!(allowances(&firewall, &settings).is_empty());
}

#[test]
fn address_objects_nested_groups_and_service_groups_are_resolved_to_decide_coverage() {
    let topology = server(vec![allow(tcp(1000, 2000), &["203.0.113.0/24"])]);
    let settings = settings();
    let mut firewall = empty_firewall();
    firewall.objects.addresses.extend([
        address("low", AddressValue::IpNetmask("203.0.113.0/25".into())),
        address(
            "high",
            AddressValue::IpRange("203.0.113.128-203.0.113.255".into()),
        ),
        address("web-net", AddressValue::IpNetmask("10.0.1.0/24".into())),
    ]);
    firewall.objects.address_groups.extend([
        ObservedAddressGroup {
            name: "inner".into(),
            static_members: vec!["high".into()],
            dynamic_filter: None,
            tags: vec![],
            description: String::new(),
        },
        ObservedAddressGroup {
            name: "partners".into(),
            static_members: vec!["low".into(), "inner".into()],
            dynamic_filter: None,
            tags: vec![],
            description: String::new(),
        },
    ]);
    firewall.services.extend([
        service("low-ports", "1000-1499"),
        service("high-ports", "1500-2000,3000"),
    ]);
    firewall.objects.service_groups.push(ObservedServiceGroup {
        name: "app-ports".into(),
        members: vec!["low-ports".into(), "high-ports".into()],
        tags: vec![],
    });
    above(
        &mut firewall,
        ObservedRule {
            services: vec!["app-ports".into()],
            ..unmanaged_allow("partners app", "partners", "web-net", "any")
        },
    );
    assert_eq!(questions(&firewall, &topology), 0);
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert_eq!(plan.shadowed.len(), 1, "{:#?}", plan.operations);
    assert_eq!(plan.shadowed[0].rule, "partners app");

    // One port short at the top of the range: the managed rule is created after all.
    let topology = server(vec![allow(tcp(1000, 2001), &["203.0.113.0/24"])]);
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert!(plan.shadowed.is_empty());
    assert_eq!(
        allowances(&firewall, &settings),
        ["203.0.113.0/24 -> 10.0.1.10 any/tcp_1000-2001"]
    );
}

#[test]
fn negated_sources_and_any_zones_are_counted_exactly() {
    let topology = server(vec![allow(tcp(22, 22), &["198.51.100.0/24"])]);
    let settings = settings();
    let mut firewall = empty_firewall();
    above(
        &mut firewall,
        ObservedRule {
            from_zones: vec!["any".into()],
            to_zones: vec!["any".into()],
            negate_source: true,
            ..unmanaged_allow("not internal", "10.0.0.0/8", "any", "ssh")
        },
    );
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert_eq!(plan.shadowed.len(), 1);
    assert_eq!(plan.shadowed[0].rule, "not internal");

    // A negated set that holds part of the network no longer covers it.
    let mut firewall = empty_firewall();
    above(
        &mut firewall,
        ObservedRule {
            negate_source: true,
            ..unmanaged_allow("not these", "198.51.100.128/26", "any", "ssh")
        },
    );
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert!(plan.shadowed.is_empty());
    assert_eq!(allowances(&firewall, &settings).len(), 1);
}

#[test]
fn a_rule_restricted_by_schedule_user_or_hip_never_shadows() {
    let topology = server(vec![allow(tcp(22, 22), &["203.0.113.7/32"])]);
    let settings = settings();
    let restrictions = [
        MatchConditions {
            schedule: Some("office-hours".into()),
            ..MatchConditions::default()
        },
        MatchConditions {
            source_users: vec!["corp\\admins".into()],
            ..MatchConditions::default()
        },
        MatchConditions {
            source_hip: vec!["managed-laptop".into()],
            ..MatchConditions::default()
        },
    ];
    for conditions in restrictions {
        let mut firewall = empty_firewall();
        above(
            &mut firewall,
            ObservedRule {
                conditions: conditions.clone(),
                ..unmanaged_allow("admins", "any", "any", "ssh")
            },
        );
        assert_eq!(questions(&firewall, &topology), 0, "{conditions:?}");
        let plan = converge(&mut firewall, &topology, &settings, &sync());
        assert!(plan.shadowed.is_empty(), "{conditions:?}");
        assert_eq!(allowances(&firewall, &settings).len(), 1);
    }
}

#[test]
fn a_deny_with_a_schedule_above_the_covering_rule_still_counts() {
    let topology = server(vec![allow(tcp(22, 22), &["198.51.100.0/24"])]);
    let settings = settings();
    let mut firewall = empty_firewall();
    above(
        &mut firewall,
        ObservedRule {
            action: RuleAction::ResetBoth,
            conditions: MatchConditions {
                schedule: Some("nights".into()),
                ..MatchConditions::default()
            },
            ..unmanaged_allow("night block", "any", "any", "any")
        },
    );
    above(
        &mut firewall,
        unmanaged_allow("ssh in", "any", "any", "ssh"),
    );
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert!(plan.shadowed.is_empty());
    assert_eq!(allowances(&firewall, &settings).len(), 1);
}

#[test]
fn an_app_id_rule_shadows_only_the_ports_of_its_defaults() {
    // dns on udp/53 is inside dns's default ports; tcp/5353 is not web-browsing's.
    let topology = server(vec![
        allow(
            model::Protocol::Udp {
                ports: model::PortRange::single(53),
            },
            &["198.51.100.0/24"],
        ),
        allow(tcp(5353, 5353), &["198.51.100.0/24"]),
    ]);
    let settings = settings();
    let mut firewall = empty_firewall();
    above(
        &mut firewall,
        unmanaged_allow("dns in", "any", "any", "dns"),
    );
    above(
        &mut firewall,
        unmanaged_allow("web in", "any", "any", "web-browsing"),
    );
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert_eq!(plan.shadowed.len(), 1);
    assert_eq!(plan.shadowed[0].allowance.service.to_string(), "dns/udp_53");
    assert_eq!(
        allowances(&firewall, &settings),
        ["198.51.100.0/24 -> 10.0.1.10 any/tcp_5353"]
    );
}
