//! What a run could not do across accounts: the places that failed, the absences that wait
//! for them, and which triggers were settled anyway (for SQS partial batch responses).

use super::place_of;
use events::Trigger;
use model::{AccountRegion, ReconcileKey};
use serde::Serialize;
use std::fmt;

/// A place this run could not reconcile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedAccount {
    pub account: String,
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    pub message: String,
}

impl FailedAccount {
    pub fn at(&self) -> AccountRegion {
        AccountRegion::new(&self.account, &self.region)
    }
}

impl fmt::Display for FailedAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "account {} in {}", self.account, self.region)?;
        if let Some(role) = &self.role_arn {
            write!(f, " (through {role})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Some accounts or regions could not be read or reconciled (`others_reconciled` says whether
/// the rest were).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AccountsFailed {
    /// Places with work this run.
    pub total: usize,
    pub failed: Vec<FailedAccount>,
    /// Keys whose absence waits for a failed place to confirm it.
    pub unconfirmed: Vec<ReconcileKey>,
    /// Whether the places that were read were reconciled (and committed); `false` when the
    /// failure stopped the run before anything was.
    pub others_reconciled: bool,
}

impl fmt::Display for AccountsFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} accounts and regions could not be reconciled: ",
            self.failed.len(),
            self.total
        )?;
        for (n, failed) in self.failed.iter().enumerate() {
            let separator = if n == 0 { "" } else { "; " };
            write!(f, "{separator}{failed}")?;
        }
        Ok(())
    }
}

impl AccountsFailed {
    /// The Lambda `errorType`: every place that failed, so a retry's cause shows without the
    /// log.
    pub fn lambda_error_type(&self) -> String {
        let failed: Vec<String> = self
            .failed
            .iter()
            .map(|f| format!("{}/{}", f.account, f.region))
            .collect();
        format!("AccountsFailed: {}", failed.join(", "))
    }

    /// Whether the run finished `trigger`'s work despite the failures: it was reconciled, its
    /// place was read, and no absence it depends on waits. A trigger of no place (a schedule)
    /// needed every place. Decides which SQS messages come again.
    pub fn settled(&self, trigger: &Trigger) -> bool {
        self.others_reconciled
            && place_of(&trigger.provenance)
                .is_some_and(|at| self.failed.iter().all(|f| f.at() != at))
            && !self.unconfirmed.contains(&trigger.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Provenance;

    fn trigger(key: ReconcileKey, at: Option<(&str, &str)>) -> Trigger {
        let mut provenance = Provenance::sync("test");
        if let Some((account, region)) = at {
            provenance.account = Some(account.into());
            provenance.region = Some(region.into());
        }
        Trigger { key, provenance }
    }

    #[test]
    fn a_trigger_is_settled_only_when_nothing_it_needed_failed() {
        let failed = AccountsFailed {
            total: 3,
            failed: vec![FailedAccount {
                account: "222222222222".into(),
                region: "eu-west-1".into(),
                role_arn: None,
                message: "unreachable".into(),
            }],
            unconfirmed: vec![ReconcileKey::Instance("i-0gone".into())],
            others_reconciled: true,
        };
        let group = || ReconcileKey::SecurityGroup("sg-1".into());
        let healthy = trigger(group(), Some(("111111111111", "eu-west-1")));
        assert!(failed.settled(&healthy));
        let same_account_other_region = trigger(group(), Some(("222222222222", "us-east-1")));
        assert!(failed.settled(&same_account_other_region));
        assert!(!failed.settled(&trigger(group(), Some(("222222222222", "eu-west-1")))));
        let waits = ReconcileKey::Instance("i-0gone".into());
        assert!(!failed.settled(&trigger(waits, Some(("111111111111", "eu-west-1")))));
        assert!(
            !failed.settled(&trigger(ReconcileKey::Everything, None)),
            "a schedule needed every place"
        );
        let stopped = AccountsFailed {
            others_reconciled: false,
            ..failed
        };
        assert!(!stopped.settled(&healthy), "nothing was reconciled");
    }
}
