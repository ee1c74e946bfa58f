//! Group mode property tests: random topologies (subnets with CIDRs, so shadowing by subnet is
//! exercised), operator rules above the block and random event sequences, applied to an
//! in-memory firewall whose evaluator expands palosync's address groups with the
//! registrations. After every step: exact (never wider than desired; every desired allowance
//! palosync does not hold is allowed, flow by sampled flow, by an operator rule first), placed,
//! idempotent (no operation, no registration), unmanaged rules untouched; and handling the same
//! events in another order, then a sync, gives the same coverage and registrations.

mod support;

use model::{PolicyMode, Settings};
use planner::testing::InMemoryFirewall;
use planner::{Allowance, ObservedRule, Plan, RegisteredAddress, Scope};
use proptest::prelude::*;
use std::collections::BTreeSet;
use support::exact::{apply_and_check, plan_sparing_unmanaged, unmanaged};
use support::operators::{OperatorSpec, add_operators, operator_rules};
use support::world::*;
use support::*;

/// A world in group mode whose subnets have their CIDRs (IPv4 `10.0.<n>.0/24`, IPv6
/// `2600:1f00:0:<n>::/64`), each interface's IPv6 address moved into its subnet's.
fn group_world(spec: &WorldSpec, operators: &[OperatorSpec]) -> World {
    let mut world = build(spec);
    world.settings = world.settings.clone().with_mode(PolicyMode::Groups);
    for (i, id) in SUBNETS.iter().enumerate() {
        if let Some(subnet) = world.topology.subnets.iter_mut().find(|s| s.id == *id) {
            subnet.ipv4_cidr = Some(format!("10.0.{}.0/24", i + 1).parse().expect("cidr"));
            subnet.ipv6_cidrs = vec![format!("2600:1f00:0:{}::/64", i + 1).parse().expect("cidr")];
        }
    }
    for eni in &mut world.topology.network_interfaces {
        let Some(n) = SUBNETS.iter().position(|s| eni.subnet_id == *s) else {
            continue;
        };
        for address in &mut eni.ipv6 {
            let host = u128::from(*address) & 0xffff;
            let subnet = 0x2600_1f00_0000_0000_u128 << 64 | ((n as u128 + 1) << 64);
            *address = std::net::Ipv6Addr::from(subnet | host);
        }
    }
    add_operators(&mut world.firewall, operators);
    world
}

fn coverage(firewall: &InMemoryFirewall, settings: &Settings) -> BTreeSet<Allowance> {
    firewall.managed_allowances(settings).unwrap_or_default()
}

fn registrations(firewall: &InMemoryFirewall) -> Vec<RegisteredAddress> {
    firewall.objects.registrations.entries.clone()
}

/// Apply one plan and check every invariant (exactness only when `exact`: not while late
/// notifications are still queued).
fn step(
    world: &mut World,
    scope: &Scope,
    initial_unmanaged: &[ObservedRule],
    exact: bool,
) -> Result<Plan, TestCaseError> {
    let (topology, settings) = (&world.topology, &world.settings);
    let firewall = &mut world.firewall;
    let view = (topology, settings, scope);
    let plan = plan_sparing_unmanaged(firewall, view, initial_unmanaged)?;
    let prefix = settings.member_tag_prefix();
    let changes = plan.registrations.register.iter();
    for registration in changes.chain(&plan.registrations.unregister) {
        prop_assert!(registration.tags.iter().all(|t| t.starts_with(&prefix)));
    }
    let again = apply_and_check(firewall, view, &plan, initial_unmanaged, exact)?;
    prop_assert!(
        again.registrations.is_empty(),
        "registrations not idempotent: {:#?}",
        again.registrations
    );
    Ok(plan)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Every narrow reconcile leaves the device where a sync would: the sync after it changes
    /// no registration and no coverage (it may only remove the rules and address group of a
    /// group whose last member went, which allow nothing).
    #[test]
    fn every_step_is_exact_placed_idempotent_and_as_good_as_a_sync(
        spec in world_spec(),
        operators in operator_rules(),
        events in prop::collection::vec(random_event(), 1..8),
    ) {
                let mut world = group_world(&spec, &operators);
        let initial_unmanaged = unmanaged(&world.firewall, &world.settings);
        step(&mut world, &sync(), &initial_unmanaged, true)?;
        for event in &events {
            let scope = happen(&mut world.topology, event);
            step(&mut world, &scope, &initial_unmanaged, true)?;
            let full = world.firewall.plan(&world.topology, &world.settings, &sync())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(
                full.registrations.is_empty(),
                "a sync after {event:?} still registers: {:#?}", full.registrations
            );
            let mut synced = world.firewall.clone();
            synced.apply(&full).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(
                coverage(&synced, &world.settings),
                coverage(&world.firewall, &world.settings),
                "a sync after {:?} changes coverage", event
            );
        }
    }

    #[test]
    fn the_same_events_in_another_order_then_a_sync_give_the_same_coverage(
        spec in world_spec(),
        operators in operator_rules(),
        events in prop::collection::vec(random_event(), 1..8),
        order in prop::collection::vec(any::<u32>(), 8),
    ) {
                let mut a = group_world(&spec, &operators);
        let initial_unmanaged = unmanaged(&a.firewall, &a.settings);
        step(&mut a, &sync(), &initial_unmanaged, true)?;
        let mut scopes = Vec::new();
        for event in &events {
            let scope = happen(&mut a.topology, event);
            step(&mut a, &scope, &initial_unmanaged, true)?;
            scopes.push(scope);
        }
        // Run B: the same notifications arrive late and shuffled; each reads the final world.
        let mut b = group_world(&spec, &operators);
        step(&mut b, &sync(), &initial_unmanaged, true)?;
        b.topology = a.topology.clone();
        let mut shuffled: Vec<usize> = (0..scopes.len()).collect();
        shuffled.sort_by_key(|&i| (order[i % order.len()], i));
        for i in shuffled {
            step(&mut b, &scopes[i], &initial_unmanaged, false)?;
        }
        step(&mut a, &sync(), &initial_unmanaged, true)?;
        step(&mut b, &sync(), &initial_unmanaged, true)?;
        prop_assert_eq!(coverage(&a.firewall, &a.settings), coverage(&b.firewall, &b.settings));
        prop_assert_eq!(registrations(&a.firewall), registrations(&b.firewall));
    }

    /// The membership fast path gives exactly the full plan's registrations for instance and
    /// interface keys, from the registrations it reads.
    #[test]
    fn the_membership_fast_path_matches_the_full_plan(
        spec in world_spec(),
        events in prop::collection::vec(random_event(), 1..6),
    ) {
        let mut world = group_world(&spec, &[]);
        let initial_unmanaged = unmanaged(&world.firewall, &world.settings);
        step(&mut world, &sync(), &initial_unmanaged, true)?;
        for event in &events {
            let scope = happen(&mut world.topology, event);
            let (topology, settings) = (&world.topology, &world.settings);
            let read = planner::membership_reads(topology, settings, &scope);
            let observed = world.firewall.registrations_read(read);
            let existing: Vec<String> =
                world.firewall.objects.address_groups.iter().map(|g| g.name.clone()).collect();
            let fast = planner::plan_membership(topology, settings, &scope, &observed, &existing);
            let mut narrowed = world.firewall.clone();
            narrowed.objects.registrations = observed;
            let full = narrowed.plan(topology, settings, &scope)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            if fast.needs_policy.is_empty() {
                prop_assert_eq!(&fast.changes, &full.registrations);
                prop_assert!(
                    full.operations.iter().all(|op| op.address_group_name().is_none()),
                    "the fast path missed a group's first member: {:#?}", full.operations
                );
            }
            step(&mut world, &scope, &initial_unmanaged, true)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Address mode, then group mode, then address mode again, each by one sync: exact after
    /// each, and nothing of the other mode left (no group-mode rule, address group or
    /// registration in address mode; no address-mode rule in group mode).
    #[test]
    fn switching_modes_by_a_sync_is_exact_both_ways_and_leaves_nothing_behind(
        spec in world_spec(),
        operators in operator_rules(),
    ) {
        let mut world = group_world(&spec, &operators);
        let groups = world.settings.clone();
        let addresses = groups.clone().with_mode(PolicyMode::Addresses);
        let initial_unmanaged = unmanaged(&world.firewall, &world.settings);
        for settings in [addresses.clone(), groups, addresses] {
            world.settings = settings;
            step(&mut world, &sync(), &initial_unmanaged, true)?;
            let owned = world
                .firewall
                .rules
                .iter()
                .filter(|r| planner::ownership::owned_name(r, "palosync").is_some());
            let in_groups = world.settings.mode == PolicyMode::Groups;
            for rule in owned {
                let group_shaped = rule.destinations.iter().all(|d| d.starts_with("palosync.sg-"));
                prop_assert_eq!(group_shaped, in_groups, "{:?}", rule);
            }
            if !in_groups {
                prop_assert!(world.firewall.objects.registrations.entries.is_empty());
                let managed_groups = world.firewall.objects.address_groups.iter();
                prop_assert!(managed_groups.filter(|g| g.tags.iter().any(|t| t == "palosync")).count() == 0);
            }
        }
    }
}
