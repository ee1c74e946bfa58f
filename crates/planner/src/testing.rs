//! An in-memory firewall rulebase for tests and benchmarks (feature `testing`).
//!
//! It holds ordered rules (managed, unmanaged, the bottom rule), service objects, address
//! groups and User-ID registrations (`objects.registrations`, read whole), applies a
//! [`Plan`] the way PAN-OS would (created rules are appended, moves place a rule before the
//! bottom rule, a service object cannot be deleted while a rule, a service group or another
//! rulebase refers to it, a rule cannot refer to a missing service; the rule changes land as
//! one atomic batch and cleanup deletes one by one after them), and answers policy-match
//! queries by first match over its enabled rules, with the device's object semantics (address
//! objects, ranges, wildcards and groups, service objects and groups, negation; FQDNs, dynamic
//! groups and EDLs from [`Resolutions`]), one flow at a time by brute force ([`evaluator`],
//! independent of the planner's [`crate::policy`]).
//! It is a model for checking the planner, never used to plan in production.

use crate::coverage::read_owned;
use crate::desired::Allowance;
use crate::firewall::{
    DeviceObjects, ObservedAddressGroup, ObservedRegistrations, ObservedRule, ObservedService,
    RegisteredAddress, RegistrationRead, RuleAction,
};
use crate::focus::Scope;
use crate::groups::owned::{filter_for, member_group, read_group_rule};
use crate::operation::{Operation, Plan, Registration};
use crate::ownership::owned_name;
use crate::services::PortService;
use crate::shadow::{PolicyAnswers, PolicyMatch, PolicyMatchQuery, query_for, shadowing_rule};
use crate::{PlanError, PlanInput, plan_candidates};
use evaluator::Evaluator;
pub use evaluator::Resolutions;
use model::{Settings, Topology};
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

pub mod estate;
pub mod evaluator;
pub mod flows;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("rule {0:?} already exists")]
    RuleExists(String),
    #[error("rule {0:?} does not exist")]
    RuleMissing(String),
    #[error("rule {rule:?} refers to service {service:?}, which does not exist")]
    ServiceMissing { rule: String, service: String },
    #[error("service {0:?} is still used by a rule")]
    ServiceInUse(String),
    /// The device's reference error: an object cannot be deleted while anything refers to it.
    #[error("{object:?} cannot be deleted: {from} refers to it")]
    Referenced { object: String, from: String },
    #[error("bottom rule {0:?} does not exist")]
    BottomMissing(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InMemoryFirewall {
    pub rules: Vec<ObservedRule>,
    pub services: Vec<ObservedService>,
    pub objects: DeviceObjects,
    /// What only the device resolves: FQDN objects, dynamic groups, EDLs, by name.
    pub resolved: Resolutions,
}

impl InMemoryFirewall {
    /// A firewall with these rules and service objects, and no registration (read whole).
    pub fn new(rules: Vec<ObservedRule>, services: Vec<ObservedService>) -> Self {
        let mut objects = DeviceObjects::default();
        objects.registrations.read = RegistrationRead::All;
        Self {
            rules,
            services,
            objects,
            resolved: Resolutions::new(),
        }
    }

    /// The registrations as the executor would read them with `read`: only what it covers.
    pub fn registrations_read(&self, read: RegistrationRead) -> ObservedRegistrations {
        let entries = self
            .objects
            .registrations
            .entries
            .iter()
            .filter(|e| match &read {
                RegistrationRead::Nothing => false,
                RegistrationRead::All => true,
                RegistrationRead::Some { addresses, tags } => {
                    addresses.contains(&e.address) || e.tags.iter().any(|t| tags.contains(t))
                }
            })
            .cloned()
            .collect();
        ObservedRegistrations { read, entries }
    }

    /// The tags registered on `address`.
    pub fn tags_of(&self, address: &IpAddr) -> Vec<String> {
        self.objects
            .registrations
            .entries
            .iter()
            .filter(|e| &e.address == address)
            .flat_map(|e| e.tags.iter().cloned())
            .collect()
    }

    /// Apply User-ID changes as the device does: at once, no commit.
    pub fn apply_registrations(&mut self, registrations: &[Registration], register: bool) {
        let entries = &mut self.objects.registrations.entries;
        for registration in registrations {
            let index = match entries
                .iter()
                .position(|e| e.address == registration.address)
            {
                Some(index) => index,
                None if register => {
                    entries.push(RegisteredAddress {
                        address: registration.address,
                        tags: Vec::new(),
                    });
                    entries.len() - 1
                }
                None => continue,
            };
            let tags = &mut entries[index].tags;
            if register {
                tags.extend(registration.tags.iter().cloned());
                tags.sort();
                tags.dedup();
            } else {
                tags.retain(|t| !registration.tags.contains(t));
            }
        }
        entries.retain(|e| !e.tags.is_empty());
        entries.sort();
    }

    fn evaluator(&self) -> Evaluator<'_> {
        Evaluator {
            services: &self.services,
            objects: &self.objects,
            resolved: &self.resolved,
        }
    }

    /// The sampled flows of `allowance` (see [`flows`]).
    pub fn sample_flows(
        &self,
        allowance: &Allowance,
        settings: &Settings,
    ) -> Vec<PolicyMatchQuery> {
        flows::sample(
            allowance,
            settings,
            &self.rules,
            &self.services,
            &self.objects,
            &self.resolved,
        )
    }

    /// Brute force: the first sampled flow of `allowance` whose first match is not an
    /// unmanaged allow rule above the bottom rule, or `None` when every one is.
    pub fn flow_not_shadowed(
        &self,
        allowance: &Allowance,
        settings: &Settings,
    ) -> Option<PolicyMatchQuery> {
        let Some(bottom) = self.position(&settings.bottom_rule) else {
            return self.sample_flows(allowance, settings).into_iter().next();
        };
        let evaluator = self.evaluator();
        self.sample_flows(allowance, settings)
            .into_iter()
            .find(|flow| {
                let first = self
                    .rules
                    .iter()
                    .enumerate()
                    .find(|(_, rule)| !rule.disabled && evaluator.matches(rule, flow));
                !first.is_some_and(|(position, rule)| {
                    position < bottom
                        && rule.action == RuleAction::Allow
                        && owned_name(rule, &settings.managed_tag).is_none()
                })
            })
    }

    /// Plan against this firewall: phase one, answer every query here, phase two.
    pub fn plan(
        &self,
        topology: &Topology,
        settings: &Settings,
        scope: &Scope,
    ) -> Result<Plan, PlanError> {
        let candidates = plan_candidates(PlanInput {
            topology,
            settings,
            scope,
            rules: &self.rules,
            services: &self.services,
            objects: &self.objects,
        })?;
        let answers = self.answers(candidates.queries());
        Ok(candidates.finish(&answers))
    }

    pub fn answers(&self, queries: &[PolicyMatchQuery]) -> PolicyAnswers {
        queries
            .iter()
            .map(|q| (q.clone(), self.policy_match(q)))
            .collect()
    }

    /// Apply a plan as the executor writes it to a device: registrations first, `operations`
    /// as one atomic batch (the first operation the firewall refuses fails the batch and
    /// nothing of it lands), unregistrations after it, then each `cleanup` delete on its own. A refused cleanup delete leaves its object in
    /// place and undoes nothing; the refusals are returned (the executor reports them).
    pub fn apply(&mut self, plan: &Plan) -> Result<Vec<ApplyError>, ApplyError> {
        self.apply_registrations(&plan.registrations.register, true);
        let mut batch = self.clone();
        plan.operations
            .iter()
            .try_for_each(|op| batch.apply_one(op))?;
        *self = batch;
        self.apply_registrations(&plan.registrations.unregister, false);
        let mut refused = Vec::new();
        for operation in &plan.cleanup {
            if let Err(error) = self.apply_one(operation) {
                refused.push(error);
            }
        }
        Ok(refused)
    }

    fn apply_one(&mut self, operation: &Operation) -> Result<(), ApplyError> {
        match operation {
            Operation::CreateService { service, .. } => {
                let observed = service.to_observed();
                match self.services.iter_mut().find(|s| s.name == service.name) {
                    Some(existing) => *existing = observed,
                    None => self.services.push(observed),
                }
            }
            Operation::CreateRule { rule, .. } => {
                if self.position(&rule.name).is_some() {
                    return Err(ApplyError::RuleExists(rule.name.clone()));
                }
                let observed = rule.to_observed();
                self.check_services(&observed)?;
                self.rules.push(observed);
            }
            Operation::ReplaceRule { rule, .. } => {
                let position = self.require(&rule.name)?;
                let observed = rule.to_observed();
                self.check_services(&observed)?;
                self.rules[position] = observed;
            }
            Operation::DeleteRule { name, .. } => {
                let position = self.require(name)?;
                self.rules.remove(position);
            }
            Operation::MoveAboveBottom {
                name, bottom_rule, ..
            } => {
                let position = self.require(name)?;
                let rule = self.rules.remove(position);
                let Some(bottom) = self.position(bottom_rule) else {
                    self.rules.insert(position, rule);
                    return Err(ApplyError::BottomMissing(bottom_rule.clone()));
                };
                self.rules.insert(bottom, rule);
            }
            Operation::DeleteService { name, .. } => {
                if self.rules.iter().any(|r| r.services.contains(name)) {
                    return Err(ApplyError::ServiceInUse(name.clone()));
                }
                let in_group = self
                    .objects
                    .service_groups
                    .iter()
                    .find(|g| g.members.contains(name));
                if let Some(group) = in_group {
                    return Err(ApplyError::Referenced {
                        object: name.clone(),
                        from: format!("service group {}", group.name),
                    });
                }
                if let Some(reference) = self.objects.references.iter().find(|r| &r.object == name)
                {
                    return Err(ApplyError::Referenced {
                        object: name.clone(),
                        from: reference.from.clone(),
                    });
                }
                self.services.retain(|s| &s.name != name);
            }
            Operation::CreateAddressGroup { group, .. } => {
                let observed = ObservedAddressGroup {
                    name: group.name.clone(),
                    static_members: Vec::new(),
                    dynamic_filter: Some(group.filter.clone()),
                    tags: group.tags.clone(),
                    description: group.description.clone(),
                };
                let groups = &mut self.objects.address_groups;
                match groups.iter_mut().find(|g| g.name == group.name) {
                    Some(existing) => *existing = observed,
                    None => groups.push(observed),
                }
            }
            Operation::DeleteAddressGroup { name, .. } => {
                let user = self
                    .rules
                    .iter()
                    .find(|r| r.destinations.contains(name) || r.sources.contains(name));
                if let Some(rule) = user {
                    return Err(ApplyError::Referenced {
                        object: name.clone(),
                        from: format!("security rule {}", rule.name),
                    });
                }
                self.objects.address_groups.retain(|g| &g.name != name);
            }
        }
        Ok(())
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.name == name)
    }

    fn require(&self, name: &str) -> Result<usize, ApplyError> {
        self.position(name)
            .ok_or_else(|| ApplyError::RuleMissing(name.to_owned()))
    }

    fn check_services(&self, rule: &ObservedRule) -> Result<(), ApplyError> {
        for service in &rule.services {
            let builtin = service == "any" || service == "application-default";
            if !builtin && !self.services.iter().any(|s| &s.name == service) {
                return Err(ApplyError::ServiceMissing {
                    rule: rule.name.clone(),
                    service: service.clone(),
                });
            }
        }
        Ok(())
    }

    /// First match over enabled rules, as `test security-policy-match` answers.
    pub fn policy_match(&self, query: &PolicyMatchQuery) -> PolicyMatch {
        let evaluator = self.evaluator();
        self.rules
            .iter()
            .find(|rule| !rule.disabled && evaluator.matches(rule, query))
            .map_or(PolicyMatch::NoMatch, |rule| PolicyMatch::Rule {
                name: rule.name.clone(),
                action: rule.action,
            })
    }

    /// Every allowance the managed rules hold; an error names a managed rule that is not in
    /// palosync's shape or whose service object is missing or different.
    pub fn managed_allowances(&self, settings: &Settings) -> Result<BTreeSet<Allowance>, String> {
        let services: HashMap<&str, &ObservedService> =
            self.services.iter().map(|s| (s.name.as_str(), s)).collect();
        let mut allowances = BTreeSet::new();
        for owned in read_owned(&self.rules, settings) {
            let name = &owned.rule.name;
            if let Some(group) = self.group_rule_allowances(owned.rule, settings)? {
                allowances.extend(group);
                continue;
            }
            let tuples = owned
                .tuples
                .ok_or_else(|| format!("{name} is unreadable"))?;
            if !owned.envelope_ok {
                return Err(format!("{name} has a wrong envelope"));
            }
            if let crate::services::ServiceRef::Object(PortService { protocol, ports }) =
                tuples.service.service
            {
                let service_name = owned.rule.services.concat();
                let fine = services
                    .get(service_name.as_str())
                    .is_some_and(|s| s.matches(protocol, ports));
                if !fine {
                    return Err(format!("{name} uses {service_name}, missing or different"));
                }
            }
            for destination in &tuples.destinations {
                for source in &tuples.sources {
                    allowances.insert(Allowance {
                        source: *source,
                        destination: *destination,
                        service: tuples.service,
                    });
                }
            }
        }
        Ok(allowances)
    }

    /// A group-mode rule's allowances, expanding its address group with the registrations;
    /// `None` when `rule` is not a group-mode rule.
    fn group_rule_allowances(
        &self,
        rule: &ObservedRule,
        settings: &Settings,
    ) -> Result<Option<Vec<Allowance>>, String> {
        let [destination] = rule.destinations.as_slice() else {
            return Ok(None);
        };
        if member_group(destination, settings).is_none() {
            return Ok(None);
        }
        let name = &rule.name;
        let group = self
            .objects
            .address_groups
            .iter()
            .find(|g| &g.name == destination)
            .ok_or_else(|| format!("{name} refers to {destination}, which does not exist"))?;
        let ours = group.tags.contains(&settings.managed_tag)
            && group.dynamic_filter.as_deref() == Some(filter_for(destination).as_str());
        if !ours {
            return Err(format!(
                "{name} refers to {destination}, which is not palosync's"
            ));
        }
        let tuples = read_group_rule(rule, settings)
            .ok_or_else(|| format!("{name} is not in group mode's shape"))?;
        if let crate::services::ServiceRef::Object(PortService { protocol, ports }) =
            tuples.service.service
        {
            let fine = self
                .services
                .iter()
                .find(|s| s.name == rule.services.concat())
                .is_some_and(|s| s.matches(protocol, ports));
            if !fine {
                return Err(format!("{name} uses a service object missing or different"));
            }
        }
        let members = self
            .objects
            .registrations
            .entries
            .iter()
            .filter(|e| e.tags.contains(destination))
            .map(|e| e.address);
        let mut allowances = Vec::new();
        for member in members {
            for source in tuples.sources.iter().filter(|s| s.pairs_with(&member)) {
                allowances.push(Allowance {
                    source: source.source,
                    destination: member,
                    service: tuples.service,
                });
            }
        }
        Ok(Some(allowances))
    }

    /// The unmanaged rule above the bottom rule that already allows `allowance`, if the
    /// allowance is one flow and such a rule is its first match.
    pub fn shadowing_rule(&self, allowance: &Allowance, settings: &Settings) -> Option<String> {
        let query = query_for(allowance, settings)?;
        let bottom = self.position(&settings.bottom_rule)?;
        let positions: HashMap<&str, (usize, bool)> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let owned = owned_name(r, &settings.managed_tag).is_some();
                (r.name.as_str(), (i, owned))
            })
            .collect();
        let answer = self.policy_match(&query);
        shadowing_rule(Some(&answer), &self.rules, &positions, bottom).map(str::to_owned)
    }

    /// Whether every managed rule sits in one block directly above the bottom rule.
    pub fn managed_rules_placed(&self, settings: &Settings) -> bool {
        let Some(bottom) = self.position(&settings.bottom_rule) else {
            return false;
        };
        let owned: Vec<usize> = read_owned(&self.rules, settings)
            .iter()
            .map(|r| r.position)
            .collect();
        owned
            .iter()
            .enumerate()
            .all(|(i, &position)| position + (owned.len() - i) == bottom)
    }

    /// A rule that allows or denies everything from any to any: for bottom rules in tests.
    pub fn catch_all(name: &str, action: RuleAction) -> ObservedRule {
        ObservedRule {
            name: name.to_owned(),
            tags: Vec::new(),
            from_zones: vec!["any".into()],
            to_zones: vec!["any".into()],
            sources: vec!["any".into()],
            destinations: vec!["any".into()],
            negate_source: false,
            negate_destination: false,
            applications: vec!["any".into()],
            services: vec!["any".into()],
            action,
            profile_group: None,
            description: String::new(),
            disabled: false,
            conditions: Default::default(),
        }
    }
}
