//! The membership fast path: an instance (or interface) came or went, so only registrations
//! change, effective at once on the device, with no configuration write and no commit.
//!
//! The executor reads [`membership_reads`] (the keys' interfaces' addresses, and the tag of
//! each keyed instance that has no interface left), then asks [`plan_membership`] for the User-ID changes. They are exactly the
//! registrations the full plan would make for the same keys and read (the same code computes
//! both). When a group of a member has no address group on the device yet (its first member),
//! or a key is not an instance, interface or attachment key, `needs_policy` is non-empty and
//! the executor runs the full plan instead, which creates the address group and rules.

use super::focus::GroupFocus;
use super::policy::group_policies;
use super::registrations::plan_registrations;
use crate::firewall::{ObservedRegistrations, RegistrationRead};
use crate::focus::Scope;
use crate::operation::RegistrationChanges;
use crate::scope::{all_addresses, in_scope_enis};
use model::{GroupId, ReconcileKey, Settings, Topology};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// What an instance or interface event changes in group mode without the full plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    pub changes: RegistrationChanges,
    /// Groups that need an address group and rules that do not exist yet (or, for keys this
    /// path does not handle, every group of the topology): run the full plan.
    pub needs_policy: Vec<GroupId>,
    pub notes: Vec<String>,
}

/// Whether every key is one the fast path handles.
fn membership_keys(scope: &Scope) -> bool {
    scope.keys.iter().all(|(key, _)| {
        matches!(
            key,
            ReconcileKey::Instance(_)
                | ReconcileKey::NetworkInterface(_)
                | ReconcileKey::Attachment(_)
        )
    })
}

/// What the executor reads before [`plan_membership`]: the addresses of the keys' interfaces,
/// and the member tag of each keyed instance that has none left (so a terminated instance's
/// addresses are found). An address an instance lost while its event went missing keeps its
/// tags until a sync, which reads everything. For
/// keys the fast path does not handle, or an attachment that is gone: everything.
pub fn membership_reads(
    topology: &Topology,
    settings: &Settings,
    scope: &Scope,
) -> RegistrationRead {
    if !membership_keys(scope) {
        return RegistrationRead::All;
    }
    let mut addresses: BTreeSet<IpAddr> = BTreeSet::new();
    let mut tags = Vec::new();
    for (key, _) in &scope.keys {
        let interfaces: Vec<_> = match key {
            ReconcileKey::Instance(id) => {
                // An instance that still has its interfaces is read by their addresses (one
                // request for the usual single address; stop and start keep private
                // addresses). One without (terminated, or its record gone) is found by its tag.
                let interfaces = topology.interfaces_of(id);
                if interfaces.is_empty() {
                    tags.push(settings.member_tag(id.as_str()));
                }
                interfaces
            }
            ReconcileKey::NetworkInterface(id) => {
                topology.network_interface(id).into_iter().collect()
            }
            ReconcileKey::Attachment(id) => {
                let attached = topology.network_interfaces.iter().find(|n| {
                    n.attachment.as_ref().and_then(|a| a.attachment_id.as_ref()) == Some(id)
                });
                match attached {
                    Some(eni) => vec![eni],
                    None => return RegistrationRead::All,
                }
            }
            _ => Vec::new(),
        };
        addresses.extend(interfaces.into_iter().flat_map(all_addresses));
    }
    RegistrationRead::Some {
        addresses: addresses.into_iter().collect(),
        tags,
    }
}

/// The User-ID changes of instance and interface keys, and the groups that need the full plan.
/// `existing_groups`: the names of palosync's dynamic address groups in the running config.
pub fn plan_membership(
    topology: &Topology,
    settings: &Settings,
    scope: &Scope,
    registrations: &ObservedRegistrations,
    existing_groups: &[String],
) -> Membership {
    let everything = || Membership {
        needs_policy: topology
            .security_groups
            .iter()
            .map(|g| g.id.clone())
            .collect(),
        notes: vec!["these keys need the full plan".to_owned()],
        ..Membership::default()
    };
    if !membership_keys(scope) {
        return everything();
    }
    let scoped = in_scope_enis(topology, settings);
    let focus = GroupFocus::resolve(scope, topology, settings, registrations, &scoped.incomplete);
    if focus.is_everything() {
        return everything();
    }
    let enis = &scoped.in_scope;
    let plan = plan_registrations(topology, settings, scope, enis, &focus, registrations);
    let (policies, _) = group_policies(topology, settings, enis, &|_| None);
    let needs_policy = policies
        .iter()
        .filter(|(group, policy)| {
            policy.is_active()
                && focus.level(group).is_some()
                && !existing_groups.contains(&settings.member_tag(group.as_str()))
        })
        .map(|(group, _)| group.clone())
        .collect();
    Membership {
        changes: plan.changes,
        needs_policy,
        notes: plan.notes,
    }
}
