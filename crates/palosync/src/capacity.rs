//! The capacity guard (issue 13, item 4): a plan that would leave the device holding more
//! security rules than it can is refused before anything is written. A device over its limit
//! fails the commit with the whole candidate left half-applied for someone to clean up; refusing
//! first leaves the running policy as it is and tells the operator what to change.

use model::PolicyMode;
use planner::{Operation, Plan};
use serde::Serialize;

/// Where the capacity figure came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CapacitySource {
    /// `PANOS_MAX_RULES`.
    Setting,
    /// The device's own figure (`show system state`, `cfg.general.max-policy-rule`).
    Device,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capacity {
    pub max_rules: usize,
    pub source: CapacitySource,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the plan would leave {after} security rules on a device that holds {capacity} ({source_name}): \
     {now} now, {created} created, {deleted} deleted{advice}",
    source_name = match limit_from { CapacitySource::Setting => "PANOS_MAX_RULES", CapacitySource::Device => "the device's limit" },
    advice = if *mode == PolicyMode::Addresses {
        "; group mode (PALOSYNC_MODE=groups) needs one rule per security-group permission, not one per address"
    } else {
        ""
    }
)]
pub struct CapacityExceeded {
    pub now: usize,
    pub created: usize,
    pub deleted: usize,
    pub after: usize,
    pub capacity: usize,
    pub limit_from: CapacitySource,
    pub mode: PolicyMode,
}

/// Refuse `plan` when the rulebase after it (every rule of the vsys, not only palosync's) would
/// exceed `capacity`. A plan that shrinks the rulebase is always let through, so a device
/// already over its limit can be brought back under it.
pub fn check(
    plan: &Plan,
    rules_now: usize,
    capacity: Option<&Capacity>,
    mode: PolicyMode,
) -> Result<(), CapacityExceeded> {
    let Some(capacity) = capacity else {
        return Ok(());
    };
    let all = plan.operations.iter().chain(&plan.cleanup);
    let (created, deleted) = all.fold((0, 0), |(c, d), op| match op {
        Operation::CreateRule { .. } => (c + 1, d),
        Operation::DeleteRule { .. } => (c, d + 1),
        _ => (c, d),
    });
    let after = (rules_now + created).saturating_sub(deleted);
    if after <= capacity.max_rules || created <= deleted {
        return Ok(());
    }
    Err(CapacityExceeded {
        now: rules_now,
        created,
        deleted,
        after,
        capacity: capacity.max_rules,
        limit_from: capacity.source.clone(),
        mode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_plans::create;
    use planner::Explanation;

    fn delete(name: &str) -> Operation {
        Operation::DeleteRule {
            name: name.into(),
            why: Explanation::default(),
        }
    }

    fn plan(operations: Vec<Operation>) -> Plan {
        Plan {
            operations,
            ..Plan::default()
        }
    }

    const TEN: Capacity = Capacity {
        max_rules: 10,
        source: CapacitySource::Setting,
    };

    #[test]
    fn a_plan_that_fits_passes_and_one_that_does_not_is_refused_with_the_numbers() {
        let fits = plan(vec![create("sg-1-1"), create("sg-1-2")]);
        assert_eq!(check(&fits, 8, Some(&TEN), PolicyMode::Addresses), Ok(()));
        let over = plan(vec![create("sg-1-1"), create("sg-1-2"), create("sg-1-3")]);
        let error = check(&over, 8, Some(&TEN), PolicyMode::Addresses).unwrap_err();
        assert_eq!((error.after, error.capacity), (11, 10));
        let text = error.to_string();
        assert!(
            text.contains("11 security rules") && text.contains("PANOS_MAX_RULES"),
            "{text}"
        );
        assert!(text.contains("PALOSYNC_MODE=groups"), "{text}");
        let in_groups = check(&over, 8, Some(&TEN), PolicyMode::Groups).unwrap_err();
        assert!(
            !in_groups.to_string().contains("PALOSYNC_MODE"),
            "{in_groups}"
        );
    }

    #[test]
    fn no_capacity_known_means_no_guard_and_shrinking_is_always_allowed() {
        let over = plan(vec![create("a-1"), create("a-2")]);
        assert_eq!(check(&over, 100, None, PolicyMode::Addresses), Ok(()));
        let shrink = plan(vec![create("a-1"), delete("b-1"), delete("b-2")]);
        assert_eq!(
            check(&shrink, 12, Some(&TEN), PolicyMode::Addresses),
            Ok(())
        );
    }
}
