//! The exactness checks property tests share: what the managed rules hold against what the
//! security groups allow, and the unmanaged rules a run must leave alone.

use super::oracle;
use model::{Settings, Topology};
use planner::ownership::owned_name;
use planner::testing::InMemoryFirewall;
use planner::{Allowance, ObservedRule};
use proptest::prelude::*;
use std::collections::BTreeSet;

/// The rules palosync does not own, in order.
pub fn unmanaged(firewall: &InMemoryFirewall, settings: &Settings) -> Vec<ObservedRule> {
    let rules = firewall.rules.iter();
    rules
        .filter(|r| owned_name(r, &settings.managed_tag).is_none())
        .cloned()
        .collect()
}

/// What the managed rules hold and what is desired, after checking that the first is within
/// the second.
pub fn check_not_wider(
    firewall: &InMemoryFirewall,
    topology: &Topology,
    settings: &Settings,
) -> Result<(BTreeSet<Allowance>, BTreeSet<Allowance>), TestCaseError> {
    let held = firewall
        .managed_allowances(settings)
        .map_err(TestCaseError::fail)?;
    let desired = oracle::desired(topology, settings);
    let wider: Vec<_> = held.difference(&desired).collect();
    prop_assert!(wider.is_empty(), "wider than desired: {wider:?}");
    Ok((held, desired))
}

/// Plan `scope` and check that no operation names a rule that was unmanaged at the start.
pub fn plan_sparing_unmanaged(
    firewall: &InMemoryFirewall,
    (topology, settings, scope): (&Topology, &Settings, &planner::Scope),
    initial_unmanaged: &[ObservedRule],
) -> Result<planner::Plan, TestCaseError> {
    let plan = firewall
        .plan(topology, settings, scope)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let unmanaged_names: std::collections::HashSet<&str> =
        initial_unmanaged.iter().map(|r| r.name.as_str()).collect();
    for op in plan.operations.iter().chain(&plan.cleanup) {
        if let Some(name) = op.rule_name() {
            prop_assert!(
                !unmanaged_names.contains(name),
                "operation on unmanaged rule: {op:?}"
            );
        }
    }
    Ok(plan)
}

/// Held never wider than desired (address groups expanded with the registrations); desired but
/// not held only where every sampled flow first-matches an unmanaged allow above the block.
pub fn check_exact(
    firewall: &InMemoryFirewall,
    topology: &Topology,
    settings: &Settings,
) -> Result<(), TestCaseError> {
    let (held, desired) = check_not_wider(firewall, topology, settings)?;
    for missing in desired.difference(&held) {
        let flow = firewall.flow_not_shadowed(missing, settings);
        prop_assert!(
            flow.is_none(),
            "desired but neither held nor shadowed: {missing:?}, e.g. {flow:?}"
        );
    }
    Ok(())
}

/// Apply `plan`, then check that the unmanaged rules are as they were, names are unique,
/// managed rules are placed, the result is exact (when `exact`), and that planning `scope`
/// again writes nothing. Returns that second plan.
pub fn apply_and_check(
    firewall: &mut InMemoryFirewall,
    (topology, settings, scope): (&Topology, &Settings, &planner::Scope),
    plan: &planner::Plan,
    initial_unmanaged: &[ObservedRule],
    exact: bool,
) -> Result<planner::Plan, TestCaseError> {
    firewall
        .apply(plan)
        .map_err(|e| TestCaseError::fail(format!("{e}: {plan:#?}")))?;
    prop_assert_eq!(unmanaged(firewall, settings), initial_unmanaged.to_vec());
    let names: std::collections::HashSet<&str> =
        firewall.rules.iter().map(|r| r.name.as_str()).collect();
    prop_assert_eq!(names.len(), firewall.rules.len(), "names unique");
    prop_assert!(
        firewall.managed_rules_placed(settings),
        "placed: {:#?}",
        firewall.rules
    );
    if exact {
        check_exact(firewall, topology, settings)?;
    }
    let again = firewall
        .plan(topology, settings, scope)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(again.is_empty(), "not idempotent: {:#?}", again.operations);
    Ok(again)
}
