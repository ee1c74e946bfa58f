//! Property tests: random topologies and random event sequences, applied to an in-memory
//! firewall that also holds unmanaged rules. After every step the managed rules must be exact
//! (every desired allowance held or shadowed by an unmanaged rule above, nothing undesired),
//! placed, idempotent, uniquely named, and no operation may name an unmanaged rule or object.

mod support;

use model::Settings;
use planner::testing::InMemoryFirewall;
use planner::{ObservedRule, Plan, Scope};
use proptest::prelude::*;
use std::collections::BTreeSet;
use support::exact::{apply_and_check, plan_sparing_unmanaged, unmanaged};
use support::world::*;
use support::*;

/// Apply one plan and check every invariant.
fn step(
    world: &mut World,
    scope: &Scope,
    initial_unmanaged: &[ObservedRule],
) -> Result<Plan, TestCaseError> {
    step_checking(world, scope, initial_unmanaged, true)
}

/// `exact`: whether the world must be exact after this step (not while late notifications are
/// still queued).
fn step_checking(
    world: &mut World,
    scope: &Scope,
    initial_unmanaged: &[ObservedRule],
    exact: bool,
) -> Result<Plan, TestCaseError> {
    let World {
        topology,
        settings,
        firewall,
    } = world;
    let view = (&*topology, &*settings, scope);
    let plan = plan_sparing_unmanaged(firewall, view, initial_unmanaged)?;
    for op in &plan.operations {
        if let Some(name) = op.service_name() {
            prop_assert!(
                name != "tcp_8080"
                    || firewall
                        .services
                        .iter()
                        .all(|s| s.name != name || s.tags.contains(&settings.managed_tag)),
                "operation on an unmanaged service: {op:?}"
            );
        }
    }
    apply_and_check(firewall, view, &plan, initial_unmanaged, exact)?;
    Ok(plan)
}

fn coverage(firewall: &InMemoryFirewall, settings: &Settings) -> BTreeSet<planner::Allowance> {
    firewall.managed_allowances(settings).unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn every_step_is_exact_placed_idempotent_and_leaves_unmanaged_rules_alone(
        spec in world_spec(),
        events in prop::collection::vec(random_event(), 1..8),
    ) {
        let mut world = build(&spec);
        let initial_unmanaged = unmanaged(&world.firewall, &world.settings);
        step(&mut world, &sync(), &initial_unmanaged)?;
        for event in &events {
            let scope = happen(&mut world.topology, event);
            step(&mut world, &scope, &initial_unmanaged)?;
            let full = world.firewall.plan(&world.topology, &world.settings, &sync())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(full.is_empty(), "a sync after {event:?} still changes: {:#?}", full.operations);
        }
    }

    #[test]
    fn the_same_events_in_another_order_then_a_sync_give_the_same_coverage(
        spec in world_spec(),
        events in prop::collection::vec(random_event(), 1..8),
        order in prop::collection::vec(any::<u32>(), 8),
    ) {
        // Run A: each event handled as it happens.
        let mut a = build(&spec);
        let initial_unmanaged = unmanaged(&a.firewall, &a.settings);
        step(&mut a, &sync(), &initial_unmanaged)?;
        let mut scopes = Vec::new();
        for event in &events {
            let scope = happen(&mut a.topology, event);
            step(&mut a, &scope, &initial_unmanaged)?;
            scopes.push(scope);
        }
        // Run B: the same notifications arrive late and shuffled; each reads the final world.
        let mut b = build(&spec);
        step(&mut b, &sync(), &initial_unmanaged)?;
        b.topology = a.topology.clone();
        let mut shuffled: Vec<usize> = (0..scopes.len()).collect();
        shuffled.sort_by_key(|&i| (order[i % order.len()], i));
        for i in shuffled {
            step_checking(&mut b, &scopes[i], &initial_unmanaged, false)?;
        }
        step(&mut a, &sync(), &initial_unmanaged)?;
        step(&mut b, &sync(), &initial_unmanaged)?;
        prop_assert_eq!(coverage(&a.firewall, &a.settings), coverage(&b.firewall, &b.settings));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// Operator allow, deny and drop rules with CIDR sources, ranges, objects, nested groups and
    /// service groups above the block: after every step, nothing wider than desired is held, and
    /// every desired allowance palosync leaves out is allowed, flow by sampled flow, by an
    /// operator rule first (brute-force first match, see `check_exact`).
    #[test]
    fn operator_rules_above_the_block_shadow_only_what_they_allow_entirely(
        spec in world_spec(),
        operators in support::operators::operator_rules(),
        events in prop::collection::vec(random_event(), 0..5),
    ) {
        let mut world = build(&spec);
        support::operators::add_operators(&mut world.firewall, &operators);
        let initial_unmanaged = unmanaged(&world.firewall, &world.settings);
        step(&mut world, &sync(), &initial_unmanaged)?;
        for event in &events {
            let scope = happen(&mut world.topology, event);
            step(&mut world, &scope, &initial_unmanaged)?;
        }
    }
}
