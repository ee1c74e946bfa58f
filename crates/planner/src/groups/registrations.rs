//! Group mode's members: which palosync tags each address should carry, and the User-ID
//! changes that get it there.
//!
//! An in-scope address (each family only where its default route goes through the firewall,
//! exactly the addresses address mode opens) carries `member_tag(G)` for every security group
//! of its interface and `member_tag(instance)`, so a terminated instance's addresses can be
//! found by tag. Any other address carries none of palosync's tags. Missing tags are
//! registered (all desired tags, so they refresh, when a registration timeout is set); tags in
//! palosync's namespace no longer desired are unregistered, but only for an address the
//! registration read covered and whose state this run decides ([`GroupFocus::decides`]).
//! Registrations not read at all are unknown: desired tags are registered again, none removed.
//! A device holds at most 32 tags per address: an address that would need more is skipped
//! whole, never registered partly. Pure.

use super::focus::GroupFocus;
use crate::desired::SkippedAllowance;
use crate::explanation::Explanation;
use crate::firewall::{ObservedRegistrations, RegistrationRead};
use crate::focus::Scope;
use crate::operation::{Registration, RegistrationChanges};
use crate::scope::{InScopeEni, all_addresses};
use model::{EniId, GroupId, InstanceId, Settings, Topology};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// The device's limit of tags on one registered address.
pub const MAX_TAGS_PER_ADDRESS: usize = 32;

/// The tags palosync wants on an in-scope address, and whose they are.
#[derive(Debug)]
pub(crate) struct Wanted<'a> {
    pub tags: BTreeSet<String>,
    pub eni: &'a InScopeEni<'a>,
}

/// Every in-scope address and the tags it should carry.
pub(crate) fn wanted<'a>(
    enis: &'a [InScopeEni<'a>],
    settings: &Settings,
) -> HashMap<IpAddr, Wanted<'a>> {
    let mut wanted = HashMap::new();
    for eni in enis {
        let tags: BTreeSet<String> = eni
            .eni
            .security_groups
            .iter()
            .map(|g| settings.member_tag(g.as_str()))
            .chain(std::iter::once(settings.member_tag(eni.instance.as_str())))
            .collect();
        for address in eni.addresses() {
            wanted.entry(address).or_insert_with(|| Wanted {
                tags: tags.clone(),
                eni,
            });
        }
    }
    wanted
}

/// The registration part of a plan.
#[derive(Debug, Default)]
pub(crate) struct RegistrationPlan {
    pub changes: RegistrationChanges,
    pub notes: Vec<String>,
    pub skipped: Vec<SkippedAllowance>,
}

/// The palosync tags read on each address, in address order.
fn registered(
    read: &ObservedRegistrations,
    settings: &Settings,
) -> BTreeMap<IpAddr, BTreeSet<String>> {
    let prefix = settings.member_tag_prefix();
    let mut by_address: BTreeMap<IpAddr, BTreeSet<String>> = BTreeMap::new();
    for entry in &read.entries {
        let ours = entry
            .tags
            .iter()
            .filter(|t| t.starts_with(&prefix))
            .cloned();
        by_address.entry(entry.address).or_default().extend(ours);
    }
    by_address
}

/// Whether the read covered `address`' registrations.
fn covered(
    read: &ObservedRegistrations,
    address: &IpAddr,
    current: Option<&BTreeSet<String>>,
) -> bool {
    match &read.read {
        RegistrationRead::Nothing => false,
        RegistrationRead::All => true,
        RegistrationRead::Some { addresses, tags } => {
            addresses.contains(address)
                || current.is_some_and(|c| tags.iter().any(|t| c.contains(t)))
        }
    }
}

/// The User-ID changes for every address this run decides.
pub(crate) fn plan_registrations(
    topology: &Topology,
    settings: &Settings,
    scope: &Scope,
    enis: &[InScopeEni<'_>],
    focus: &GroupFocus,
    read: &ObservedRegistrations,
) -> RegistrationPlan {
    let wanted = wanted(enis, settings);
    let current = registered(read, settings);
    let candidates: BTreeSet<IpAddr> = wanted
        .keys()
        .copied()
        .chain(current.keys().copied())
        .chain(topology.network_interfaces.iter().flat_map(all_addresses))
        .filter(|a| focus.decides(a))
        .collect();
    let mut plan = RegistrationPlan::default();
    let refresh = settings.registration_timeout.is_some();
    let nothing = BTreeSet::new();
    let mut unknown = 0usize;
    for address in candidates {
        let want = wanted.get(&address);
        let desired = want.map_or(&nothing, |w| &w.tags);
        let event = focus
            .claim(&address)
            .and_then(|k| scope.keys.get(k))
            .map(|(_, p)| p.summary())
            .unwrap_or_default();
        if let Some(w) = want.filter(|w| w.tags.len() > MAX_TAGS_PER_ADDRESS) {
            let reason = format!(
                "{address} would need {} tags, more than the {MAX_TAGS_PER_ADDRESS} a device holds per address; it is not registered and keeps what it has",
                w.tags.len()
            );
            plan.notes.push(reason.clone());
            plan.skipped
                .extend(w.eni.eni.security_groups.iter().map(|g| SkippedAllowance {
                    group: g.clone(),
                    permission: String::new(),
                    network_interface: w.eni.eni.id.clone(),
                    reason: reason.clone(),
                }));
            continue;
        }
        let has = current.get(&address);
        let known = covered(read, &address, has);
        let has = has.unwrap_or(&nothing);
        let register: Vec<String> = match (known, refresh) {
            (true, false) => desired.difference(has).cloned().collect(),
            _ => desired.iter().cloned().collect(),
        };
        let unregister: Vec<String> = if known {
            has.difference(desired).cloned().collect()
        } else {
            if !desired.is_empty() {
                unknown += 1;
            }
            Vec::new()
        };
        let why = |text: String| explain(text, want, event.clone());
        if !register.is_empty() {
            let text = format!(
                "register {address} with {}: {}",
                register.join(", "),
                reason(want)
            );
            plan.changes.register.push(Registration {
                address,
                tags: register,
                why: why(text),
            });
        }
        if !unregister.is_empty() {
            let text = format!(
                "unregister {} from {address}: {}",
                unregister.join(", "),
                match want {
                    Some(_) => "its interface no longer has those groups or that instance",
                    None =>
                        "it is no longer an address of a pending or running instance behind the firewall",
                }
            );
            plan.changes.unregister.push(Registration {
                address,
                tags: unregister,
                why: why(text),
            });
        }
    }
    if unknown > 0 {
        plan.notes.push(format!(
            "registrations of {unknown} address(es) were not read: their tags are registered again and none is removed"
        ));
    }
    let unread = focus.unread();
    if let Some(first) = unread.first() {
        plan.notes.push(format!(
            "registrations of {first}{} kept as they are: no interface holding it was read",
            match unread.len() {
                1 => String::new(),
                n => format!(" and {} more address(es)", n - 1),
            }
        ));
    }
    plan
}

fn reason(want: Option<&Wanted<'_>>) -> String {
    match want {
        Some(w) => format!(
            "{} {} is behind the firewall with {}",
            w.eni.instance,
            w.eni.eni.id,
            crate::content::list(&w.eni.eni.security_groups)
        ),
        None => "palosync's tags are refreshed".to_owned(),
    }
}

fn explain(text: String, want: Option<&Wanted<'_>>, event: String) -> Explanation {
    let (groups, enis, instances): (Vec<GroupId>, Vec<EniId>, Vec<InstanceId>) = match want {
        Some(w) => (
            w.eni.eni.security_groups.clone(),
            vec![w.eni.eni.id.clone()],
            vec![w.eni.instance.clone()],
        ),
        None => Default::default(),
    };
    Explanation {
        text,
        groups,
        permissions: Vec::new(),
        network_interfaces: enis,
        instances,
        event,
    }
}

/// Leaving group mode: every palosync registration goes, but only when the read was whole.
pub(crate) fn unregister_everything(
    read: &ObservedRegistrations,
    settings: &Settings,
) -> RegistrationPlan {
    let mut plan = RegistrationPlan::default();
    if read.read != RegistrationRead::All {
        if !read.entries.is_empty() {
            plan.notes.push(
                "registrations were not read whole: palosync's tags left from group mode stay until a sync reads them all".to_owned(),
            );
        }
        return plan;
    }
    for (address, tags) in registered(read, settings) {
        if tags.is_empty() {
            continue;
        }
        plan.changes.unregister.push(Registration {
            address,
            tags: tags.into_iter().collect(),
            why: Explanation {
                text: format!("unregister {address}: address mode does not use registrations"),
                ..Explanation::default()
            },
        });
    }
    plan
}
