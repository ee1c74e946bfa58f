//! Service objects in a plan: create those the written rules need (or repair ours), delete
//! managed ones that no rule refers to any more. An object that is not palosync's is never
//! written or deleted.

use super::Assembler;
use crate::explanation::Explanation;
use crate::firewall::ServiceContent;
use crate::operation::Operation;
use crate::services::PortService;
use std::collections::{HashMap, HashSet};

impl Assembler<'_, '_> {
    /// Service objects: create what rules need, delete managed ones no rule uses any more.
    pub(super) fn services(&mut self) {
        let c = self.c;
        let settings = c.input.settings;
        let tag = &settings.managed_tag;
        let observed: HashMap<&str, _> = c
            .input
            .services
            .iter()
            .map(|s| (s.name.as_str(), s))
            .collect();
        let mut ensured = HashSet::new();
        for object in &self.used_services {
            let name = object.name();
            let fine = observed
                .get(name.as_str())
                .is_some_and(|s| s.matches(object.protocol, object.ports));
            ensured.insert(name.clone());
            if fine {
                continue;
            }
            self.operations.push(Operation::CreateService {
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
        for rule in c.input.rules {
            for service in &rule.services {
                *references.entry(service).or_default() += 1;
            }
        }
        let before = references.clone();
        for dropped in &self.dropped_refs {
            *references.entry(dropped).or_default() -= 1;
        }
        for added in &self.added_refs {
            *references.entry(added).or_default() += 1;
        }
        for service in c.input.services {
            let name = service.name.as_str();
            let ours =
                service.tags.iter().any(|t| t == tag) && PortService::parse_name(name).is_some();
            let unused = references.get(name).copied().unwrap_or(0) <= 0;
            let was_used = before.get(name).copied().unwrap_or(0) > 0;
            if ours && unused && (was_used || c.focus.is_everything()) && !ensured.contains(name) {
                self.operations.push(Operation::DeleteService {
                    name: name.to_owned(),
                    why: Explanation {
                        text: format!("delete service object {name}: no rule uses it any more"),
                        ..Explanation::default()
                    },
                });
            }
        }
    }
}
