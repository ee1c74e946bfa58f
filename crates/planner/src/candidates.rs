//! Phase one of planning: compare what is desired in scope with what the owned rules allow,
//! and list the policy-match questions the missing allowances need.
//!
//! For each owned rule in scope, the allowances it keeps are those to addresses outside the
//! scope (left as they are) and those still desired; the rest go. Desired allowances in scope
//! that no kept rule holds, and that a claim admits, are missing. Phase two
//! ([`AddressCandidates::finish`]) takes the answers and writes the plan. Pure: no IO.

use crate::content::Texts;
use crate::coverage::{OwnedRule, read_owned};
use crate::desired::{Allowance, Desired, SkippedAllowance, Slot, desired_for};
use crate::firewall::{DeviceObjects, ObservedRule, ObservedService};
use crate::focus::{Focus, Scope, resolve};
use crate::knowledge::unread_destinations;
use crate::scope::{InScopeEni, all_addresses, in_scope_enis};
use crate::service_names::ServiceNames;
use crate::services::ServiceMatch;
use crate::shadow::{PolicyMatchQuery, StaticShadows, StaticVerdict, query_for};
use crate::sources::Source;
use model::{Settings, Topology};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

/// Everything the planner decides from.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    pub topology: &'a Topology,
    pub settings: &'a Settings,
    pub scope: &'a Scope,
    /// Every security rule of the vsys, in firewall order: the index is the position.
    pub rules: &'a [ObservedRule],
    /// Every service object of the vsys.
    pub services: &'a [ObservedService],
    /// Address objects and groups, service groups, unreadable objects and references from
    /// other rulebases.
    pub objects: &'a DeviceObjects,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the bottom rule {0:?} is not on the firewall; managed rules have nowhere to go")]
    BottomRuleMissing(String),
    #[error(
        "the bottom rule {0:?} has a managed rule's name and tag; refusing to plan around a rule palosync could delete"
    )]
    BottomRuleOwned(String),
    #[error("two rules on the firewall are named {0:?}")]
    DuplicateRuleName(String),
}

/// An owned rule in scope and the allowances it keeps.
#[derive(Debug)]
pub(crate) struct KeptRule {
    /// Index into `AddressCandidates::owned`.
    pub owned: usize,
    /// Kept sources by destination; empty when nothing is kept.
    pub kept: BTreeMap<IpAddr, BTreeSet<Source>>,
    pub service: Option<ServiceMatch>,
    /// Allowances dropped because they are no longer desired (or unreadable).
    pub removed: Vec<Allowance>,
    pub readable: bool,
}

impl KeptRule {
    pub fn changed(&self) -> bool {
        !self.readable || !self.removed.is_empty()
    }
}

/// The result of phase one: the questions to ask, and what phase two needs.
#[derive(Debug)]
pub(crate) struct AddressCandidates<'a> {
    pub(crate) input: PlanInput<'a>,
    pub(crate) bottom: usize,
    pub(crate) owned: Vec<OwnedRule<'a>>,
    pub(crate) focus: Focus,
    pub(crate) enis: Vec<InScopeEni<'a>>,
    /// In-scope destination address to its interface (index into `enis`).
    pub(crate) destinations: HashMap<IpAddr, usize>,
    pub(crate) desired: Desired,
    pub(crate) texts: Texts,
    pub(crate) kept: Vec<KeptRule>,
    /// Missing allowances the scope admits, with the claim that admits each.
    pub(crate) missing: BTreeMap<Slot, BTreeMap<Source, usize>>,
    /// Claimed destinations whose current state was not read (see [`crate::knowledge`]).
    pub(crate) unread: HashSet<IpAddr>,
    pub(crate) service_names: ServiceNames,
    /// What the rulebase alone says about each missing allowance (see [`crate::shadow`]);
    /// an allowance that is absent is not covered by any rule.
    pub(crate) verdicts: HashMap<Allowance, StaticVerdict>,
    queries: Vec<PolicyMatchQuery>,
}

impl<'a> AddressCandidates<'a> {
    /// The policy-match questions to ask the firewall before [`AddressCandidates::finish`].
    pub fn queries(&self) -> &[PolicyMatchQuery] {
        &self.queries
    }

    /// Whether `rule` refers to palosync's own object for `service` (not a foreign object of
    /// the conventional name, which an older version may have used).
    pub(crate) fn names_own_service(&self, rule: &ObservedRule, service: ServiceMatch) -> bool {
        rule.services == [self.service_names.member(service)]
    }

    /// Whether this plan decides what `destination` is allowed: claimed and read.
    pub(crate) fn decides(&self, destination: &IpAddr) -> bool {
        self.focus.contains(destination) && !self.unread.contains(destination)
    }

    /// Every missing allowance, as the candidate creates.
    pub fn missing(&self) -> impl Iterator<Item = Allowance> + '_ {
        self.missing
            .iter()
            .flat_map(|((destination, service), sources)| {
                sources.keys().map(|source| Allowance {
                    source: *source,
                    destination: *destination,
                    service: *service,
                })
            })
    }
}

/// Phase one: candidates and the questions they need.
pub(crate) fn plan_address_candidates(
    input: PlanInput<'_>,
) -> Result<AddressCandidates<'_>, PlanError> {
    let PlanInput {
        topology,
        settings,
        scope,
        rules,
        services,
        objects,
    } = input;
    let (bottom, owned) = bottom_and_owned(rules, settings)?;
    let mut focus = resolve(scope, topology, &owned);
    focus.widen_for_foreign_edits(&owned, topology);
    let scoped = in_scope_enis(topology, settings);
    let keys: Vec<_> = scope.keys.iter().map(|(k, _)| k.clone()).collect();
    let (unread, _) = unread_destinations(topology, &keys, &owned, &focus, &scoped.incomplete);
    let enis = scoped.in_scope;
    let mut destinations = HashMap::new();
    for (i, eni) in enis.iter().enumerate() {
        for address in eni.addresses() {
            destinations.entry(address).or_insert(i);
        }
    }
    let service_names = ServiceNames::new(services, input.objects, &settings.managed_tag);
    let veto = |service: &crate::services::ServiceMatch| service_names.veto(service);
    let focused = enis
        .iter()
        .filter(|eni| eni.addresses().any(|a| focus.contains(&a)));
    let mut desired = desired_for(topology, settings, focused, &veto);
    desired
        .slots
        .retain(|(address, _), _| focus.contains(address));
    for incomplete in &scoped.incomplete {
        if !all_addresses(incomplete.eni).any(|a| focus.contains(&a)) {
            continue;
        }
        let skipped = incomplete
            .eni
            .security_groups
            .iter()
            .map(|group| SkippedAllowance {
                group: group.clone(),
                permission: String::new(),
                network_interface: incomplete.eni.id.clone(),
                reason: format!(
                    "interface skipped: {}; it gets no allowance and keeps the ones it has",
                    incomplete.reason
                ),
            });
        desired.skipped.extend(skipped);
        if incomplete.eni.security_groups.is_empty() {
            focus.notes.push(format!(
                "interface {} skipped: {}",
                incomplete.eni.id, incomplete.reason
            ));
        }
    }
    let mut unread_sorted: Vec<&IpAddr> = unread
        .iter()
        .filter(|a| {
            !scoped
                .incomplete
                .iter()
                .any(|i| all_addresses(i.eni).any(|b| &b == *a))
        })
        .collect();
    unread_sorted.sort_unstable();
    if let Some(first) = unread_sorted.first() {
        focus.notes.push(format!(
            "allowances to {first}{} kept as they are: no interface holding {} was read by this reconcile, so whether they are still desired is unknown",
            match unread_sorted.len() {
                1 => String::new(),
                n => format!(" and {} more address(es)", n - 1),
            },
            if unread_sorted.len() == 1 { "it" } else { "them" },
        ));
    }

    let kept: Vec<KeptRule> = owned
        .iter()
        .enumerate()
        .filter(|(_, rule)| focus.covers_rule(rule))
        .map(|(i, rule)| keep(i, rule, &focus, &desired, &unread))
        .collect();
    let covered: HashSet<(Slot, Source)> = kept
        .iter()
        .filter_map(|k| k.service.map(|service| (k, service)))
        .flat_map(|(k, service)| {
            k.kept.iter().flat_map(move |(destination, sources)| {
                sources
                    .iter()
                    .map(move |source| ((*destination, service), *source))
            })
        })
        .collect();
    let mut missing: BTreeMap<Slot, BTreeMap<Source, usize>> = BTreeMap::new();
    for (slot, sources) in &desired.slots {
        for (source, backers) in sources {
            if covered.contains(&(*slot, *source)) {
                continue;
            }
            if let Some(claim) = focus.admitting(&slot.0, backers, topology) {
                missing.entry(*slot).or_default().insert(*source, claim);
            }
        }
    }
    let texts = Texts::new(topology, &enis);
    let mut candidates = AddressCandidates {
        input,
        bottom,
        owned,
        focus,
        enis,
        destinations,
        texts,
        desired,
        kept,
        missing,
        unread,
        service_names,
        verdicts: HashMap::new(),
        queries: Vec::new(),
    };
    let shadows = StaticShadows::new(rules, bottom, services, objects, settings);
    // Only what is not simply "not covered" is kept: at 5,000 instances every allowance's
    // verdict would be a 40 MiB table of nothing to report.
    candidates.verdicts = candidates
        .missing()
        .map(|allowance| (allowance, shadows.decide(&allowance)))
        .filter(|(_, verdict)| *verdict != StaticVerdict::NotCovered)
        .collect();
    let queries: BTreeSet<PolicyMatchQuery> = candidates
        .verdicts
        .iter()
        .filter(|(_, verdict)| **verdict == StaticVerdict::Undecidable)
        .filter_map(|(allowance, _)| query_for(allowance, settings))
        .collect();
    candidates.queries = queries.into_iter().collect();
    Ok(candidates)
}

/// The bottom rule's position and every owned rule, after the checks both modes need: rule
/// names are unique, the bottom rule exists and is not palosync's.
pub(crate) fn bottom_and_owned<'a>(
    rules: &'a [ObservedRule],
    settings: &Settings,
) -> Result<(usize, Vec<OwnedRule<'a>>), PlanError> {
    let mut names = HashSet::with_capacity(rules.len());
    if let Some(duplicate) = rules.iter().find(|r| !names.insert(r.name.as_str())) {
        return Err(PlanError::DuplicateRuleName(duplicate.name.clone()));
    }
    let bottom = rules
        .iter()
        .position(|r| r.name == settings.bottom_rule)
        .ok_or_else(|| PlanError::BottomRuleMissing(settings.bottom_rule.clone()))?;
    let owned = read_owned(rules, settings);
    if owned.iter().any(|r| r.position == bottom) {
        return Err(PlanError::BottomRuleOwned(settings.bottom_rule.clone()));
    }
    Ok((bottom, owned))
}

/// What an owned rule in scope keeps.
fn keep(
    index: usize,
    rule: &OwnedRule<'_>,
    focus: &Focus,
    desired: &Desired,
    unread: &HashSet<IpAddr>,
) -> KeptRule {
    let Some(tuples) = &rule.tuples else {
        return KeptRule {
            owned: index,
            kept: BTreeMap::new(),
            service: None,
            removed: Vec::new(),
            readable: false,
        };
    };
    let mut kept: BTreeMap<IpAddr, BTreeSet<Source>> = BTreeMap::new();
    let mut removed = Vec::new();
    for destination in &tuples.destinations {
        let slot = (*destination, tuples.service);
        for source in &tuples.sources {
            if !focus.contains(destination)
                || unread.contains(destination)
                || desired.contains(&slot, source)
            {
                kept.entry(*destination).or_default().insert(*source);
            } else {
                removed.push(Allowance {
                    source: *source,
                    destination: *destination,
                    service: tuples.service,
                });
            }
        }
    }
    KeptRule {
        owned: index,
        kept,
        service: Some(tuples.service),
        removed,
        readable: true,
    }
}
