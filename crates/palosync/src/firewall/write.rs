//! Turning a plan into multi-config batches, and writing them so that a failure never leaves
//! half a plan behind.
//!
//! Why this shape (PAN-OS API guide §3, `multi-config`): a batch is atomic, and with
//! `strict-transactional=yes` the device first reverts the caller's own uncommitted changes and
//! refuses while a commit is pending. So several strict batches would each undo the one before;
//! strict is used only when the whole plan fits one batch and palosync's admin has nothing
//! uncommitted. Otherwise the batches are plain, a rule's create (or replace) and its move always
//! travel together, and when batch k > 1 fails palosync reverts its own admin's uncommitted
//! changes (`revert config partial admin`) so no half-applied plan stays in the candidate.
//!
//! Managed-object deletes (`Plan.cleanup`, and any object delete still in `Plan.operations`) are
//! written after the rule changes, in their own plain batch: a delete the device refuses (still
//! referenced, code 10) is retried alone, and whatever it still refuses is left behind and
//! reported, never blocking the rule changes (issue 12, item 1).

use super::{Firewall, FirewallError, mapping};
use panos::{
    AddressGroup, ConfigAction, ConfigEntry, Location, Position, SecurityRule, ServiceObject, Tag,
};
use planner::{Operation, Plan};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// A managed object the device refused to delete; a later run tries again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftoverObject {
    /// `service`, …
    pub kind: &'static str,
    pub name: String,
    /// The device's lines, e.g. `tcp_8080 cannot be deleted because of references from:`.
    pub lines: Vec<String>,
}

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Written {
    /// Actions applied (rule changes and the deletes that went through).
    pub actions: usize,
    /// Multi-config requests sent for the rule changes.
    pub batches: usize,
    /// Whether the rule changes went as one `strict-transactional=yes` batch.
    pub strict: bool,
    pub leftovers: Vec<LeftoverObject>,
}

/// What happened to the earlier batches when a later one failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revert {
    /// The failing batch was the first: nothing of this run reached the candidate.
    NothingApplied,
    /// palosync's admin's uncommitted changes were reverted.
    Reverted { admin: String },
    /// The revert failed too: earlier batches stay uncommitted in the candidate.
    Failed { admin: String, error: String },
}

impl std::fmt::Display for Revert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Revert::NothingApplied => f.write_str("nothing of this run was applied"),
            Revert::Reverted { admin } => {
                write!(
                    f,
                    "the earlier batches were reverted (admin {admin}'s uncommitted changes)"
                )
            }
            Revert::Failed { admin, error } => write!(
                f,
                "reverting admin {admin}'s uncommitted changes failed too ({error}); the earlier batches stay uncommitted"
            ),
        }
    }
}

/// Whether an operation deletes a managed object (not a rule): cleanup, written last.
fn is_object_delete(operation: &Operation) -> bool {
    matches!(
        operation,
        Operation::DeleteService { .. } | Operation::DeleteAddressGroup { .. }
    )
}

pub(super) fn action_for(location: &Location, operation: &Operation) -> ConfigAction {
    match operation {
        Operation::CreateService { service, .. } => ConfigAction::Set {
            xpath: ServiceObject::container(location),
            element: mapping::service_object(service).to_entry(),
        },
        Operation::CreateRule { rule, .. } => ConfigAction::Set {
            xpath: SecurityRule::container(location),
            element: mapping::security_rule(rule).to_entry(),
        },
        Operation::ReplaceRule { rule, .. } => ConfigAction::Edit {
            xpath: SecurityRule::xpath(location, &rule.name),
            element: mapping::security_rule(rule).to_entry(),
        },
        Operation::DeleteRule { name, .. } => ConfigAction::Delete {
            xpath: SecurityRule::xpath(location, name),
        },
        Operation::MoveAboveBottom {
            name, bottom_rule, ..
        } => ConfigAction::Move {
            xpath: SecurityRule::xpath(location, name),
            position: Position::Before(bottom_rule.clone()),
        },
        Operation::DeleteService { name, .. } => ConfigAction::Delete {
            xpath: ServiceObject::xpath(location, name),
        },
        Operation::CreateAddressGroup { group, .. } => ConfigAction::Set {
            xpath: AddressGroup::container(location),
            element: mapping::address_group(group).to_entry(),
        },
        Operation::DeleteAddressGroup { name, .. } => ConfigAction::Delete {
            xpath: AddressGroup::xpath(location, name),
        },
    }
}

fn tag_action(location: &Location, tag: &str) -> ConfigAction {
    let mut entry = Tag::new(tag);
    entry.comments = Some("managed by palosync".to_owned());
    ConfigAction::Set {
        xpath: Tag::container(location),
        element: entry.to_entry(),
    }
}

/// The rule changes as units that must land in one batch: a rule's create or replace with its
/// move; every other action alone. Order: what came before the first rule write (the tag,
/// services, rule deletes), rule writes without a move, then the moves in the plan's order each
/// with its rule's write (so managed rules end up in the plan's order above the bottom rule),
/// then the rest.
pub(super) fn write_units(
    location: &Location,
    plan: &Plan,
    create_tag: Option<&str>,
) -> Vec<Vec<ConfigAction>> {
    let mut head: Vec<Vec<ConfigAction>> = Vec::new();
    let mut tail: Vec<Vec<ConfigAction>> = Vec::new();
    let mut writes: Vec<(&str, ConfigAction)> = Vec::new();
    let mut moves: Vec<(&str, ConfigAction)> = Vec::new();
    if let Some(tag) = create_tag {
        head.push(vec![tag_action(location, tag)]);
    }
    for operation in plan.operations.iter().filter(|o| !is_object_delete(o)) {
        let action = action_for(location, operation);
        match operation {
            Operation::CreateRule { rule, .. } | Operation::ReplaceRule { rule, .. } => {
                writes.push((rule.name.as_str(), action));
            }
            Operation::MoveAboveBottom { name, .. } => moves.push((name.as_str(), action)),
            _ if writes.is_empty() && moves.is_empty() => head.push(vec![action]),
            _ => tail.push(vec![action]),
        }
    }
    let moved: HashSet<&str> = moves.iter().map(|(name, _)| *name).collect();
    let mut written: HashMap<&str, ConfigAction> = HashMap::new();
    let mut units = head;
    for (name, action) in writes {
        if moved.contains(name) {
            written.insert(name, action);
        } else {
            units.push(vec![action]);
        }
    }
    for (name, action) in moves {
        let mut unit: Vec<ConfigAction> = written.remove(name).into_iter().collect();
        unit.push(action);
        units.push(unit);
    }
    units.extend(tail);
    units
}

/// The object deletes, each with its kind and name, in plan order.
pub(super) fn cleanup_actions(
    location: &Location,
    plan: &Plan,
) -> Vec<(&'static str, String, ConfigAction)> {
    plan.operations
        .iter()
        .filter(|o| is_object_delete(o))
        .chain(plan.cleanup.iter())
        .filter_map(|operation| match operation {
            Operation::DeleteService { name, .. } => {
                Some(("service", name.clone(), action_for(location, operation)))
            }
            Operation::DeleteAddressGroup { name, .. } => Some((
                "address-group",
                name.clone(),
                action_for(location, operation),
            )),
            _ => None,
        })
        .collect()
}

/// Packs units greedily into batches of at most `max` actions, never splitting a unit.
pub(super) fn pack(units: Vec<Vec<ConfigAction>>, max: usize) -> Vec<Vec<ConfigAction>> {
    let max = max.max(2);
    let mut batches: Vec<Vec<ConfigAction>> = Vec::new();
    let mut current: Vec<ConfigAction> = Vec::new();
    for unit in units {
        if !current.is_empty() && current.len() + unit.len() > max {
            batches.push(std::mem::take(&mut current));
        }
        current.extend(unit);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

impl Firewall {
    /// Writes the plan: the rule changes (one strict batch when it fits and `own_pending` is
    /// false, else plain batches), then the object deletes. Nothing is committed here.
    /// `key_user` is the verified administrator the key belongs to, whose uncommitted changes are
    /// reverted if a later batch fails.
    pub async fn apply(
        &self,
        plan: &Plan,
        create_tag: Option<&str>,
        key_user: &str,
        own_pending: bool,
    ) -> Result<Written, FirewallError> {
        let batches = pack(
            write_units(&self.location, plan, create_tag),
            self.batch_size,
        );
        let total: usize = batches.iter().map(Vec::len).sum();
        let strict = batches.len() == 1 && !own_pending;
        let mut written = Written {
            strict,
            ..Written::default()
        };
        for (k, batch) in batches.iter().enumerate() {
            let sent = if strict {
                self.client.multi_config_strict(batch).await
            } else {
                self.client.multi_config(batch).await
            };
            written.batches += 1;
            if let Err(source) = sent {
                let revert = if k == 0 {
                    Revert::NothingApplied
                } else {
                    match self.client.revert_admin_changes(key_user).await {
                        Ok(()) => Revert::Reverted {
                            admin: key_user.to_owned(),
                        },
                        Err(e) => Revert::Failed {
                            admin: key_user.to_owned(),
                            error: e.to_string(),
                        },
                    }
                };
                return Err(FirewallError::Write {
                    applied: written.actions,
                    total,
                    revert: Box::new(revert),
                    source,
                });
            }
            written.actions += batch.len();
        }
        self.clean_up(plan, &mut written).await?;
        Ok(written)
    }

    /// The object deletes as one plain batch per `batch_size`; a refused batch is retried one
    /// delete at a time, and what the device still refuses becomes a leftover.
    async fn clean_up(&self, plan: &Plan, written: &mut Written) -> Result<(), FirewallError> {
        let deletes = cleanup_actions(&self.location, plan);
        for chunk in deletes.chunks(self.batch_size.max(1)) {
            let actions: Vec<ConfigAction> = chunk.iter().map(|(_, _, a)| a.clone()).collect();
            match self.client.multi_config(&actions).await {
                Ok(_) => written.actions += actions.len(),
                Err(panos::Error::BatchRolledBack { .. }) => {
                    for (kind, name, action) in chunk {
                        match self.client.multi_config(std::slice::from_ref(action)).await {
                            Ok(_) => written.actions += 1,
                            Err(refused @ panos::Error::BatchRolledBack { .. }) => {
                                written.leftovers.push(LeftoverObject {
                                    kind,
                                    name: name.clone(),
                                    lines: refusal_lines(&refused),
                                });
                            }
                            Err(e) => return Err(FirewallError::Cleanup(e)),
                        }
                    }
                }
                Err(e) => return Err(FirewallError::Cleanup(e)),
            }
        }
        Ok(())
    }
}

/// The failing action's lines of a refused batch.
fn refusal_lines(error: &panos::Error) -> Vec<String> {
    match error {
        panos::Error::BatchRolledBack { actions, .. } => actions
            .iter()
            .find(|a| !a.succeeded())
            .map(|a| a.lines.clone())
            .unwrap_or_default(),
        other => vec![other.to_string()],
    }
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
