//! Scenarios for the rulebase invariants: ownership, naming by cause, placement, shadowing,
//! revocation, partial scope, traceability and operation order.

mod support;

use model::{InstanceState, Protocol, ReconcileKey};
use planner::testing::InMemoryFirewall;
use planner::{ObservedRule, Operation, PlanError, RuleAction, Scope};
use support::*;

fn web() -> model::Topology {
    Net::new()
        .server("i-0a1", "10.0.1.10", &["sg-0web"])
        .server("i-0b2", "10.0.1.20", &["sg-0web"])
        .group(
            "sg-0web",
            vec![
                allow(tcp(22, 22), &["203.0.113.7/32"]),
                allow(tcp(8080, 8080), &["198.51.100.0/24"]),
            ],
        )
        .build()
}

fn ssh_rule_name(firewall: &InMemoryFirewall) -> String {
    let rule = firewall.rules.iter().find(|r| r.applications == ["ssh"]);
    rule.expect("an ssh rule").name.clone()
}

fn created(plan: &planner::Plan) -> Vec<&str> {
    plan.operations
        .iter()
        .filter_map(|op| match op {
            Operation::CreateRule { rule, .. } => Some(rule.name.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn rules_are_named_after_the_cause() {
    let topology = web();
    let settings = settings();
    let mut firewall = empty_firewall();
    let plan = converge(
        &mut firewall,
        &topology,
        &settings,
        &instance_key("i-0a1", "StartInstances"),
    );
    assert_eq!(created(&plan), ["i-0a1-1", "i-0a1-2"]);
    let plan = converge(
        &mut firewall,
        &topology,
        &settings,
        &group_key("sg-0web", "AuthorizeSecurityGroupIngress"),
    );
    assert_eq!(created(&plan), ["sg-0web-1", "sg-0web-2"]);
    let mut fresh = empty_firewall();
    let plan = converge(&mut fresh, &topology, &settings, &sync());
    assert!(created(&plan).iter().all(|n| n.starts_with("sg-0web-")));
}

#[test]
fn a_number_held_by_any_rule_is_never_reused() {
    let topology = web();
    let settings = settings();
    // An unmanaged rule (no tag) already holds the first name.
    let squatter = unmanaged_allow("i-0a1-1", "192.0.2.1", "10.9.9.9", "ssh");
    let mut firewall = empty_firewall();
    firewall.rules.insert(0, squatter.clone());
    let plan = converge(
        &mut firewall,
        &topology,
        &settings,
        &instance_key("i-0a1", "StartInstances"),
    );
    assert_eq!(created(&plan), ["i-0a1-2", "i-0a1-3"]);
    assert_eq!(firewall.rules[0], squatter);
}

#[test]
fn unowned_rules_are_never_touched_even_with_a_lookalike_name_or_the_tag() {
    let topology = web();
    let settings = settings();
    let mut untagged = unmanaged_allow("i-0a1-7", "any", "10.0.1.10", "any");
    untagged.tags.clear();
    let mut substring = unmanaged_allow("allow i-0a1-8", "any", "10.0.1.10", "any");
    substring.tags = vec!["palosync".into()];
    let mut firewall = empty_firewall();
    firewall
        .rules
        .splice(0..0, [untagged.clone(), substring.clone()]);
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert!(
        rule_names(&plan)
            .iter()
            .all(|n| n != "i-0a1-7" && n != "allow i-0a1-8")
    );
    assert_eq!(firewall.rules[..2], [untagged, substring]);
}

#[test]
fn new_rules_go_directly_above_the_bottom_rule_and_placed_rules_stay() {
    let topology = web();
    let settings = settings();
    let below = InMemoryFirewall::catch_all("after cleanup", RuleAction::Allow);
    let top = unmanaged_allow("admin", "192.0.2.1", "10.0.0.0/8", "ssh");
    let mut firewall = empty_firewall();
    firewall.rules.insert(0, top);
    firewall.rules.push(below);
    converge(
        &mut firewall,
        &topology,
        &settings,
        &instance_key("i-0a1", "StartInstances"),
    );
    assert!(firewall.managed_rules_placed(&settings));
    let plan = converge(
        &mut firewall,
        &topology,
        &settings,
        &instance_key("i-0b2", "StartInstances"),
    );
    let moved: Vec<_> = plan
        .operations
        .iter()
        .filter_map(|op| match op {
            Operation::MoveAboveBottom { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(moved, created(&plan), "only the new rules move");
    assert!(firewall.managed_rules_placed(&settings));
    assert_eq!(firewall.rules[0].name, "admin");
    assert_eq!(
        firewall.rules.last().map(|r| r.name.as_str()),
        Some("after cleanup")
    );
}

#[test]
fn a_misplaced_managed_rule_is_moved_back_above_the_bottom_rule() {
    let topology = web();
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &topology, &settings, &sync());
    let stray = firewall.rules.remove(0);
    firewall.rules.push(stray.clone());
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert_eq!(rule_names(&plan), [stray.name]);
    assert!(firewall.managed_rules_placed(&settings));
}

#[test]
fn an_unmanaged_rule_above_that_allows_the_flow_shadows_it() {
    let topology = web();
    let settings = settings();
    let mut firewall = empty_firewall();
    firewall.rules.insert(
        0,
        unmanaged_allow("admin ssh", "203.0.113.7", "10.0.1.10", "ssh"),
    );
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert_eq!(plan.shadowed.len(), 1);
    assert_eq!(plan.shadowed[0].rule, "admin ssh");
    assert_eq!(
        plan.shadowed[0].allowance.destination.to_string(),
        "10.0.1.10"
    );
    let ssh: Vec<_> = allowances(&firewall, &settings)
        .into_iter()
        .filter(|a| a.contains("ssh"))
        .collect();
    assert_eq!(ssh, ["203.0.113.7/32 -> 10.0.1.20 ssh/application-default"]);
}

#[test]
fn rules_at_or_below_the_bottom_rule_and_wide_sources_never_shadow() {
    let topology = web();
    let settings = settings();
    let mut firewall = empty_firewall();
    // Below the bottom rule: never consulted for shadowing.
    firewall
        .rules
        .push(unmanaged_allow("late", "203.0.113.7", "10.0.1.10", "ssh"));
    // Above, allowing the whole /24 for any app: 8080 from a /24 is not one flow, so no query.
    firewall
        .rules
        .insert(0, unmanaged_allow("wide", "198.51.100.0/24", "any", "any"));
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert!(plan.shadowed.is_empty());
    assert_eq!(allowances(&firewall, &settings).len(), 4);
}

#[test]
fn revoking_removes_the_allowance_from_instance_named_rules_too() {
    let mut topology = web();
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(
        &mut firewall,
        &topology,
        &settings,
        &instance_key("i-0a1", "StartInstances"),
    );
    let ssh_rule = ssh_rule_name(&firewall);
    assert!(ssh_rule.starts_with("i-0a1-"));
    topology.security_groups[0].ingress.remove(0);
    let plan = converge(
        &mut firewall,
        &topology,
        &settings,
        &group_key("sg-0web", "RevokeSecurityGroupIngress"),
    );
    let deleted: Vec<_> = plan
        .operations
        .iter()
        .filter_map(|op| match op {
            Operation::DeleteRule { name, why } => Some((name.as_str(), why.text.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].0, ssh_rule);
    assert!(
        deleted[0]
            .1
            .contains("no security group of i-0a1 eni-0a1 allows ssh"),
        "{}",
        deleted[0].1
    );
    assert!(
        allowances(&firewall, &settings)
            .iter()
            .all(|a| !a.contains("ssh"))
    );
}

#[test]
fn stopping_an_instance_removes_every_rule_pointing_at_it_whatever_its_name() {
    let mut topology = web();
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(
        &mut firewall,
        &topology,
        &settings,
        &group_key("sg-0web", "AuthorizeSecurityGroupIngress"),
    );
    topology
        .instances
        .iter_mut()
        .find(|i| i.id == "i-0a1")
        .expect("i-0a1")
        .state = InstanceState::Stopped;
    converge(
        &mut firewall,
        &topology,
        &settings,
        &instance_key("i-0a1", "StopInstances"),
    );
    assert!(
        allowances(&firewall, &settings)
            .iter()
            .all(|a| !a.contains("10.0.1.10"))
    );
}

#[test]
fn a_terminated_instance_gone_from_the_topology_loses_its_group_named_rules() {
    let mut topology = web();
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &topology, &settings, &sync());
    topology.instances.retain(|i| i.id != "i-0a1");
    topology.network_interfaces.retain(|n| n.id != "eni-0a1");
    topology.absent_instances.push("i-0a1".into());
    let plan = converge(
        &mut firewall,
        &topology,
        &settings,
        &instance_key("i-0a1", "TerminateInstances"),
    );
    assert_eq!(plan.operations.len(), 2, "{:#?}", plan.operations);
    assert!(
        allowances(&firewall, &settings)
            .iter()
            .all(|a| !a.contains("10.0.1.10"))
    );
}

#[test]
fn a_full_sync_removes_rules_for_instances_and_groups_that_no_longer_exist() {
    let topology = web();
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &topology, &settings, &sync());
    let empty = Net::new().build();
    let plan = converge(&mut firewall, &empty, &settings, &sync());
    assert!(allowances(&firewall, &settings).is_empty());
    assert!(
        firewall.services.is_empty(),
        "unused service objects are deleted"
    );
    assert!(
        plan.operations
            .iter()
            .all(|op| !matches!(op, Operation::DeleteService { .. })),
        "service deletes are cleanup, apart from the rule changes"
    );
    assert!(
        matches!(plan.cleanup.as_slice(), [Operation::DeleteService { name, .. }] if name == "tcp_8080")
    );
}

#[test]
fn an_instance_reconcile_leaves_other_instances_alone() {
    let mut topology = web();
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &topology, &settings, &sync());
    // Both instances lose the group, but only i-0a1's event has arrived.
    for eni in &mut topology.network_interfaces {
        eni.security_groups.clear();
    }
    converge(
        &mut firewall,
        &topology,
        &settings,
        &instance_key("i-0a1", "ModifyInstanceAttribute"),
    );
    let left = allowances(&firewall, &settings);
    assert!(left.iter().all(|a| a.contains("10.0.1.20")), "{left:?}");
    assert_eq!(left.len(), 2);
}

#[test]
fn a_group_reconcile_adds_only_what_that_group_backs() {
    let topology = Net::new()
        .server("i-1", "10.0.1.1", &["sg-1", "sg-2"])
        .group("sg-1", vec![allow(tcp(22, 22), &["203.0.113.0/24"])])
        .group("sg-2", vec![allow(tcp(443, 443), &["203.0.113.0/24"])])
        .build();
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(
        &mut firewall,
        &topology,
        &settings,
        &group_key("sg-2", "AuthorizeSecurityGroupIngress"),
    );
    assert_eq!(
        allowances(&firewall, &settings),
        ["203.0.113.0/24 -> 10.0.1.1 ssl/application-default"]
    );
}

#[test]
fn adding_a_source_to_a_permission_extends_the_existing_rule_in_place() {
    let mut topology = web();
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &topology, &settings, &sync());
    let before: Vec<String> = firewall.rules.iter().map(|r| r.name.clone()).collect();
    topology.security_groups[0].ingress[0] =
        allow(tcp(22, 22), &["203.0.113.7/32", "192.0.2.0/24"]);
    let plan = converge(
        &mut firewall,
        &topology,
        &settings,
        &group_key("sg-0web", "AuthorizeSecurityGroupIngress"),
    );
    assert!(
        plan.operations
            .iter()
            .all(|op| matches!(op, Operation::ReplaceRule { .. }))
    );
    assert_eq!(plan.operations.len(), 2, "one replace per instance");
    let after: Vec<String> = firewall.rules.iter().map(|r| r.name.clone()).collect();
    assert_eq!(before, after, "names and positions kept");
}

#[test]
fn descriptions_name_target_group_permission_and_event_within_the_limit() {
    let topology = web();
    let settings = settings();
    let mut firewall = empty_firewall();
    let plan = converge(
        &mut firewall,
        &topology,
        &settings,
        &instance_key("i-0a1", "StartInstances"),
    );
    let ssh_rule = ssh_rule_name(&firewall);
    let rule = firewall
        .rules
        .iter()
        .find(|r| r.name == ssh_rule)
        .expect("created");
    assert_eq!(
        rule.description,
        "to i-0a1 eni-0a1; allows sg-0web tcp/22; last change: StartInstances StartInstances-id \
         by arn:aws:iam::111122223333:user/alice at 2026-11-27T01:02:03Z"
    );
    let why = plan.operations.iter().find_map(|op| match op {
        Operation::CreateRule { rule, why } if rule.name == ssh_rule => Some(why),
        _ => None,
    });
    let why = why.expect("explained");
    assert_eq!(why.groups, ["sg-0web"]);
    assert_eq!(why.permissions, ["sg-0web tcp/22"]);
    assert_eq!(why.network_interfaces, ["eni-0a1"]);
    assert!(why.event.starts_with("StartInstances"));
    assert!(
        why.text
            .contains("ssh/application-default from 203.0.113.7/32 to 10.0.1.10 (i-0a1 eni-0a1)"),
        "{}",
        why.text
    );

    let many: Vec<_> = (0..300)
        .map(|i| allow(tcp(10_000 + i, 10_000 + i), &["198.51.100.0/24"]))
        .collect();
    let wide = Net::new()
        .server("i-1", "10.0.1.1", &["sg-1", "sg-2"])
        .group("sg-1", many.clone())
        .group("sg-2", vec![allow(Protocol::All, &["198.51.100.0/24"])])
        .build();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &wide, &settings, &sync());
    assert!(
        firewall
            .rules
            .iter()
            .all(|r| r.description.chars().count() <= 1023)
    );
}

#[test]
fn services_are_created_before_rules_and_deleted_after_them() {
    let mut topology = web();
    let settings = settings();
    let mut firewall = empty_firewall();
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    let first_rule = plan
        .operations
        .iter()
        .position(|op| op.rule_name().is_some());
    let service = plan
        .operations
        .iter()
        .position(|op| op.service_name().is_some());
    assert!(service < first_rule);
    topology.security_groups[0].ingress[1] = allow(tcp(9090, 9090), &["198.51.100.0/24"]);
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    let kinds: Vec<&str> = plan
        .operations
        .iter()
        .chain(&plan.cleanup)
        .map(|op| match op {
            Operation::CreateService { .. } => "create service",
            Operation::ReplaceRule { .. } => "replace",
            Operation::DeleteService { .. } => "delete service",
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        ["create service", "replace", "replace", "delete service"]
    );
}

#[test]
fn drift_in_a_managed_rule_is_repaired_without_renaming() {
    let topology = web();
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &topology, &settings, &sync());
    let drifted = firewall
        .rules
        .iter_mut()
        .find(|r| r.name == "sg-0web-1")
        .expect("rule");
    drifted.to_zones = vec!["any".into()];
    drifted.sources.push("0.0.0.0/1".into());
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert_eq!(rule_names(&plan), ["sg-0web-1"]);
    assert!(matches!(plan.operations[0], Operation::ReplaceRule { .. }));
}

#[test]
fn the_bottom_rule_must_exist_and_must_not_look_managed() {
    let topology = web();
    let settings = settings();
    let firewall = InMemoryFirewall::default();
    assert_eq!(
        firewall.plan(&topology, &settings, &sync()),
        Err(PlanError::BottomRuleMissing("Clean up".into()))
    );
    let owned_bottom = model::Settings::new(FIREWALL, "sg-1-1", "untrust", "trust").expect("valid");
    let mut bottom: ObservedRule = InMemoryFirewall::catch_all("sg-1-1", RuleAction::Deny);
    bottom.tags = vec!["palosync".into()];
    let firewall = InMemoryFirewall::new(vec![bottom], Vec::new());
    assert!(matches!(
        firewall.plan(&topology, &owned_bottom, &sync()),
        Err(PlanError::BottomRuleOwned(_))
    ));
}

#[test]
fn an_unresolvable_association_widens_to_everything_with_a_note() {
    let topology = web();
    let settings = settings();
    let scope = Scope::single(
        ReconcileKey::RouteTableAssociation("rtbassoc-gone".into()),
        event("DisassociateRouteTable"),
    );
    let mut firewall = empty_firewall();
    let plan = converge(&mut firewall, &topology, &settings, &scope);
    assert!(plan.notes[0].contains("rtbassoc-gone"));
    assert_eq!(allowances(&firewall, &settings).len(), 4);
}
