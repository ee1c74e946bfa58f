//! One run across the target's firewalls: each reconciled on its own with exactly the sequence
//! a single firewall gets (group mode's membership fast path, the full read, the claimed-target
//! reread, the reconcile and its own commit), all of them concurrently within the run's
//! deadline, over the one topology the run read.
//!
//! A firewall that fails (unreachable, timing out, refusing) never stops the others: they
//! finish, each firewall's outcome is reported, and the run fails naming every firewall that
//! failed, so the event is delivered again (SQS) and the next run brings those up to date.
//! Nothing here decides what a firewall should hold: the executor and the planner do.

use crate::app::{App, AppError, Asked};
use crate::executor::{self, ExecuteError, ExecuteOptions, Execution};
use crate::firewall::{Firewall, FirewallError};
use crate::membership;
use crate::report::{FirewallReport, Report, ReportedError, round_trips, since};
use crate::targets::Member;
use model::{PolicyMode, Topology};
use planner::Scope;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

/// One firewall that failed in a fleet run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedFirewall {
    /// Its URL (or instance id when it has no address).
    pub firewall: String,
    pub error_type: &'static str,
    pub message: String,
}

/// Some firewalls of a fleet failed; the others finished and committed on their own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FleetFailed {
    /// Firewalls in the run.
    pub total: usize,
    pub failed: Vec<FailedFirewall>,
}

impl fmt::Display for FleetFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} firewalls failed: ",
            self.failed.len(),
            self.total
        )?;
        for (n, failed) in self.failed.iter().enumerate() {
            let separator = if n == 0 { "" } else { "; " };
            write!(f, "{separator}{}: {}", failed.firewall, failed.message)?;
        }
        Ok(())
    }
}

impl FleetFailed {
    /// The Lambda `errorType`: every failed firewall with its own error type, so a retry's
    /// cause is visible without the log.
    pub fn lambda_error_type(&self) -> String {
        let failed: Vec<String> = self
            .failed
            .iter()
            .map(|f| format!("{} {}", f.firewall, f.error_type))
            .collect();
        format!("FleetFailed: {}", failed.join(", "))
    }
}

/// What one firewall's reconcile produced.
pub(crate) struct MemberRun {
    pub(crate) report: FirewallReport,
    pub(crate) error: Option<AppError>,
}

/// Reconcile every member concurrently and put the outcomes into `report`.
pub(crate) async fn reconcile(
    app: &App,
    report: &mut Report,
    members: Vec<Member>,
    topology: &Topology,
    asked: &Asked,
    scope: &Scope,
    options: ExecuteOptions,
) -> Result<(), AppError> {
    let started = Instant::now();
    let runs = futures::future::join_all(
        members
            .into_iter()
            .map(|member| reconcile_member(app, member, topology, asked, scope, options)),
    )
    .await;
    report
        .durations_ms
        .insert("reconcile", started.elapsed().as_millis() as u64);
    record(report, runs, app.targets.is_fleet())
}

async fn reconcile_member(
    app: &App,
    member: Member,
    topology: &Topology,
    asked: &Asked,
    scope: &Scope,
    options: ExecuteOptions,
) -> MemberRun {
    let mut report = FirewallReport::new(member.name, member.instance_id);
    let firewall = match member.firewall {
        Ok(firewall) => firewall,
        Err(error) => {
            let error = AppError::Member(error);
            report.error = Some(ReportedError::of(&error));
            return MemberRun {
                report,
                error: Some(error),
            };
        }
    };
    let started = Instant::now();
    let trips_before = round_trips(&firewall.stats());
    let result = reconcile_one(app, &firewall, &mut report, topology, asked, scope, options).await;
    report.round_trips = since(round_trips(&firewall.stats()), &trips_before);
    report
        .durations_ms
        .insert("reconcile", started.elapsed().as_millis() as u64);
    let error = result.err();
    report.error = error.as_ref().map(ReportedError::of);
    MemberRun { report, error }
}

/// Today's sequence for one firewall.
async fn reconcile_one(
    app: &App,
    firewall: &Firewall,
    report: &mut FirewallReport,
    topology: &Topology,
    asked: &Asked,
    scope: &Scope,
    options: ExecuteOptions,
) -> Result<(), AppError> {
    let settings = &app.config.policy;
    if settings.mode == PolicyMode::Groups && membership::applies(scope) {
        let fast = membership::reconcile(firewall, settings, topology, scope, options).await?;
        if let Some(execution) = fast {
            return finished(report, execution);
        }
    }
    let registrations = executor::registrations_to_read(settings, scope);
    let state = firewall
        .read_state(settings, &registrations)
        .await
        .map_err(ExecuteError::from)?;
    // Managed rules in scope may point at interfaces the keys' read does not hold (an
    // interface that left the group the event names): read them before planning, so
    // nothing is removed for lack of a read. Per firewall: each holds its own rules.
    let targets = executor::claimed_targets(settings, topology, scope, &state);
    let reread;
    let topology = if targets.is_empty() {
        topology
    } else {
        let reread_started = Instant::now();
        reread = app.topology.topology_for_targets(asked, &targets).await?;
        report.durations_ms.insert(
            "read_aws_claimed",
            reread_started.elapsed().as_millis() as u64,
        );
        report.claimed_targets = Some(targets);
        &reread
    };
    let execution =
        executor::reconcile_state(firewall, settings, topology, scope, &state, options).await?;
    finished(report, execution)
}

/// The execution into the report; behind Panorama, a firewall of the device group that did not
/// take it fails the run, naming it (after everything else was done and reported).
fn finished(report: &mut FirewallReport, execution: Execution) -> Result<(), AppError> {
    let failed = execution.managed_failures();
    report.execution = Some(execution);
    if failed.is_empty() {
        Ok(())
    } else {
        Err(ExecuteError::from(FirewallError::ManagedFirewalls { failed }).into())
    }
}

/// The runs into the report. A single firewall (not a fleet) keeps the report's shape of
/// old, its outcome at the top level and its error the run's; a fleet lists its firewalls and
/// fails with [`FleetFailed`] when any did.
fn record(report: &mut Report, runs: Vec<MemberRun>, fleet: bool) -> Result<(), AppError> {
    let mut total: BTreeMap<String, u64> = BTreeMap::new();
    for run in &runs {
        for (kind, n) in &run.report.round_trips {
            *total.entry(kind.clone()).or_default() += n;
        }
    }
    report.firewall_round_trips = total;
    let mut runs = runs;
    if !fleet && runs.len() == 1 {
        let run = runs.remove(0);
        report.execution = run.report.execution;
        report.claimed_targets = run.report.claimed_targets;
        if let Some(ms) = run.report.durations_ms.get("read_aws_claimed") {
            report.durations_ms.insert("read_aws_claimed", *ms);
        }
        return run.error.map_or(Ok(()), Err);
    }
    let total = runs.len();
    let failed: Vec<FailedFirewall> = runs
        .iter()
        .filter_map(|run| {
            run.error.as_ref().map(|error| FailedFirewall {
                firewall: run.report.firewall.clone(),
                error_type: error.error_type(),
                message: error.to_string(),
            })
        })
        .collect();
    report.firewalls = runs.into_iter().map(|run| run.report).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(AppError::Fleet(FleetFailed { total, failed }))
    }
}
