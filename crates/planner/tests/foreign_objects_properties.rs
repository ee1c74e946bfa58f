//! Property tests for what palosync must never lean on: an operator's same-named service
//! objects (untagged, or unreadable), an operator's service group that holds palosync's own
//! objects, and interfaces whose VPC the read did not return. After every step: nothing wider
//! than desired, never narrower outside what an operator rule allows, no operation names a
//! foreign object, no managed rule refers to one, and no planned delete is refused by the device.

mod support;

use model::Settings;
use planner::ownership::owned_name;
use planner::testing::InMemoryFirewall;
use planner::{
    ObservedService, ObservedServiceGroup, Operation, PortProtocol, Scope, UnreadableObject,
};
use proptest::prelude::*;
use std::collections::HashSet;
use support::oracle;
use support::world::*;
use support::*;

/// What the operator adds beside palosync's objects.
#[derive(Debug, Clone)]
struct Foreign {
    /// An untagged `tcp_8080` with exactly the ports palosync would give it.
    same_named_service: bool,
    /// `tcp_1000-2000` exists, but palosync cannot read its content.
    unreadable_service: bool,
    /// After the first sync, an operator service group takes in every managed service object.
    group_takes_managed_objects: bool,
}

fn foreign() -> impl Strategy<Value = Foreign> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(a, b, c)| Foreign {
        same_named_service: a,
        unreadable_service: b,
        group_takes_managed_objects: c,
    })
}

fn add_foreign_objects(firewall: &mut InMemoryFirewall, foreign: &Foreign) {
    if foreign.same_named_service && !firewall.services.iter().any(|s| s.name == "tcp_8080") {
        firewall.services.push(ObservedService {
            name: "tcp_8080".into(),
            protocol: PortProtocol::Tcp,
            ports: "8080".into(),
            source_ports: None,
            tags: Vec::new(),
        });
    }
    if foreign.unreadable_service {
        firewall.objects.unreadable_services.push(UnreadableObject {
            name: "tcp_1000-2000".into(),
            tags: Vec::new(),
        });
    }
}

/// Names of service objects that are not palosync's: untagged, or unreadable.
fn foreign_service_names(firewall: &InMemoryFirewall, settings: &Settings) -> HashSet<String> {
    let untagged = firewall
        .services
        .iter()
        .filter(|s| !s.tags.contains(&settings.managed_tag))
        .map(|s| s.name.clone());
    let unreadable = firewall
        .objects
        .unreadable_services
        .iter()
        .map(|o| o.name.clone());
    untagged.chain(unreadable).collect()
}

fn step(world: &mut World, scope: &Scope) -> Result<(), TestCaseError> {
    let World {
        topology,
        settings,
        firewall,
    } = world;
    let foreign = foreign_service_names(firewall, settings);
    let plan = firewall
        .plan(topology, settings, scope)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    for op in plan.operations.iter().chain(&plan.cleanup) {
        if let Some(name) = op.service_name() {
            prop_assert!(
                !foreign.contains(name),
                "operation on a foreign object: {op:?}"
            );
        }
        if let Operation::CreateRule { rule, .. } | Operation::ReplaceRule { rule, .. } = op {
            for service in &rule.services {
                prop_assert!(
                    !foreign.contains(service),
                    "managed rule {} refers to a foreign object {service}",
                    rule.name
                );
            }
        }
    }
    let refused = firewall
        .apply(&plan)
        .map_err(|e| TestCaseError::fail(format!("{e}: {plan:#?}")))?;
    prop_assert!(
        refused.is_empty(),
        "planned deletes the device refuses: {refused:?}"
    );
    for rule in &firewall.rules {
        if owned_name(rule, &settings.managed_tag).is_some() {
            for service in &rule.services {
                prop_assert!(!foreign.contains(service), "{} uses {service}", rule.name);
            }
        }
    }
    support::exact::check_not_wider(firewall, topology, settings)?;
    Ok(())
}

fn never_narrower(world: &World) -> Result<(), TestCaseError> {
    let held = world
        .firewall
        .managed_allowances(&world.settings)
        .map_err(TestCaseError::fail)?;
    for missing in oracle::desired(&world.topology, &world.settings).difference(&held) {
        let flow = world.firewall.flow_not_shadowed(missing, &world.settings);
        prop_assert!(
            flow.is_none(),
            "desired, not held: {missing:?}, e.g. {flow:?}"
        );
    }
    Ok(())
}

/// The operator's service group that takes in every managed service object there is now.
fn group_managed_objects(firewall: &mut InMemoryFirewall, settings: &Settings) {
    let members: Vec<String> = firewall
        .services
        .iter()
        .filter(|s| s.tags.contains(&settings.managed_tag))
        .map(|s| s.name.clone())
        .collect();
    firewall.objects.service_groups.push(ObservedServiceGroup {
        name: "operator-ports".into(),
        members,
        tags: Vec::new(),
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn foreign_objects_are_never_used_edited_or_deleted_and_coverage_stays_exact(
        spec in world_spec(),
        foreign in foreign(),
        events in prop::collection::vec(random_event(), 0..6),
    ) {
        let mut world = build(&spec);
        add_foreign_objects(&mut world.firewall, &foreign);
        step(&mut world, &sync())?;
        never_narrower(&world)?;
        if foreign.group_takes_managed_objects {
            group_managed_objects(&mut world.firewall, &world.settings);
        }
        for event in &events {
            let scope = happen(&mut world.topology, event);
            step(&mut world, &scope)?;
        }
        step(&mut world, &sync())?;
        never_narrower(&world)?;
    }

    /// A read that lost the VPCs (a partial topology) must never open anything: the plan may
    /// keep what is there, but it never adds an allowance the full topology does not desire.
    #[test]
    fn a_topology_without_its_vpcs_never_opens_anything(
        spec in world_spec(),
        events in prop::collection::vec(random_event(), 1..4),
    ) {
        let mut world = build(&spec);
        step(&mut world, &sync())?;
        let before = world.firewall.managed_allowances(&world.settings).map_err(TestCaseError::fail)?;
        for event in &events {
            let scope = happen(&mut world.topology, event);
            let mut partial = world.topology.clone();
            partial.vpcs.clear();
            let plan = world.firewall.plan(&partial, &world.settings, &scope)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            world.firewall.apply(&plan).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let held = world.firewall.managed_allowances(&world.settings).map_err(TestCaseError::fail)?;
            let added: Vec<_> = held.difference(&before).collect();
            prop_assert!(added.is_empty(), "opened on a partial read: {added:?}");
        }
    }
}
