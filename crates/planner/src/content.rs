//! The content of a managed rule, and the facts behind it (groups, permissions, interfaces,
//! instances), built from a set of allowances.
//!
//! A managed rule is always: from the untrust zone, to the trust zone, its sources, its
//! destination addresses, one application, one service, allow, the profile group, the managed
//! tag, and a description naming its targets, the group permissions it implements and the last
//! event that changed it. Deterministic: the same allowances give the same content.

use crate::candidates::AddressCandidates;
use crate::desired::Backer;
use crate::explanation::{Explanation, description, description_head};
use crate::firewall::{RuleAction, RuleContent};
use crate::services::ServiceMatch;
use crate::sources::Source;
use model::{EniId, InstanceId};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Words computed once per plan: each in-scope interface as `<instance> <eni>`, each group
/// permission as `<group> <permission>`.
#[derive(Debug, Default)]
pub(crate) struct Texts {
    pub targets: Vec<String>,
    pub permissions: Vec<Vec<String>>,
}

impl Texts {
    pub fn new(topology: &model::Topology, enis: &[crate::scope::InScopeEni<'_>]) -> Self {
        Self {
            targets: enis
                .iter()
                .map(|e| format!("{} {}", e.instance, e.eni.id))
                .collect(),
            permissions: topology
                .security_groups
                .iter()
                .map(|g| {
                    g.ingress
                        .iter()
                        .map(|p| format!("{} {}", g.id, p.protocol))
                        .collect()
                })
                .collect(),
        }
    }
}

/// What a set of allowances is about.
#[derive(Debug, Default)]
pub(crate) struct RuleFacts {
    pub head: String,
    pub explanation: Explanation,
    pub targets: Vec<String>,
}

impl AddressCandidates<'_> {
    /// The event summary of a claim.
    pub(crate) fn event(&self, claim: usize) -> String {
        self.focus
            .claims
            .get(claim)
            .and_then(|c| self.input.scope.keys.get(c.key))
            .map(|(_, provenance)| provenance.summary())
            .unwrap_or_default()
    }

    /// The interface and instance an in-scope address belongs to, in words.
    pub(crate) fn target(&self, destination: &IpAddr) -> String {
        self.target_text(destination)
            .map_or_else(|| destination.to_string(), str::to_owned)
    }

    fn target_text(&self, destination: &IpAddr) -> Option<&str> {
        let &i = self.destinations.get(destination)?;
        Some(&self.texts.targets[i])
    }

    /// The description head for these allowances: cheap enough to check every owned rule.
    pub(crate) fn head(
        &self,
        destinations: &[IpAddr],
        sources: &[Source],
        service: ServiceMatch,
    ) -> String {
        let mut targets: Vec<String> = Vec::with_capacity(destinations.len());
        let mut backers: BTreeSet<Backer> = BTreeSet::new();
        for destination in destinations {
            let target = self.target(destination);
            if !targets.contains(&target) {
                targets.push(target);
            }
            for source in sources {
                backers.extend(self.desired.backers(&(*destination, service), source));
            }
        }
        let permissions: Vec<&str> = self.permission_texts(&backers);
        description_head(&targets, &permissions)
    }

    fn permission_texts(&self, backers: &BTreeSet<Backer>) -> Vec<&str> {
        let mut texts: Vec<&str> = backers
            .iter()
            .map(|b| self.texts.permissions[b.group as usize][b.permission as usize].as_str())
            .collect();
        texts.dedup();
        texts
    }

    pub(crate) fn facts(
        &self,
        destinations: &[IpAddr],
        sources: &BTreeSet<Source>,
        service: ServiceMatch,
        event: String,
    ) -> RuleFacts {
        let topology = self.input.topology;
        let mut targets = Vec::new();
        let mut enis: Vec<EniId> = Vec::new();
        let mut instances: Vec<InstanceId> = Vec::new();
        let mut backers: BTreeSet<Backer> = BTreeSet::new();
        for destination in destinations {
            let target = self.target(destination);
            if !targets.contains(&target) {
                targets.push(target);
            }
            if let Some(&i) = self.destinations.get(destination) {
                let eni = &self.enis[i];
                if !enis.contains(&eni.eni.id) {
                    enis.push(eni.eni.id.clone());
                }
                if !instances.contains(eni.instance) {
                    instances.push(eni.instance.clone());
                }
            }
            for source in sources {
                let slot = (*destination, service);
                backers.extend(self.desired.backers(&slot, source));
            }
        }
        let permissions: Vec<String> = self
            .permission_texts(&backers)
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut groups: Vec<_> = backers
            .iter()
            .map(|b| b.group_id(topology).clone())
            .collect();
        groups.sort();
        groups.dedup();
        RuleFacts {
            head: description_head(&targets, &permissions),
            explanation: Explanation {
                text: String::new(),
                groups,
                permissions,
                network_interfaces: enis,
                instances,
                event,
            },
            targets,
        }
    }

    /// The full content of a managed rule.
    pub(crate) fn rule_content(
        &self,
        name: &str,
        destinations: &[IpAddr],
        sources: &BTreeSet<Source>,
        service: ServiceMatch,
        facts: &RuleFacts,
    ) -> RuleContent {
        managed_rule(
            self.input.settings,
            name,
            sources.iter().map(Source::member).collect(),
            destinations.iter().map(IpAddr::to_string).collect(),
            (service, self.service_names.member(service)),
            description(&facts.head, &facts.explanation.event),
        )
    }
}

/// A managed rule in either mode: untrust to trust, these members, one application and its
/// service column, allow, the profile group, the managed tag.
pub(crate) fn managed_rule(
    settings: &model::Settings,
    name: &str,
    sources: Vec<String>,
    destinations: Vec<String>,
    (service, service_member): (ServiceMatch, String),
    description: String,
) -> RuleContent {
    RuleContent {
        name: name.to_owned(),
        from_zones: vec![settings.untrust_zone.clone()],
        to_zones: vec![settings.trust_zone.clone()],
        sources,
        destinations,
        applications: vec![service.application.to_owned()],
        services: vec![service_member],
        action: RuleAction::Allow,
        profile_group: settings.profile_group.clone(),
        tags: vec![settings.managed_tag.clone()],
        description,
    }
}

/// `a, b, c` (and how many more): short lists for explanations.
pub(crate) fn list<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    const SHOWN: usize = 5;
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    if items.len() <= SHOWN {
        return items.join(", ");
    }
    format!(
        "{} and {} more",
        items[..SHOWN].join(", "),
        items.len() - SHOWN
    )
}
