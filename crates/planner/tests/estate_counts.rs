//! Rule counts at scale in both modes, on the benchmark's estate (5,000 instances, 500 groups
//! of 20 permissions, two groups per interface): address mode grows with instances x services,
//! group mode with (group, service) pairs only.

mod support;

use planner::Operation;
use planner::testing::estate::estate;
use std::collections::BTreeSet;
use support::*;

fn rules_created(plan: &planner::Plan) -> usize {
    plan.operations
        .iter()
        .filter(|op| matches!(op, Operation::CreateRule { .. }))
        .count()
}

#[test]
fn the_benchmark_estate_needs_one_rule_per_group_and_service_in_group_mode() {
    let topology = estate(5_000, 500, 20);
    let started = std::time::Instant::now();
    let groups = empty_firewall()
        .plan(&topology, &group_settings(), &sync())
        .expect("plan");
    let group_time = started.elapsed();
    let services = |group: &model::GroupId| -> BTreeSet<planner::ServiceMatch> {
        let group = topology.security_group(group).expect("group");
        let protocols = group.ingress.iter().map(|p| &p.protocol);
        protocols
            .filter_map(|p| planner::services::service_for(p, true).ok())
            .collect()
    };
    // Group mode: one rule per (group, service). Address mode: one per (address, service of
    // any of its interface's groups).
    let pairs: usize = topology
        .security_groups
        .iter()
        .map(|g| services(&g.id).len())
        .sum();
    let slots: usize = topology
        .network_interfaces
        .iter()
        .filter(|n| n.attached_instance().is_some_and(|i| i != "i-f00"))
        .map(|n| {
            n.security_groups
                .iter()
                .flat_map(&services)
                .collect::<BTreeSet<_>>()
                .len()
        })
        .sum();
    let started = std::time::Instant::now();
    let addresses = empty_firewall()
        .plan(&topology, &settings(), &sync())
        .expect("plan");
    println!(
        "5,000 instances, 500 groups x 20 permissions: address mode {} rules ({:?}), group mode {} rules, {} address groups, {} registrations ({group_time:?})",
        rules_created(&addresses),
        started.elapsed(),
        rules_created(&groups),
        groups
            .operations
            .iter()
            .filter(|op| op.address_group_name().is_some())
            .count(),
        groups.registrations.register.len(),
    );
    assert_eq!(rules_created(&groups), pairs);
    // Instance 0xf00 is named like the firewall (`i-f00`), so 4,999 are behind it.
    assert_eq!(groups.registrations.register.len(), 4_999);
    assert_eq!(rules_created(&addresses), slots);
}
