//! Phase two of planning: given the policy-match answers, decide each rule's fate and write the
//! ordered plan.
//!
//! Granularity: a managed rule holds one destination address and one application/service, with
//! every source that may reach it (`(address, service)` is a slot). A missing allowance joins the
//! rule that already holds its slot (one `ReplaceRule`); a slot without a rule gets a new one,
//! named by the claim's cause. A rule keeps its name and position whenever any of it survives,
//! so churn is proportional to the change and nothing changes when nothing changed. Rules of
//! other shapes (several destinations) are kept as they are while exact, and split by
//! destination only when they must change.

use crate::candidates::{AddressCandidates, KeptRule};
use crate::content::list;
use crate::desired::{Allowance, Slot};
use crate::explanation::{Explanation, head_matches};
use crate::operation::{Operation, Plan, ShadowedAllowance, order};
use crate::ownership::{NameAllocator, NamedAfter};
use crate::services::{ServiceMatch, ServiceRef};
use crate::shadow::{PolicyAnswers, StaticVerdict, query_for, shadowing_rule};
use crate::sources::Source;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::net::IpAddr;

pub(crate) mod objects;

use objects::{ServiceUse, plan_services};

/// Sources by destination: the allowances of one rule with one service.
type Coverage = BTreeMap<IpAddr, BTreeSet<Source>>;

impl AddressCandidates<'_> {
    /// Phase two: the final plan, given the answers to [`AddressCandidates::queries`].
    pub fn finish(self, answers: &PolicyAnswers) -> Plan {
        Assembler::new(&self).run(answers)
    }
}

struct Assembler<'c, 'a> {
    c: &'c AddressCandidates<'a>,
    names: NameAllocator<'a>,
    operations: Vec<Operation>,
    plan: Plan,
    block_start: usize,
    services: ServiceUse,
}

impl<'c, 'a> Assembler<'c, 'a> {
    fn new(c: &'c AddressCandidates<'a>) -> Self {
        let owned: HashSet<usize> = c.owned.iter().map(|r| r.position).collect();
        let mut block_start = c.bottom;
        while block_start > 0 && owned.contains(&(block_start - 1)) {
            block_start -= 1;
        }
        Self {
            c,
            names: NameAllocator::new(c.input.rules.iter().map(|r| r.name.as_str())),
            operations: Vec::new(),
            plan: Plan {
                skipped: c.desired.skipped.clone(),
                notes: c.focus.notes.clone(),
                ..Plan::default()
            },
            block_start,
            services: ServiceUse::default(),
        }
    }

    fn run(mut self, answers: &PolicyAnswers) -> Plan {
        let to_add = self.drop_shadowed(answers);
        // The rule that hosts each slot: a readable owned rule in scope with that one
        // destination and service, the first by position.
        let mut hosts: HashMap<Slot, usize> = HashMap::new();
        for (k, kept) in self.c.kept.iter().enumerate() {
            let owned = &self.c.owned[kept.owned];
            if let Some(tuples) = owned.tuples.as_ref()
                && let [destination] = tuples.destinations.as_slice()
            {
                hosts.entry((*destination, tuples.service)).or_insert(k);
            }
        }
        let mut merged: Vec<BTreeMap<Source, usize>> = vec![BTreeMap::new(); self.c.kept.len()];
        let mut new_slots: BTreeMap<Slot, BTreeMap<Source, usize>> = BTreeMap::new();
        for (slot, sources) in to_add {
            match hosts.get(&slot) {
                Some(&k) => merged[k].extend(sources),
                None => {
                    new_slots.insert(slot, sources);
                }
            }
        }
        // A rule that would be emptied is reused for a new slot on its destination: one
        // replace instead of a delete, a create and a move.
        let mut emptied: HashMap<IpAddr, VecDeque<usize>> = HashMap::new();
        for (k, kept) in self.c.kept.iter().enumerate() {
            let single = self.c.owned[kept.owned].tuples.as_ref().and_then(|t| {
                match t.destinations.as_slice() {
                    [destination] => Some(*destination),
                    _ => None,
                }
            });
            if let Some(destination) = single
                && kept.kept.values().all(BTreeSet::is_empty)
                && merged[k].is_empty()
            {
                emptied.entry(destination).or_default().push_back(k);
            }
        }
        let mut recycled: Vec<Option<ServiceMatch>> = vec![None; self.c.kept.len()];
        new_slots.retain(|slot, sources| {
            let Some(k) = emptied.get_mut(&slot.0).and_then(VecDeque::pop_front) else {
                return true;
            };
            recycled[k] = Some(slot.1);
            merged[k] = std::mem::take(sources);
            false
        });
        for (k, kept) in self.c.kept.iter().enumerate() {
            self.settle(kept, &merged[k], recycled[k]);
        }
        for (slot, sources) in &new_slots {
            self.create_for_slot(*slot, sources);
        }
        let changes = plan_services(
            &self.c.input,
            &self.c.service_names,
            self.c.focus.is_everything(),
            &self.services,
        );
        self.operations.extend(changes.operations);
        self.plan.cleanup.extend(changes.cleanup);
        self.plan.notes.extend(changes.notes);
        self.plan.operations = order(self.operations);
        self.plan
    }

    /// Missing allowances minus those an unmanaged rule above already allows.
    fn drop_shadowed(
        &mut self,
        answers: &PolicyAnswers,
    ) -> BTreeMap<Slot, BTreeMap<Source, usize>> {
        let c = self.c;
        let positions: HashMap<&str, (usize, bool)> = c
            .input
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.as_str(), (i, false)))
            .chain(
                c.owned
                    .iter()
                    .map(|r| (r.rule.name.as_str(), (r.position, true))),
            )
            .collect();
        let mut to_add: BTreeMap<Slot, BTreeMap<Source, usize>> = BTreeMap::new();
        for (slot, sources) in &c.missing {
            for (source, claim) in sources {
                let allowance = Allowance {
                    source: *source,
                    destination: slot.0,
                    service: slot.1,
                };
                let shadow = match c.verdicts.get(&allowance) {
                    Some(StaticVerdict::Covered { rule }) => {
                        Some(c.input.rules[*rule].name.as_str())
                    }
                    Some(StaticVerdict::Undecidable) => query_for(&allowance, c.input.settings)
                        .and_then(|query| {
                            shadowing_rule(answers.get(&query), c.input.rules, &positions, c.bottom)
                        }),
                    Some(StaticVerdict::NotCovered) | None => None,
                };
                match shadow {
                    Some(rule) => self.plan.shadowed.push(ShadowedAllowance {
                        allowance,
                        rule: rule.to_owned(),
                    }),
                    None => {
                        to_add.entry(*slot).or_default().insert(*source, *claim);
                    }
                }
            }
        }
        to_add
    }

    /// Decide one owned rule in scope: keep, replace (and split), or delete; move if misplaced.
    fn settle(
        &mut self,
        kept: &KeptRule,
        added: &BTreeMap<Source, usize>,
        recycled_for: Option<ServiceMatch>,
    ) {
        let c = self.c;
        let owned = &c.owned[kept.owned];
        let name = owned.rule.name.as_str();
        let first_claim = || {
            owned
                .destinations
                .iter()
                .find_map(|d| c.focus.first_claim(d))
        };
        // Fast path: an untouched, well-formed rule with an up-to-date description stays as is.
        if recycled_for.is_none()
            && added.is_empty()
            && !kept.changed()
            && owned.envelope_ok
            && let (Some(service), Some(tuples)) = (kept.service, owned.tuples.as_ref())
            && c.names_own_service(owned.rule, service)
        {
            let fully_in_scope = owned.destinations.iter().all(|d| c.decides(d));
            if !fully_in_scope
                || head_matches(
                    &owned.rule.description,
                    &c.head(&tuples.destinations, &tuples.sources, service),
                )
            {
                self.use_service(service);
                self.place(kept, first_claim().unwrap_or(0));
                return;
            }
        }
        let mut coverage: Coverage = match recycled_for {
            Some(_) => BTreeMap::new(),
            None => kept.kept.clone(),
        };
        if let Some([destination]) = owned.tuples.as_ref().map(|t| t.destinations.as_slice()) {
            coverage
                .entry(*destination)
                .or_default()
                .extend(added.keys().copied());
        }
        let cause = added
            .values()
            .next()
            .copied()
            .or_else(first_claim)
            .unwrap_or(0);
        let service = recycled_for.or(kept.service);
        let (Some(service), false) = (service, coverage.values().all(BTreeSet::is_empty)) else {
            let why = self.deletion(kept, cause);
            self.services
                .dropped
                .extend(owned.rule.services.iter().cloned());
            self.operations.push(Operation::DeleteRule {
                name: name.to_owned(),
                why,
            });
            return;
        };
        let pieces = regroup(&coverage);
        let (first_destinations, first_sources) = &pieces[0];
        let mut facts = c.facts(first_destinations, first_sources, service, c.event(cause));
        let fully_in_scope = owned.destinations.iter().all(|d| c.decides(d));
        let stale_description =
            fully_in_scope && !head_matches(&owned.rule.description, &facts.head);
        let foreign_service = !c.names_own_service(owned.rule, service);
        let unchanged = !kept.changed()
            && added.is_empty()
            && pieces.len() == 1
            && owned.envelope_ok
            && !stale_description
            && !foreign_service;
        self.use_service(service);
        if !unchanged {
            let content = c.rule_content(name, first_destinations, first_sources, service, &facts);
            facts.explanation.text = format!(
                "replace {name}: {} allowance(s) added, {} removed{}{}{}; {}",
                added.len(),
                kept.removed.len(),
                if owned.envelope_ok {
                    ""
                } else {
                    ", zones/action/profile/state repaired"
                },
                if stale_description {
                    ", description brought up to date"
                } else {
                    ""
                },
                if foreign_service {
                    ", moved off a service object that is not palosync's"
                } else {
                    ""
                },
                removal_reason(c, &kept.removed)
                    .unwrap_or_else(|| facts.explanation.permissions.join(", ")),
            );
            self.services
                .dropped
                .extend(owned.rule.services.iter().cloned());
            self.services.added.extend(content.services.iter().cloned());
            self.operations.push(Operation::ReplaceRule {
                rule: Box::new(content),
                why: facts.explanation,
            });
        }
        for (destinations, sources) in &pieces[1..] {
            let claim = destinations
                .iter()
                .find_map(|d| c.focus.first_claim(d))
                .unwrap_or(cause);
            self.create(
                &owned.name.owner,
                destinations,
                sources,
                service,
                claim,
                Some(name),
            );
        }
        self.place(kept, cause);
    }

    /// Move a surviving owned rule back above the bottom rule if it is not in the managed block.
    fn place(&mut self, kept: &KeptRule, cause: usize) {
        let c = self.c;
        let owned = &c.owned[kept.owned];
        let name = owned.rule.name.as_str();
        let in_place = (self.block_start..c.bottom).contains(&owned.position);
        if !in_place {
            self.operations.push(Operation::MoveAboveBottom {
                name: name.to_owned(),
                bottom_rule: c.input.settings.bottom_rule.clone(),
                why: Explanation {
                    text: format!(
                        "move {name} directly above {}: managed rules sit there",
                        c.input.settings.bottom_rule
                    ),
                    event: c.event(cause),
                    ..Explanation::default()
                },
            });
        }
    }

    fn deletion(&self, kept: &KeptRule, cause: usize) -> Explanation {
        let c = self.c;
        let name = &c.owned[kept.owned].rule.name;
        let group_mode = c.input.rules[c.owned[kept.owned].position]
            .destinations
            .iter()
            .any(|d| crate::groups::owned::member_group(d, c.input.settings).is_some());
        let reason = if kept.readable {
            removal_reason(c, &kept.removed).unwrap_or_else(|| "it allows nothing".to_owned())
        } else if group_mode {
            "a group-mode rule; address mode writes its allowances as address rules".to_owned()
        } else {
            "it holds members palosync never writes, so what it allows cannot be proven desired"
                .to_owned()
        };
        Explanation {
            text: format!("delete {name}: {reason}"),
            event: c.event(cause),
            ..Explanation::default()
        }
    }

    /// A new rule for a slot no owned rule holds.
    fn create_for_slot(&mut self, slot: Slot, sources: &BTreeMap<Source, usize>) {
        let c = self.c;
        let Some(&claim) = sources.values().min() else {
            return;
        };
        let backers: Vec<_> = sources
            .keys()
            .flat_map(|s| c.desired.backers(&slot, s).iter().copied())
            .collect();
        let Some(owner) = c.focus.claims[claim].owner_for(&backers, c.input.topology) else {
            return;
        };
        let sources: BTreeSet<Source> = sources.keys().copied().collect();
        self.create(&owner, &[slot.0], &sources, slot.1, claim, None);
    }

    fn create(
        &mut self,
        owner: &NamedAfter,
        destinations: &[IpAddr],
        sources: &BTreeSet<Source>,
        service: ServiceMatch,
        claim: usize,
        split_from: Option<&str>,
    ) {
        let c = self.c;
        let Some(name) = self.names.allocate(owner) else {
            self.plan.notes.push(format!(
                "no rule for {service} to {}: a name after {owner} would exceed 63 characters",
                list(destinations)
            ));
            return;
        };
        let mut facts = c.facts(destinations, sources, service, c.event(claim));
        let content = c.rule_content(&name, destinations, sources, service, &facts);
        facts.explanation.text = match split_from {
            Some(original) => format!(
                "create {name}: the part of {original} for {} that keeps other sources",
                list(&facts.targets)
            ),
            None => format!(
                "create {name}: allow {service} from {} to {} ({}), as {}",
                list(sources),
                list(destinations),
                list(&facts.targets),
                list(&facts.explanation.permissions)
            ),
        };
        self.use_service(service);
        self.services.added.extend(content.services.iter().cloned());
        let place = Operation::MoveAboveBottom {
            name: name.clone(),
            bottom_rule: c.input.settings.bottom_rule.clone(),
            why: Explanation {
                text: format!(
                    "place {name} directly above {}",
                    c.input.settings.bottom_rule
                ),
                event: facts.explanation.event.clone(),
                ..Explanation::default()
            },
        };
        self.operations.push(Operation::CreateRule {
            rule: Box::new(content),
            why: facts.explanation,
        });
        self.operations.push(place);
    }

    fn use_service(&mut self, service: ServiceMatch) {
        if let ServiceRef::Object(object) = service.service {
            self.services.used.insert(object);
        }
    }
}

/// Destinations grouped by identical source sets: each group is one rule (a product).
fn regroup(coverage: &Coverage) -> Vec<(Vec<IpAddr>, BTreeSet<Source>)> {
    let mut pieces: Vec<(Vec<IpAddr>, BTreeSet<Source>)> = Vec::new();
    for (destination, sources) in coverage.iter().filter(|(_, s)| !s.is_empty()) {
        match pieces.iter_mut().find(|(_, s)| s == sources) {
            Some((destinations, _)) => destinations.push(*destination),
            None => pieces.push((vec![*destination], sources.clone())),
        }
    }
    pieces
}

/// Why allowances were removed, in words (the first one, and how many).
fn removal_reason(c: &AddressCandidates<'_>, removed: &[Allowance]) -> Option<String> {
    let first = removed.first()?;
    let why = if c.destinations.contains_key(&first.destination) {
        format!(
            "no security group of {} allows {} from {} any more",
            c.target(&first.destination),
            first.service,
            first.source
        )
    } else {
        format!(
            "{} is no longer an address of a pending or running instance behind the firewall",
            first.destination
        )
    };
    Some(match removed.len() {
        1 => why,
        n => format!("{why} (and {} more)", n - 1),
    })
}
