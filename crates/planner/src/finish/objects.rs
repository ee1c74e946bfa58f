//! Service objects in a plan: create those the written rules need (or repair ours), delete
//! managed ones that nothing refers to any more. An object that is not palosync's is never
//! written or deleted.
//!
//! A delete is planned only when nothing on the device refers to the object after the plan:
//! no security rule (after the plan's own rule changes), no service group, and nothing in
//! another rulebase (`DeviceObjects::references`). PAN-OS refuses to delete a referenced
//! object, and before this check one operator group holding palosync's object made the whole
//! batch fail, revoked rules included (issue 12, item 1). Deletes go to `Plan::cleanup`,
//! written after the rule changes, so one still refused never blocks them.

use crate::candidates::PlanInput;
use crate::explanation::Explanation;
use crate::firewall::ServiceContent;
use crate::operation::Operation;
use crate::service_names::{ServiceNames, parse_own_name};
use crate::services::PortService;
use std::collections::{BTreeSet, HashMap, HashSet};

/// How a plan's rule writes use service objects.
#[derive(Debug, Default)]
pub(crate) struct ServiceUse {
    /// Service objects the rules in scope use after the plan.
    pub used: BTreeSet<PortService>,
    /// Service references dropped and added by rule writes.
    pub dropped: Vec<String>,
    pub added: Vec<String>,
}

/// The service-object part of a plan.
#[derive(Debug, Default)]
pub(crate) struct ServiceChanges {
    pub operations: Vec<Operation>,
    pub cleanup: Vec<Operation>,
    pub notes: Vec<String>,
}

/// Service objects: create what rules need, delete managed ones no rule uses any more (only
/// ones a rule write stopped using, or any unused one under a full sync).
pub(crate) fn plan_services(
    input: &PlanInput<'_>,
    names: &ServiceNames,
    everything: bool,
    usage: &ServiceUse,
) -> ServiceChanges {
    let mut changes = ServiceChanges::default();
    let settings = input.settings;
    let tag = &settings.managed_tag;
    let observed: HashMap<&str, _> = input
        .services
        .iter()
        .map(|s| (s.name.as_str(), s))
        .collect();
    let mut ensured = HashSet::new();
    for object in &usage.used {
        let Some(name) = names.name(*object) else {
            continue;
        };
        // The resolved name is never a foreign object's: what is there is palosync's.
        let fine = observed.get(name.as_str()).is_some_and(|s| {
            s.tags.iter().any(|t| t == tag) && s.matches(object.protocol, object.ports)
        });
        ensured.insert(name.clone());
        if fine {
            continue;
        }
        changes.operations.push(Operation::CreateService {
            service: ServiceContent {
                name: name.clone(),
                protocol: object.protocol,
                ports: object.ports,
                tags: vec![tag.clone()],
            },
            why: Explanation {
                text: format!(
                    "service object {name}: {} port(s) {}, used by managed rules",
                    object.protocol.as_str(),
                    object.ports
                ),
                ..Explanation::default()
            },
        });
    }
    let mut references: HashMap<&str, i64> = HashMap::new();
    for rule in input.rules {
        for service in &rule.services {
            *references.entry(service).or_default() += 1;
        }
    }
    let before = references.clone();
    for dropped in &usage.dropped {
        *references.entry(dropped).or_default() -= 1;
    }
    for added in &usage.added {
        *references.entry(added).or_default() += 1;
    }
    let mut held_elsewhere: HashMap<&str, Vec<String>> = HashMap::new();
    for group in &input.objects.service_groups {
        for member in &group.members {
            held_elsewhere
                .entry(member)
                .or_default()
                .push(format!("service group {}", group.name));
        }
    }
    for reference in &input.objects.references {
        held_elsewhere
            .entry(&reference.object)
            .or_default()
            .push(reference.from.clone());
    }
    for service in input.services {
        let name = service.name.as_str();
        let ours = service.tags.iter().any(|t| t == tag)
            && parse_own_name(name).is_some()
            && !names.is_foreign(name);
        let unused = references.get(name).copied().unwrap_or(0) <= 0;
        let was_used = before.get(name).copied().unwrap_or(0) > 0;
        if !(ours && unused && (was_used || everything) && !ensured.contains(name)) {
            continue;
        }
        if let Some(referrers) = held_elsewhere.get(name) {
            changes.notes.push(format!(
                "service object {name} is left in place: no managed rule uses it any more, but {} still refers to it",
                crate::content::list(referrers)
            ));
            continue;
        }
        changes.cleanup.push(Operation::DeleteService {
            name: name.to_owned(),
            why: Explanation {
                text: format!("delete service object {name}: nothing refers to it any more"),
                ..Explanation::default()
            },
        });
    }
    changes
}
