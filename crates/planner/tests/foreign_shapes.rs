//! Scenarios for owned rules in shapes palosync never writes (several destinations, address
//! objects, duplicate members): read, kept while exact, reshaped or removed when they must
//! change, and never left allowing more than desired.

mod support;

use planner::testing::InMemoryFirewall;
use planner::{ObservedRule, Operation, RuleAction};
use support::*;

fn owned(name: &str, sources: &[&str], destinations: &[&str]) -> ObservedRule {
    ObservedRule {
        name: name.to_owned(),
        tags: vec!["palosync".into()],
        from_zones: vec!["untrust".into()],
        to_zones: vec!["trust".into()],
        sources: sources.iter().map(|s| s.to_string()).collect(),
        destinations: destinations.iter().map(|s| s.to_string()).collect(),
        applications: vec!["ssh".into()],
        services: vec!["application-default".into()],
        description: String::new(),
        ..InMemoryFirewall::catch_all(name, RuleAction::Allow)
    }
}

fn two_servers() -> model::Topology {
    Net::new()
        .server("i-1", "10.0.1.1", &["sg-1"])
        .server("i-2", "10.0.1.2", &["sg-1"])
        .group(
            "sg-1",
            vec![allow(tcp(22, 22), &["203.0.113.0/24", "198.51.100.0/24"])],
        )
        .build()
}

fn with_rule(rule: ObservedRule) -> InMemoryFirewall {
    let mut firewall = empty_firewall();
    firewall.rules.insert(0, rule);
    firewall
}

#[test]
fn a_multi_destination_rule_that_loses_one_destination_is_narrowed_in_place() {
    let mut topology = two_servers();
    let settings = settings();
    let rule = owned(
        "sg-1-9",
        &["203.0.113.0/24", "198.51.100.0/24"],
        &["10.0.1.1", "10.0.1.2"],
    );
    let mut firewall = with_rule(rule);
    topology.network_interfaces.retain(|n| n.id != "eni-2");
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    let [Operation::ReplaceRule { rule, .. }] = plan.operations.as_slice() else {
        panic!("one replace: {:#?}", plan.operations);
    };
    assert_eq!(rule.name, "sg-1-9");
    assert_eq!(rule.destinations, ["10.0.1.1"]);
}

#[test]
fn a_multi_destination_rule_whose_destinations_now_differ_is_split() {
    let mut topology = two_servers();
    let settings = settings();
    let rule = owned(
        "sg-1-9",
        &["203.0.113.0/24", "198.51.100.0/24"],
        &["10.0.1.1", "10.0.1.2"],
    );
    let mut firewall = with_rule(rule);
    // i-2 now allows ssh only from one of the two sources.
    topology = Net { topology }
        .group("sg-2", vec![allow(tcp(22, 22), &["198.51.100.0/24"])])
        .build();
    topology.network_interfaces[2].security_groups = vec!["sg-2".into()];
    assert_eq!(topology.network_interfaces[2].id, "eni-2");
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    let kinds: Vec<(&str, &str)> = plan
        .operations
        .iter()
        .map(|op| match op {
            Operation::ReplaceRule { rule, .. } => ("replace", rule.name.as_str()),
            Operation::CreateRule { rule, .. } => ("create", rule.name.as_str()),
            Operation::MoveAboveBottom { name, .. } => ("move", name.as_str()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("replace", "sg-1-9"),
            ("create", "sg-1-1"),
            ("move", "sg-1-1")
        ]
    );
    assert_eq!(
        allowances(&firewall, &settings),
        [
            "198.51.100.0/24 -> 10.0.1.1 ssh/application-default",
            "198.51.100.0/24 -> 10.0.1.2 ssh/application-default",
            "203.0.113.0/24 -> 10.0.1.1 ssh/application-default",
        ]
    );
}

#[test]
fn an_exact_multi_destination_rule_is_left_alone_apart_from_its_description() {
    let topology = two_servers();
    let settings = settings();
    let rule = owned(
        "sg-1-9",
        &["203.0.113.0/24", "198.51.100.0/24"],
        &["10.0.1.1", "10.0.1.2"],
    );
    let mut firewall = with_rule(rule);
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    let [Operation::ReplaceRule { rule, why }] = plan.operations.as_slice() else {
        panic!("one replace: {:#?}", plan.operations);
    };
    assert!(why.text.contains("description brought up to date"));
    assert!(
        rule.description
            .starts_with("to i-1 eni-1, i-2 eni-2; allows sg-1 tcp/22")
    );
}

#[test]
fn an_owned_rule_with_members_palosync_never_writes_is_replaced_by_what_is_desired() {
    let topology = two_servers();
    let settings = settings();
    let rule = owned("sg-1-9", &["partner-networks"], &["10.0.1.1"]);
    let mut firewall = with_rule(rule);
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert!(
        plan.operations
            .iter()
            .any(|op| matches!(op, Operation::DeleteRule { name, .. } if name == "sg-1-9"))
    );
    assert_eq!(allowances(&firewall, &settings).len(), 4);
}

#[test]
fn an_owned_rule_to_an_address_object_is_only_touched_by_a_full_sync() {
    let topology = two_servers();
    let settings = settings();
    let rule = owned("i-1-1", &["any"], &["web-servers"]);
    let mut firewall = with_rule(rule.clone());
    converge(
        &mut firewall,
        &topology,
        &settings,
        &instance_key("i-1", "StartInstances"),
    );
    assert!(
        firewall.rules.contains(&rule),
        "an instance reconcile cannot tell where it points"
    );
    converge(&mut firewall, &topology, &settings, &sync());
    assert!(!firewall.rules.contains(&rule));
}
