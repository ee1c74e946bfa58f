//! Which destinations of the owned rules in scope the topology read actually covers.
//!
//! A narrow reconcile reads only what its keys name. A managed rule's destination that is on
//! no interface of that read is not thereby gone: its interface may simply not have been read
//! (an instance whose interface moved from the keyed group to another one, a subnet or VPC the
//! read lacks). Removing allowances there would cut access that security groups still grant
//! (issue 12, item 7). So a destination counts as *read* only when
//! - the read is whole (`Everything`), or
//! - an interface in the topology holds it (its current groups are known), or
//! - the inventory was asked for it and reported it absent (`absent_addresses`), or
//! - the rule names it after, or describes as a target, an instance or interface whose every
//!   interface the read covers: an `Instance` or `NetworkInterface` key, an interface present
//!   in the topology, or one reported absent (`absent_instances`, `absent_network_interfaces`).
//!
//! Everything else is *unread*: its allowances are kept as they are, none are added, and
//! [`read_targets`] lists what the inventory must read so that the next plan can decide. An
//! interface whose VPC, subnet, route table or instance is missing (see
//! [`crate::scope::IncompleteEni`]) is unread too, even under `Everything`.
//! Pure; never decides what is desired.

use crate::candidates::PlanInput;
use crate::coverage::{OwnedRule, read_owned};
use crate::explanation::described_targets;
use crate::focus::{Focus, resolve};
use crate::ownership::NamedAfter;
use crate::scope::{IncompleteEni, all_addresses, in_scope_enis};
use model::{EniId, InstanceId, ReadTargets, ReconcileKey, Topology};
use std::collections::{BTreeSet, HashSet};
use std::net::IpAddr;

/// The ids an owned rule points at: the instance it is named after and its described targets.
fn rule_targets<'r>(rule: &'r OwnedRule<'_>) -> impl Iterator<Item = &'r str> {
    let owner = match &rule.name.owner {
        NamedAfter::Instance(id) => Some(id.as_str()),
        NamedAfter::Group(_) => None,
    };
    owner
        .into_iter()
        .chain(described_targets(&rule.rule.description))
}

/// Destinations of owned rules in scope whose current state the read does not cover, with the
/// ids (interfaces and instances) their rules name.
pub(crate) fn unread_destinations(
    topology: &Topology,
    keys: &[ReconcileKey],
    owned: &[OwnedRule<'_>],
    focus: &Focus,
    incomplete: &[IncompleteEni<'_>],
) -> (HashSet<IpAddr>, BTreeSet<String>) {
    let mut unread: HashSet<IpAddr> = incomplete
        .iter()
        .flat_map(|i| all_addresses(i.eni))
        .collect();
    let mut named = BTreeSet::new();
    if focus.is_everything() {
        return (unread, named);
    }
    let on_interfaces: HashSet<IpAddr> = topology
        .network_interfaces
        .iter()
        .flat_map(all_addresses)
        .collect();
    let absent: HashSet<&IpAddr> = topology.absent_addresses.iter().collect();
    let mut whole: HashSet<&str> = keys
        .iter()
        .filter_map(|key| match key {
            ReconcileKey::Instance(id) => Some(id.as_str()),
            ReconcileKey::NetworkInterface(id) => Some(id.as_str()),
            _ => None,
        })
        .collect();
    whole.extend(topology.absent_instances.iter().map(InstanceId::as_str));
    whole.extend(topology.absent_network_interfaces.iter().map(EniId::as_str));
    whole.extend(topology.network_interfaces.iter().map(|n| n.id.as_str()));
    for rule in owned.iter().filter(|r| focus.covers_rule(r)) {
        let covered_by_target = rule_targets(rule).any(|id| whole.contains(id));
        let mut any_unread = false;
        for destination in &rule.destinations {
            let read = on_interfaces.contains(destination)
                || absent.contains(destination)
                || covered_by_target;
            if !read && focus.contains(destination) {
                unread.insert(*destination);
                any_unread = true;
            }
        }
        if any_unread {
            named.extend(rule_targets(rule).map(str::to_owned));
        }
    }
    (unread, named)
}

/// What the inventory must read, beyond the keys, before the planner can decide every
/// destination the keys claim: the unread destinations of owned rules in scope and the
/// interfaces and instances those rules name. Empty when the read already covers them.
pub fn read_targets(input: PlanInput<'_>) -> ReadTargets {
    if input.settings.mode == model::PolicyMode::Groups {
        return crate::groups::read_targets(input);
    }
    let owned = read_owned(input.rules, input.settings);
    let mut focus = resolve(input.scope, input.topology, &owned);
    focus.widen_for_foreign_edits(&owned, input.topology);
    let scoped = in_scope_enis(input.topology, input.settings);
    let keys: Vec<ReconcileKey> = input.scope.keys.iter().map(|(k, _)| k.clone()).collect();
    let (unread, named) =
        unread_destinations(input.topology, &keys, &owned, &focus, &scoped.incomplete);
    let incomplete: HashSet<IpAddr> = scoped
        .incomplete
        .iter()
        .flat_map(|i| all_addresses(i.eni))
        .collect();
    let mut addresses: Vec<IpAddr> = unread.difference(&incomplete).copied().collect();
    addresses.sort_unstable();
    let mut targets = ReadTargets {
        addresses,
        ..ReadTargets::default()
    };
    for id in named {
        if id.starts_with(EniId::PREFIX) {
            targets.network_interfaces.push(EniId::new(id));
        } else if id.starts_with(InstanceId::PREFIX) {
            targets.instances.push(InstanceId::new(id));
        }
    }
    targets
}
