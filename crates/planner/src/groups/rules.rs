//! Group mode's rule and address-group writes: for each group the reconcile decides, make its
//! rules (one per service) and its address group exactly what [`super::policy`] wants, reusing
//! the rules that already hold a service, placing them above the bottom rule, and cleaning up
//! what no longer has a use. A rule keeps its name and position whenever it still serves, so
//! nothing changes when nothing changed.

use super::focus::{GroupFocus, Level};
use super::owned::{Shape, address_groups, filter_for, shape_of};
use super::policy::{GroupPolicy, RuleSources};
use crate::candidates::PlanInput;
use crate::content::{list, managed_rule};
use crate::coverage::OwnedRule;
use crate::desired::{Allowance, SkippedAllowance};
use crate::explanation::{Explanation, description, description_head, head_matches};
use crate::finish::objects::{ServiceUse, plan_services};
use crate::firewall::{AddressGroupContent, RuleContent};
use crate::operation::{Operation, ShadowedAllowance};
use crate::ownership::{NameAllocator, NamedAfter};
use crate::scope::InScopeEni;
use crate::service_names::ServiceNames;
use crate::services::{ServiceMatch, ServiceRef};
use crate::sources::group_members;
use model::GroupId;
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

/// What the assembler produces, before ordering.
#[derive(Debug, Default)]
pub(super) struct Assembled {
    pub operations: Vec<Operation>,
    pub cleanup: Vec<Operation>,
    pub shadowed: Vec<ShadowedAllowance>,
    pub notes: Vec<String>,
    pub skipped: Vec<SkippedAllowance>,
}

pub(super) struct Assembler<'c, 'a> {
    input: PlanInput<'a>,
    bottom: usize,
    owned: &'c [OwnedRule<'a>],
    shapes: Vec<Shape>,
    focus: &'c GroupFocus,
    policies: &'c BTreeMap<GroupId, GroupPolicy>,
    enis: &'c [InScopeEni<'a>],
    service_names: &'c ServiceNames,
    names: NameAllocator<'a>,
    block_start: usize,
    usage: ServiceUse,
    /// Member-tag address groups on the device: palosync's (`true`) or someone else's.
    dags: BTreeMap<GroupId, bool>,
    /// Address groups to delete once nothing refers to them.
    doomed: Vec<GroupId>,
    deleted: HashSet<String>,
    written: Vec<RuleContent>,
    /// Groups held by interfaces whose scope the read cannot decide: never removed.
    uncertain: HashSet<GroupId>,
    out: Assembled,
}

impl<'c, 'a> Assembler<'c, 'a> {
    pub fn new(
        input: PlanInput<'a>,
        bottom: usize,
        owned: &'c [OwnedRule<'a>],
        focus: &'c GroupFocus,
        policies: &'c BTreeMap<GroupId, GroupPolicy>,
        enis: &'c [InScopeEni<'a>],
        service_names: &'c ServiceNames,
    ) -> Self {
        let positions: HashSet<usize> = owned.iter().map(|r| r.position).collect();
        let mut block_start = bottom;
        while block_start > 0 && positions.contains(&(block_start - 1)) {
            block_start -= 1;
        }
        Self {
            shapes: owned.iter().map(|r| shape_of(r, input.settings)).collect(),
            dags: address_groups(input.objects, input.settings),
            names: NameAllocator::new(input.rules.iter().map(|r| r.name.as_str())),
            input,
            bottom,
            owned,
            focus,
            policies,
            enis,
            service_names,
            block_start,
            usage: ServiceUse::default(),
            doomed: Vec::new(),
            deleted: HashSet::new(),
            written: Vec::new(),
            uncertain: HashSet::new(),
            out: Assembled::default(),
        }
    }

    /// Groups whose membership the read cannot decide (held by an incomplete interface).
    pub fn with_uncertain(mut self, groups: HashSet<GroupId>) -> Self {
        self.uncertain = groups;
        self
    }

    pub fn run(mut self) -> Assembled {
        let mut by_group: BTreeMap<GroupId, Vec<usize>> = BTreeMap::new();
        for (i, shape) in self.shapes.iter().enumerate() {
            if let Shape::Group { group, .. } = shape {
                by_group.entry(group.clone()).or_default().push(i);
            }
        }
        let groups: BTreeSet<GroupId> = self
            .policies
            .keys()
            .chain(by_group.keys())
            .chain(self.dags.keys())
            .cloned()
            .collect();
        for group in &groups {
            let rules = by_group.get(group).map_or(&[][..], Vec::as_slice);
            self.group(group, rules);
        }
        if self.focus.is_everything() {
            self.leave_address_mode();
        }
        let changes = plan_services(
            &self.input,
            self.service_names,
            self.focus.is_everything(),
            &self.usage,
        );
        self.out.operations.extend(changes.operations);
        self.out.cleanup.extend(changes.cleanup);
        self.out.notes.extend(changes.notes);
        let doomed = std::mem::take(&mut self.doomed);
        let (cleanup, notes) = super::owned::address_group_deletes(
            self.input,
            &doomed,
            &self.deleted,
            &self.written.iter().collect::<Vec<_>>(),
            &|group| format!("{group} has no member behind the firewall any more"),
        );
        self.out.cleanup.extend(cleanup);
        self.out.notes.extend(notes);
        self.out
    }

    fn event(&self, key: usize) -> String {
        self.input
            .scope
            .keys
            .get(key)
            .map(|(_, p)| p.summary())
            .unwrap_or_default()
    }

    /// Decide one group's address group and rules, as far as the focus says.
    fn group(&mut self, group: &GroupId, rules: &[usize]) {
        let Some((level, key)) = self.focus.level(group) else {
            return;
        };
        let policy = self.policies.get(group);
        let active = policy.is_some_and(GroupPolicy::is_active);
        let dag = self.dags.get(group).copied();
        let proceed = match level {
            Level::FirstMember => active && dag.is_none(),
            Level::Refresh => active,
            Level::Full => true,
        };
        if !proceed {
            return;
        }
        if !active && self.uncertain.contains(group) {
            self.out.notes.push(format!(
                "{group} is kept as it is: an interface holding it could not be placed from the read"
            ));
            return;
        }
        let settings = self.input.settings;
        let tag = settings.member_tag(group.as_str());
        let event = self.event(key);
        if dag == Some(false) {
            if let Some(policy) = policy.filter(|_| active) {
                let reason = format!(
                    "address group {tag} exists without the tag {}: it is someone else's, so {group} gets no rule",
                    settings.managed_tag
                );
                self.out.notes.push(reason.clone());
                self.out.skipped.push(SkippedAllowance {
                    group: group.clone(),
                    permission: String::new(),
                    network_interface: self.enis[policy.members[0]].eni.id.clone(),
                    reason,
                });
            }
            if level == Level::Full {
                for &r in rules {
                    self.delete(
                        r,
                        "it refers to an address group that is not palosync's",
                        &event,
                    );
                }
            }
            return;
        }
        if tag.chars().count() > model::settings::MAX_PANOS_NAME {
            self.out.notes.push(format!(
                "{group} gets no address group: {tag} would exceed 63 characters"
            ));
            return;
        }
        let wanted: Vec<(ServiceMatch, RuleSources)> = match policy {
            Some(p) if active => p.wanted(),
            _ => Vec::new(),
        };
        if let Some(policy) = policy.filter(|_| active) {
            self.report_shadowed(policy);
            self.ensure_address_group(group, &tag, &event);
        } else if dag == Some(true) {
            self.doomed.push(group.clone());
        }
        self.settle(group, rules, &wanted, &event);
    }

    fn ensure_address_group(&mut self, group: &GroupId, tag: &str, event: &str) {
        let settings = self.input.settings;
        let content = AddressGroupContent {
            name: tag.to_owned(),
            filter: filter_for(tag),
            description: format!("members of {group} behind the firewall, registered by palosync"),
            tags: vec![settings.managed_tag.clone()],
        };
        let current = self
            .input
            .objects
            .address_groups
            .iter()
            .find(|g| g.name == tag);
        let fine = current.is_some_and(|g| {
            g.dynamic_filter.as_deref() == Some(content.filter.as_str())
                && g.static_members.is_empty()
                && g.tags == content.tags
                && g.description == content.description
        });
        if fine {
            return;
        }
        self.out.operations.push(Operation::CreateAddressGroup {
            why: Explanation {
                text: format!(
                    "address group {tag}: the members of {group}, by their registered tag"
                ),
                groups: vec![group.clone()],
                event: event.to_owned(),
                ..Explanation::default()
            },
            group: content,
        });
    }

    fn report_shadowed(&mut self, policy: &GroupPolicy) {
        for (service, sources) in &policy.shadowed {
            for (source, position) in sources {
                let rule = &self.input.rules[*position].name;
                for &m in &policy.members {
                    let member = &self.enis[m];
                    let addresses = member
                        .addresses()
                        .filter(|a| source.pairs_with(a) && self.focus.claim(a).is_some());
                    for destination in addresses {
                        self.out.shadowed.push(ShadowedAllowance {
                            allowance: Allowance {
                                source: source.source,
                                destination,
                                service: *service,
                            },
                            rule: rule.clone(),
                        });
                    }
                }
            }
        }
    }

    /// One group's rules: keep those that hold a wanted service, rewrite or reuse the rest,
    /// create what is missing, delete what is left.
    fn settle(
        &mut self,
        group: &GroupId,
        rules: &[usize],
        wanted: &[(ServiceMatch, RuleSources)],
        event: &str,
    ) {
        let mut hosted: HashSet<usize> = HashSet::new();
        let mut missing: Vec<&(ServiceMatch, RuleSources)> = Vec::new();
        for entry in wanted {
            let host = rules.iter().copied().find(|&r| {
                !hosted.contains(&r)
                    && matches!(&self.shapes[r], Shape::Group { tuples: Some(t), .. } if t.service == entry.0)
            });
            match host {
                Some(r) => {
                    hosted.insert(r);
                    self.write(group, Some(r), entry, event);
                }
                None => missing.push(entry),
            }
        }
        let mut leftovers: VecDeque<usize> = rules
            .iter()
            .copied()
            .filter(|r| !hosted.contains(r))
            .collect();
        for entry in missing {
            let reusable = leftovers
                .iter()
                .position(|&r| self.owned[r].name.owner == NamedAfter::Group(group.clone()));
            let reused = reusable.and_then(|i| leftovers.remove(i));
            self.write(group, reused, entry, event);
        }
        for r in leftovers {
            self.delete(r, &format!("{group} no longer allows what it holds"), event);
        }
    }

    /// Write one (group, service) rule: keep `existing` as is when it is exact, else replace
    /// it; create a new rule when there is none.
    fn write(
        &mut self,
        group: &GroupId,
        existing: Option<usize>,
        (service, sources): &(ServiceMatch, RuleSources),
        event: &str,
    ) {
        let topology = self.input.topology;
        let security_group = topology.security_group(group);
        let mut permissions: Vec<String> = sources
            .values()
            .flatten()
            .filter_map(|&p| {
                let protocol = &security_group?.ingress.get(p as usize)?.protocol;
                Some(format!("{group} {protocol}"))
            })
            .collect();
        permissions.sort();
        permissions.dedup();
        let head = description_head(&[format!("members of {group}")], &permissions);
        let source_set: BTreeSet<_> = sources.keys().copied().collect();
        let members = group_members(&source_set);
        if let ServiceRef::Object(object) = service.service {
            self.usage.used.insert(object);
        }
        if let Some(r) = existing {
            let owned = &self.owned[r];
            let exact = matches!(&self.shapes[r], Shape::Group { tuples: Some(t), .. }
                if t.service == *service && t.sources == source_set)
                && owned.rule.services == [self.service_names.member(*service)]
                && head_matches(&owned.rule.description, &head);
            if !exact {
                let content =
                    self.content(&owned.rule.name, group, *service, &members, &head, event);
                self.usage
                    .dropped
                    .extend(owned.rule.services.iter().cloned());
                self.usage.added.extend(content.services.iter().cloned());
                let why = Explanation {
                    text: format!(
                        "replace {}: allow {service} from {} to the members of {group}, as {}",
                        owned.rule.name,
                        list(&members),
                        list(&permissions)
                    ),
                    groups: vec![group.clone()],
                    permissions: permissions.clone(),
                    event: event.to_owned(),
                    ..Explanation::default()
                };
                self.written.push(content.clone());
                self.out.operations.push(Operation::ReplaceRule {
                    rule: Box::new(content),
                    why,
                });
            }
            self.place(r, event);
            return;
        }
        let Some(name) = self.names.allocate(&NamedAfter::Group(group.clone())) else {
            self.out.notes.push(format!(
                "no rule for {service} to the members of {group}: a name after it would exceed 63 characters"
            ));
            return;
        };
        let content = self.content(&name, group, *service, &members, &head, event);
        self.usage.added.extend(content.services.iter().cloned());
        let why = Explanation {
            text: format!(
                "create {name}: allow {service} from {} to the members of {group}, as {}",
                list(&members),
                list(&permissions)
            ),
            groups: vec![group.clone()],
            permissions,
            event: event.to_owned(),
            ..Explanation::default()
        };
        self.written.push(content.clone());
        self.out.operations.push(Operation::CreateRule {
            rule: Box::new(content),
            why,
        });
        self.out.operations.push(Operation::MoveAboveBottom {
            name: name.clone(),
            bottom_rule: self.input.settings.bottom_rule.clone(),
            why: Explanation {
                text: format!(
                    "place {name} directly above {}",
                    self.input.settings.bottom_rule
                ),
                event: event.to_owned(),
                ..Explanation::default()
            },
        });
    }

    fn content(
        &self,
        name: &str,
        group: &GroupId,
        service: ServiceMatch,
        members: &[String],
        head: &str,
        event: &str,
    ) -> RuleContent {
        let settings = self.input.settings;
        managed_rule(
            settings,
            name,
            members.to_vec(),
            vec![settings.member_tag(group.as_str())],
            (service, self.service_names.member(service)),
            description(head, event),
        )
    }

    /// Move a kept rule back above the bottom rule if it is outside the managed block.
    fn place(&mut self, r: usize, event: &str) {
        let owned = &self.owned[r];
        if (self.block_start..self.bottom).contains(&owned.position) {
            return;
        }
        let bottom_rule = &self.input.settings.bottom_rule;
        self.out.operations.push(Operation::MoveAboveBottom {
            name: owned.rule.name.clone(),
            bottom_rule: bottom_rule.clone(),
            why: Explanation {
                text: format!(
                    "move {} directly above {bottom_rule}: managed rules sit there",
                    owned.rule.name
                ),
                event: event.to_owned(),
                ..Explanation::default()
            },
        });
    }

    fn delete(&mut self, r: usize, reason: &str, event: &str) {
        let owned = &self.owned[r];
        let name = owned.rule.name.clone();
        self.usage
            .dropped
            .extend(owned.rule.services.iter().cloned());
        self.deleted.insert(name.clone());
        self.out.operations.push(Operation::DeleteRule {
            why: Explanation {
                text: format!("delete {name}: {reason}"),
                event: event.to_owned(),
                ..Explanation::default()
            },
            name,
        });
    }

    /// A full sync in group mode removes every owned rule that is not a group-mode rule.
    fn leave_address_mode(&mut self) {
        let key = self
            .focus
            .addresses
            .everything_claim()
            .map_or(0, |c| self.focus.addresses.claims[c].key);
        let event = self.event(key);
        for r in 0..self.owned.len() {
            let reason = match self.shapes[r] {
                Shape::Addresses => "group mode writes its allowances as group rules",
                Shape::Other => {
                    "it holds members palosync never writes, so what it allows cannot be proven desired"
                }
                Shape::Group { .. } => continue,
            };
            self.delete(r, reason, &event);
        }
    }
}
