//! One reconcile: read the firewall once, plan, ask the shadow questions, write the plan in as few
//! atomic batches as its size allows (one for any ordinary event), commit once. Level-triggered:
//! the topology passed in is AWS as it is now, and the scope only narrows what may change.
//!
//! Never commits when nothing was written by this run and nothing of a previous run is pending;
//! never commits anything when a write failed (each batch is atomic on the device, and the one
//! commit comes after the last batch).

use crate::firewall::{CommitReport, Firewall, FirewallError};
use model::{Settings, Topology};
use planner::{Plan, PlanError, PlanInput, Scope};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Time kept back from a deadline for reporting after the commit poll gives up.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    #[error(transparent)]
    Firewall(#[from] FirewallError),
    #[error("cannot plan: {0}")]
    Plan(#[from] PlanError),
}

impl ExecuteError {
    pub fn error_type(&self) -> &'static str {
        match self {
            ExecuteError::Firewall(e) => e.error_type(),
            ExecuteError::Plan(_) => "PlanRejected",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ExecuteOptions {
    pub dry_run: bool,
    /// When the invocation must have answered (Lambda deadline, or a CLI budget).
    pub deadline: Instant,
}

/// What one reconcile did.
#[derive(Debug, Clone, Serialize)]
pub struct Execution {
    pub plan: Plan,
    pub policy_match_queries: usize,
    /// Config actions written in the batch (0 on a dry run or an empty plan).
    pub actions_written: usize,
    /// `None` when nothing needed committing (or on a dry run).
    pub commit: Option<CommitReport>,
    pub dry_run: bool,
}

pub async fn reconcile(
    firewall: &Firewall,
    settings: &Settings,
    topology: &Topology,
    scope: &Scope,
    options: ExecuteOptions,
) -> Result<Execution, ExecuteError> {
    let state = firewall.read_state(&settings.managed_tag).await?;
    let candidates = planner::plan_candidates(PlanInput {
        topology,
        settings,
        scope,
        rules: &state.rules,
        services: &state.services,
        objects: &state.objects,
    })?;
    let queries = candidates.queries().len();
    let answers = firewall.answer(candidates.queries()).await?;
    let plan = candidates.finish(&answers);

    let mut execution = Execution {
        plan,
        policy_match_queries: queries,
        actions_written: 0,
        commit: None,
        dry_run: options.dry_run,
    };
    if options.dry_run {
        return Ok(execution);
    }

    let needs_commit = if execution.plan.is_empty() {
        // A previous run may have written a batch whose commit failed or outlived its deadline.
        firewall.has_pending_changes().await?
    } else {
        let create_tag = (!state.managed_tag_exists).then_some(settings.managed_tag.as_str());
        execution.actions_written = firewall.apply(&execution.plan, create_tag).await?;
        true
    };
    if needs_commit {
        let budget = options
            .deadline
            .saturating_duration_since(Instant::now())
            .saturating_sub(DEADLINE_MARGIN)
            .max(Duration::from_secs(1));
        let description = commit_description(&execution.plan, scope);
        execution.commit = Some(firewall.commit(&description, budget).await?);
    }
    Ok(execution)
}

/// `palosync: 3 changes (StartInstances 4b2c… by arn:…)`, kept short for the commit log.
fn commit_description(plan: &Plan, scope: &Scope) -> String {
    let cause = match scope.keys.as_slice() {
        [] => "sync".to_owned(),
        [(_, provenance)] => provenance.summary(),
        [(_, first), rest @ ..] => format!("{} and {} more", first.summary(), rest.len()),
    };
    let text = match plan.operations.len() {
        0 => format!("palosync: pending changes ({cause})"),
        n => format!("palosync: {n} changes ({cause})"),
    };
    text.chars().take(250).collect()
}
