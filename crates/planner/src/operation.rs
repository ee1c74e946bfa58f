//! The plan: ordered firewall operations, each with its explanation, plus what was left out.
//!
//! The order is one the firewall accepts: service objects before the rules that use them,
//! rule deletions before anything that could reuse what they held, moves after the rules
//! exist. Deletes of managed service objects are not operations of the batch: they are
//! `Plan::cleanup`, written after it and apart from it, so one the device refuses cannot
//! roll the rule changes back. The executor may batch
//! consecutive operations (a `CreateRule` and its `MoveAboveBottom` fit one multi-config).

use crate::desired::{Allowance, SkippedAllowance};
use crate::explanation::Explanation;
use crate::firewall::{AddressGroupContent, RuleContent, ServiceContent};
use serde::Serialize;
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// Make the service object exist with exactly this content (create, or replace ours).
    CreateService {
        service: ServiceContent,
        why: Explanation,
    },
    /// Create a rule; the firewall appends it, a `MoveAboveBottom` follows.
    CreateRule {
        /// Boxed: a full sync plans 100,000+ operations, most of them moves, and every one
        /// would otherwise be as large as a rule.
        rule: Box<RuleContent>,
        why: Explanation,
    },
    /// Replace an owned rule's whole content; its position is kept.
    ReplaceRule {
        rule: Box<RuleContent>,
        why: Explanation,
    },
    DeleteRule {
        name: String,
        why: Explanation,
    },
    /// Move an owned rule to directly above the bottom rule.
    MoveAboveBottom {
        name: String,
        bottom_rule: String,
        why: Explanation,
    },
    /// Delete a managed service object no rule uses any more.
    DeleteService {
        name: String,
        why: Explanation,
    },
    /// Group mode: make palosync's dynamic address group exist with exactly this content.
    CreateAddressGroup {
        group: AddressGroupContent,
        why: Explanation,
    },
    /// Delete a managed dynamic address group no rule uses any more (cleanup, as services).
    DeleteAddressGroup {
        name: String,
        why: Explanation,
    },
}

impl Operation {
    pub fn why(&self) -> &Explanation {
        match self {
            Operation::CreateService { why, .. }
            | Operation::CreateRule { why, .. }
            | Operation::ReplaceRule { why, .. }
            | Operation::DeleteRule { why, .. }
            | Operation::MoveAboveBottom { why, .. }
            | Operation::DeleteService { why, .. }
            | Operation::CreateAddressGroup { why, .. }
            | Operation::DeleteAddressGroup { why, .. } => why,
        }
    }

    /// The rule this operation writes, if it is a rule operation.
    pub fn rule_name(&self) -> Option<&str> {
        match self {
            Operation::CreateRule { rule, .. } | Operation::ReplaceRule { rule, .. } => {
                Some(&rule.name)
            }
            Operation::DeleteRule { name, .. } | Operation::MoveAboveBottom { name, .. } => {
                Some(name)
            }
            Operation::CreateService { .. }
            | Operation::DeleteService { .. }
            | Operation::CreateAddressGroup { .. }
            | Operation::DeleteAddressGroup { .. } => None,
        }
    }

    /// The address group this operation writes, if it is an address-group operation.
    pub fn address_group_name(&self) -> Option<&str> {
        match self {
            Operation::CreateAddressGroup { group, .. } => Some(&group.name),
            Operation::DeleteAddressGroup { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The service object this operation writes, if it is a service operation.
    pub fn service_name(&self) -> Option<&str> {
        match self {
            Operation::CreateService { service, .. } => Some(&service.name),
            Operation::DeleteService { name, .. } => Some(name),
            _ => None,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Operation::CreateService { .. } | Operation::CreateAddressGroup { .. } => 0,
            Operation::DeleteRule { .. } => 1,
            Operation::ReplaceRule { .. } => 2,
            Operation::CreateRule { .. } => 3,
            Operation::MoveAboveBottom { .. } => 4,
            Operation::DeleteService { .. } | Operation::DeleteAddressGroup { .. } => 5,
        }
    }
}

/// Put operations in an order the firewall accepts, keeping the relative order within a kind.
/// In place: operations are large and a plan may hold hundreds of thousands, so they are never
/// copied into buckets or a second vector. Each operation's destination (its rank's offset plus
/// its place among that rank's operations) is computed first, then the permutation is applied
/// by following its cycles with swaps: extra memory is one index per operation.
pub fn order(mut operations: Vec<Operation>) -> Vec<Operation> {
    let mut offsets = [0usize; 6];
    for operation in &operations {
        offsets[usize::from(operation.rank())] += 1;
    }
    let mut next = 0;
    for slot in offsets.iter_mut() {
        let count = *slot;
        *slot = next;
        next += count;
    }
    let mut destination: Vec<usize> = operations
        .iter()
        .map(|operation| {
            let rank = usize::from(operation.rank());
            offsets[rank] += 1;
            offsets[rank] - 1
        })
        .collect();
    for i in 0..operations.len() {
        while destination[i] != i {
            let j = destination[i];
            operations.swap(i, j);
            destination.swap(i, j);
        }
    }
    operations
}

/// An allowance left to an unmanaged rule that already allows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShadowedAllowance {
    pub allowance: Allowance,
    pub rule: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub operations: Vec<Operation>,
    /// Deletes of managed objects nothing on the device refers to any more. Written after
    /// `operations` and separately from them: a delete the device still refuses leaves the
    /// object behind (reported, retried by a later run) and never blocks the rule changes.
    pub cleanup: Vec<Operation>,
    /// Permissions that open nothing, and why.
    pub skipped: Vec<SkippedAllowance>,
    /// Desired allowances an unmanaged rule above already allows.
    pub shadowed: Vec<ShadowedAllowance>,
    /// Scope widenings and other remarks for the report.
    pub notes: Vec<String>,
    /// Group mode (and leaving it): User-ID registrations to add and remove. They need no
    /// commit: the executor registers before it writes and unregisters after it commits, so
    /// desired traffic is never denied in between.
    #[serde(default, skip_serializing_if = "RegistrationChanges::is_empty")]
    pub registrations: RegistrationChanges,
}

impl Plan {
    /// No configuration to write: no commit (registrations may still change).
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty() && self.cleanup.is_empty()
    }
}

/// One address and the tags to register on it, or to unregister from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registration {
    pub address: IpAddr,
    /// Tags in palosync's namespace only (`<managed_tag>.<id>`).
    pub tags: Vec<String>,
    pub why: Explanation,
}

/// User-ID changes of one plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RegistrationChanges {
    pub register: Vec<Registration>,
    pub unregister: Vec<Registration>,
}

impl RegistrationChanges {
    pub fn is_empty(&self) -> bool {
        self.register.is_empty() && self.unregister.is_empty()
    }

    /// How many addresses change.
    pub fn len(&self) -> usize {
        self.register.len() + self.unregister.len()
    }

    /// Every change with its verb (`register`, `unregister`), registrations first.
    pub fn listed(&self) -> impl Iterator<Item = (&'static str, &Registration)> + Clone {
        let register = self.register.iter().map(|r| ("register", r));
        register.chain(self.unregister.iter().map(|r| ("unregister", r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_come_first_and_their_deletion_last() {
        let why = Explanation::default;
        let ops = vec![
            Operation::DeleteService {
                name: "tcp_1".into(),
                why: why(),
            },
            Operation::MoveAboveBottom {
                name: "i-1-1".into(),
                bottom_rule: "b".into(),
                why: why(),
            },
            Operation::DeleteRule {
                name: "i-1-2".into(),
                why: why(),
            },
            Operation::CreateService {
                service: ServiceContent {
                    name: "tcp_2".into(),
                    protocol: crate::firewall::PortProtocol::Tcp,
                    ports: model::PortRange::single(2),
                    tags: vec![],
                },
                why: why(),
            },
        ];
        let ops = order(ops);
        let ranks: Vec<u8> = ops.iter().map(Operation::rank).collect();
        assert_eq!(ranks, [0, 1, 4, 5]);
    }
}
