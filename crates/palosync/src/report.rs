//! The invocation report: what came in, what was skipped and why, what changed on the
//! firewall and why, what it cost. One structured JSON line per invocation in Lambda; a
//! readable table (or the same JSON) on the command line. Both are rendered from [`Report`],
//! so the log and the terminal cannot disagree.

use crate::executor::Execution;
use crate::firewall::CommitReport;
use events::{Skip, SkipTally};
use model::{ReadTargets, ReconcileKey};
use planner::Operation;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// `lambda`, `sync`, `plan`, `handle`, `demo`.
    pub trigger: String,
    pub dry_run: bool,
    /// Records that asked for a reconcile (after de-duplication).
    pub events: usize,
    pub keys: Vec<ReconcileKey>,
    /// Records and notifications that asked for nothing, each with its reason.
    pub skipped_events: Vec<Skip>,
    /// Irrelevant records of CloudTrail log files, counted by event name and reason.
    pub skipped_records: Vec<SkipTally>,
    /// SQS messages that could not be processed (they return to the queue).
    pub failed_messages: Vec<String>,
    /// Accounts and regions whose keys could not be read this run (`PALOSYNC_ACCOUNTS`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accounts_failed: Vec<crate::accounts::FailedAccount>,
    /// What managed rules in scope pointed at beyond the keys' read, and was read too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_targets: Option<ReadTargets>,
    /// What the firewall did (`PANOS_TARGET=firewall`); a fleet's are in `firewalls`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution: Option<Execution>,
    /// Each firewall of a fleet (`PANOS_TARGET=fleet`), in the fleet's order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub firewalls: Vec<FirewallReport>,
    /// Round trips to the firewall (a fleet's: all its firewalls'), by request kind.
    pub firewall_round_trips: BTreeMap<String, u64>,
    /// AWS API calls, by operation.
    pub aws_calls: BTreeMap<String, u64>,
    pub durations_ms: BTreeMap<&'static str, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ReportedError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportedError {
    pub error_type: String,
    pub message: String,
}

impl ReportedError {
    pub fn of(error: &crate::app::AppError) -> Self {
        Self {
            error_type: error.error_type().to_owned(),
            message: error.to_string(),
        }
    }
}

/// One firewall of a fleet run: what it did, what it cost, how it failed.
#[derive(Debug, Clone, Serialize)]
pub struct FirewallReport {
    /// Its management URL (its instance id when it has no address).
    pub firewall: String,
    /// The EC2 instance, for a discovered fleet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_targets: Option<ReadTargets>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution: Option<Execution>,
    pub round_trips: BTreeMap<String, u64>,
    pub durations_ms: BTreeMap<&'static str, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ReportedError>,
}

impl FirewallReport {
    pub fn new(firewall: String, instance_id: Option<String>) -> Self {
        Self {
            firewall,
            instance_id,
            claimed_targets: None,
            execution: None,
            round_trips: BTreeMap::new(),
            durations_ms: BTreeMap::new(),
            error: None,
        }
    }
}

impl Report {
    pub fn new(trigger: &str, dry_run: bool) -> Self {
        Self {
            trigger: trigger.to_owned(),
            dry_run,
            ..Self::default()
        }
    }

    /// Every firewall's execution: the one firewall's, or each of a fleet's that got so far.
    pub fn executions(&self) -> impl Iterator<Item = &Execution> {
        self.execution
            .iter()
            .chain(self.firewalls.iter().filter_map(|f| f.execution.as_ref()))
    }

    /// The one firewall's firewall operations (a fleet's are per firewall).
    pub fn operations(&self) -> &[Operation] {
        self.execution
            .as_ref()
            .map_or(&[], |e| e.plan.operations.as_slice())
    }

    pub fn commit(&self) -> Option<&CommitReport> {
        self.execution.as_ref().and_then(|e| e.commit.as_ref())
    }

    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|err| {
            format!(r#"{{"error":{{"error_type":"ReportUnserializable","message":"{err}"}}}}"#)
        })
    }

    /// The human form, for terminals.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let mode = if self.dry_run { " (dry run)" } else { "" };
        let _ = writeln!(out, "palosync {}{mode}", self.trigger);
        let _ = writeln!(
            out,
            "  events: {}   keys: {}   skipped: {} (+{} log records)",
            self.events,
            self.keys.len(),
            self.skipped_events.len(),
            self.skipped_records.iter().map(|t| t.count).sum::<u64>()
        );
        for key in &self.keys {
            let _ = writeln!(out, "    reconcile {key}");
        }
        for skip in &self.skipped_events {
            let _ = writeln!(out, "    skipped {skip}");
        }
        for id in &self.failed_messages {
            let _ = writeln!(out, "    failed message {id}");
        }
        for failed in &self.accounts_failed {
            let _ = writeln!(out, "    not reconciled: {failed}");
        }
        if let Some(execution) = &self.execution {
            write_execution(&mut out, execution);
        }
        for firewall in &self.firewalls {
            let trips: u64 = firewall.round_trips.values().sum();
            let _ = writeln!(
                out,
                "  firewall {}{}: {trips} round trips",
                firewall.firewall,
                firewall
                    .instance_id
                    .as_ref()
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default()
            );
            if let Some(execution) = &firewall.execution {
                write_execution(&mut out, execution);
            }
            if let Some(error) = &firewall.error {
                let _ = writeln!(out, "    error ({}): {}", error.error_type, error.message);
            }
        }
        let trips: u64 = self.firewall_round_trips.values().sum();
        let calls: u64 = self.aws_calls.values().sum();
        let _ = writeln!(
            out,
            "  firewall round trips: {trips} {:?}   AWS calls: {calls}",
            self.firewall_round_trips
        );
        if let Some(total) = self.durations_ms.get("total") {
            let _ = writeln!(out, "  took {total} ms");
        }
        if let Some(error) = &self.error {
            let _ = writeln!(out, "  error ({}): {}", error.error_type, error.message);
        }
        out
    }
}

/// One firewall's plan, changes and commit, as table lines.
fn write_execution(out: &mut String, execution: &Execution) {
    let plan = &execution.plan;
    let _ = writeln!(out, "  operations: {}", plan.operations.len());
    for op in &plan.operations {
        let _ = writeln!(out, "    {:<18} {}", op_kind(op), op.why().text);
    }
    let changes = &plan.registrations;
    if !changes.is_empty() {
        let _ = writeln!(
            out,
            "  registrations: {} to register, {} to unregister (User-ID, no commit)",
            changes.register.len(),
            changes.unregister.len()
        );
        let listed = changes.listed();
        for (verb, registration) in listed.clone().take(MAX_LISTED) {
            let _ = writeln!(
                out,
                "    {verb:<18} {} {}: {}",
                registration.address,
                registration.tags.join(", "),
                registration.why.text
            );
        }
        let more = listed.count().saturating_sub(MAX_LISTED);
        if more > 0 {
            let _ = writeln!(out, "    … and {more} more");
        }
    }
    for skipped in &plan.skipped {
        let _ = writeln!(
            out,
            "    not opened: {} {} on {}: {}",
            skipped.group, skipped.permission, skipped.network_interface, skipped.reason
        );
    }
    for shadowed in &plan.shadowed {
        let _ = writeln!(
            out,
            "    already allowed by {}: {}",
            shadowed.rule, shadowed.allowance
        );
    }
    for note in &plan.notes {
        let _ = writeln!(out, "    note: {note}");
    }
    for op in &plan.cleanup {
        let _ = writeln!(out, "    {:<18} {}", op_kind(op), op.why().text);
    }
    for leftover in &execution.leftovers {
        let _ = writeln!(
            out,
            "    left behind: {} {} (retried next run): {}",
            leftover.kind,
            leftover.name,
            leftover.lines.join(" ")
        );
    }
    for awaited in &execution.awaited_commits {
        let _ = writeln!(
            out,
            "    waited for palosync's earlier commit job {}: {} {}",
            awaited.job_id,
            awaited.result,
            awaited.lines.join(" ")
        );
    }
    let commit = match &execution.commit {
        None if execution.dry_run => "none (dry run)".to_owned(),
        None if execution.membership_only => {
            "none (membership only: registrations take effect at once)".to_owned()
        }
        None => "none (nothing to change)".to_owned(),
        Some(CommitReport::Committed { job_id, .. }) => format!("job {job_id} OK"),
        Some(CommitReport::NothingToCommit) => "nothing to commit".to_owned(),
        Some(CommitReport::StillRunning { job_id }) => {
            format!("job {job_id} still running at the deadline")
        }
    };
    let _ = writeln!(out, "  commit: {commit}");
    if let Some(push) = &execution.push {
        let job = push
            .job_id
            .map_or("none (every firewall in sync)".to_owned(), |id| {
                format!("job {id}")
            });
        let _ = writeln!(out, "  push to the device group: {job}");
        for device in &push.devices {
            let mut line = format!(
                "    {} {}: {}, {}",
                device.serial,
                device.hostname.as_deref().unwrap_or(""),
                device.result.as_deref().unwrap_or("not pushed"),
                device.policy
            );
            if !device.connected {
                line.push_str(", not connected");
            }
            for detail in &device.lines {
                line.push_str(" | ");
                line.push_str(detail);
            }
            let _ = writeln!(out, "{line}");
        }
    }
    if let Some(failed) = execution.registrations.as_ref().map(|r| &r.failed) {
        for failure in failed {
            let _ = writeln!(
                out,
                "    registrations on {} failed: {}",
                failure.serial, failure.message
            );
        }
    }
}

/// Registrations listed one per line in the table; the rest are counted.
const MAX_LISTED: usize = 50;

fn op_kind(op: &Operation) -> &'static str {
    match op {
        Operation::CreateService { .. } => "create service",
        Operation::CreateRule { .. } => "create rule",
        Operation::ReplaceRule { .. } => "replace rule",
        Operation::DeleteRule { .. } => "delete rule",
        Operation::MoveAboveBottom { .. } => "move rule",
        Operation::DeleteService { .. } => "delete service",
        Operation::CreateAddressGroup { .. } => "create address group",
        Operation::DeleteAddressGroup { .. } => "delete address group",
    }
}

/// Round trips by kind, with readable keys.
pub fn round_trips(stats: &panos::ClientStats) -> BTreeMap<String, u64> {
    stats
        .round_trips
        .iter()
        .map(|(kind, count)| (format!("{kind:?}"), *count))
        .collect()
}

/// What a counter map gained since `before`: one invocation's share of a client that lives
/// across invocations (a warm Lambda reuses its `App`). Kinds that did not move are left out.
pub fn since(
    after: BTreeMap<String, u64>,
    before: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    after
        .into_iter()
        .map(|(kind, n)| {
            let gained = n.saturating_sub(before.get(&kind).copied().unwrap_or(0));
            (kind, gained)
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}
