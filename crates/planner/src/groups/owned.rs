//! What palosync owns on the device in group mode's terms: its rules by shape, and its dynamic
//! address groups.
//!
//! A rule is palosync's by name and tag alone ([`crate::ownership`]); its shape says which
//! mode wrote it. A rule whose destinations are addresses is an address-mode rule; one whose
//! destination is a member-tag address group (`<managed_tag>.sg-…`) is a group-mode rule of
//! that group; anything else is neither. An address group is palosync's only when it has a
//! member-tag name *and* the managed tag: a same-named group without it is someone else's and
//! is never written, deleted or referenced. Read-only.

use crate::coverage::{OwnedRule, envelope_ok};
use crate::firewall::{DeviceObjects, ObservedRule};
use crate::services::ServiceMatch;
use crate::sources::ExternalSource;
use model::{GroupId, Settings};
use std::collections::{BTreeMap, BTreeSet};

/// The shape of an owned rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Every destination is an address: address mode's.
    Addresses,
    /// A group-mode rule of this group; `tuples` when palosync can read it back whole.
    Group {
        group: GroupId,
        tuples: Option<GroupTuples>,
    },
    /// Neither (empty or unreadable destinations).
    Other,
}

/// The allowances of a readable group-mode rule: sources × the group's members × service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupTuples {
    pub sources: BTreeSet<ExternalSource>,
    pub service: ServiceMatch,
}

/// The group whose member tag `name` is (`<managed_tag>.sg-…`), if it is one.
pub(crate) fn member_group(name: &str, settings: &Settings) -> Option<GroupId> {
    let id = name.strip_prefix(&settings.member_tag_prefix())?;
    let body = id.strip_prefix(GroupId::PREFIX)?;
    (!body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| GroupId::new(id))
}

/// The filter palosync writes for a member tag.
pub(crate) fn filter_for(tag: &str) -> String {
    format!("'{tag}'")
}

/// The shape of an owned rule.
pub(crate) fn shape_of(rule: &OwnedRule<'_>, settings: &Settings) -> Shape {
    let members = &rule.rule.destinations;
    if !members.is_empty() && rule.destinations.len() == members.len() {
        return Shape::Addresses;
    }
    let Some(group) = members
        .iter()
        .find_map(|m| member_group(m.trim(), settings))
    else {
        return Shape::Other;
    };
    let tuples = (members.len() == 1)
        .then(|| read_group_rule(rule.rule, settings))
        .flatten();
    Shape::Group { group, tuples }
}

/// A group-mode rule's sources and service, when it has exactly palosync's shape (one
/// application, one service, sources palosync writes, a well-formed envelope).
pub(crate) fn read_group_rule(rule: &ObservedRule, settings: &Settings) -> Option<GroupTuples> {
    let [application] = rule.applications.as_slice() else {
        return None;
    };
    let [service] = rule.services.as_slice() else {
        return None;
    };
    let service = ServiceMatch::parse(application, service)?;
    let mut sources = BTreeSet::new();
    for member in &rule.sources {
        sources.extend(ExternalSource::parse_member(member)?);
    }
    (!sources.is_empty() && envelope_ok(rule, settings)).then_some(GroupTuples { sources, service })
}

/// The member-tag address groups on the device, by group: palosync's (`true`) or not.
pub(crate) fn address_groups(
    objects: &DeviceObjects,
    settings: &Settings,
) -> BTreeMap<GroupId, bool> {
    objects
        .address_groups
        .iter()
        .filter_map(|g| {
            let group = member_group(&g.name, settings)?;
            Some((group, g.tags.iter().any(|t| t == &settings.managed_tag)))
        })
        .collect()
}

/// Deletes (cleanup) of palosync's address groups for `groups`, unless something still refers
/// to one after the plan: a rule not deleted (`deleted`) or written (`written`), a static
/// address group, another rulebase. PAN-OS refuses to delete a referenced object; those are
/// left with a note.
pub(crate) fn address_group_deletes(
    input: crate::candidates::PlanInput<'_>,
    groups: &[GroupId],
    deleted: &std::collections::HashSet<String>,
    written: &[&crate::firewall::RuleContent],
    why: &dyn Fn(&GroupId) -> String,
) -> (Vec<crate::operation::Operation>, Vec<String>) {
    let settings = input.settings;
    let mut cleanup = Vec::new();
    let mut notes = Vec::new();
    for group in groups {
        let name = settings.member_tag(group.as_str());
        let refers = |sources: &[String], destinations: &[String]| {
            sources.iter().chain(destinations).any(|m| m.trim() == name)
        };
        let written_names: std::collections::HashSet<&str> =
            written.iter().map(|r| r.name.as_str()).collect();
        let mut referrers: Vec<String> = input
            .rules
            .iter()
            .filter(|r| !deleted.contains(&r.name) && !written_names.contains(r.name.as_str()))
            .filter(|r| refers(&r.sources, &r.destinations))
            .map(|r| format!("security rule {}", r.name))
            .chain(
                written
                    .iter()
                    .filter(|r| refers(&r.sources, &r.destinations))
                    .map(|r| format!("security rule {}", r.name)),
            )
            .collect();
        referrers.extend(
            input
                .objects
                .address_groups
                .iter()
                .filter(|g| g.static_members.iter().any(|m| m == &name))
                .map(|g| format!("address group {}", g.name)),
        );
        referrers.extend(
            input
                .objects
                .references
                .iter()
                .filter(|r| r.object == name)
                .map(|r| r.from.clone()),
        );
        if !referrers.is_empty() {
            notes.push(format!(
                "address group {name} is left in place: {group} needs it no more, but {} still refers to it",
                crate::content::list(&referrers)
            ));
            continue;
        }
        cleanup.push(crate::operation::Operation::DeleteAddressGroup {
            why: crate::explanation::Explanation {
                text: format!("delete address group {name}: {}", why(group)),
                groups: vec![group.clone()],
                ..crate::explanation::Explanation::default()
            },
            name,
        });
    }
    (cleanup, notes)
}
