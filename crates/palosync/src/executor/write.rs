//! The configuration part of a reconcile: wait for palosync's earlier commit if one is still
//! running, take the config lock, write, commit once, release (issue 12 items 3, 4 and 9;
//! issue 15 items 2 and 3).
//!
//! The lock is held through the write and the commit, so two palosync runs never interleave. A
//! run whose view may be stale (it waited for another run's lock or commit, or the rulebase
//! changed since it was read: one request under the lock tells) plans again from what the
//! device holds now.

use super::{ExecuteError, Execution, plan, registrations_to_read};
use crate::capacity;
use crate::executor::ExecuteOptions;
use crate::firewall::{
    CommitReport, Firewall, FirewallError, FirewallState, PushReport, WriteSession,
};
use model::{Settings, Topology};
use planner::{Operation, Plan, Scope};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Time kept back from a deadline for reporting after the commit poll gives up.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(5);

/// One run's context for the write phase.
pub(super) struct Run<'a> {
    pub firewall: &'a Firewall,
    pub settings: &'a Settings,
    pub topology: &'a Topology,
    pub scope: &'a Scope,
    pub options: ExecuteOptions,
}

impl Run<'_> {
    /// Write `execution`'s plan and commit once, or nothing when nothing of palosync's needs
    /// writing or committing. Remembers palosync's running address groups when it ends well.
    pub async fn write_and_commit(
        &self,
        state: &FirewallState,
        execution: &mut Execution,
    ) -> Result<(), ExecuteError> {
        let result = self.locked_write(state, execution).await;
        let groups = match &result {
            Ok(Some(fresh)) => committed_member_groups(self.settings, fresh, execution),
            Ok(None) => committed_member_groups(self.settings, state, execution),
            Err(_) => None,
        };
        self.firewall.remember_member_groups(groups);
        result.map(drop)
    }

    /// `Ok(Some(state))` when the run waited for another run and planned again from `state`.
    async fn locked_write(
        &self,
        state: &FirewallState,
        execution: &mut Execution,
    ) -> Result<Option<FirewallState>, ExecuteError> {
        let firewall = self.firewall;
        let writes = !execution.plan.is_empty();
        let mut pending = firewall.admins_with_pending_changes().await?;
        if !writes && !self.ours_pending(&pending) {
            // Other admins' uncommitted changes are theirs to commit. A sync also frees a lock a
            // killed run left (found by the soak: runs with nothing to write never took it over).
            let sync = self
                .scope
                .keys
                .iter()
                .any(|(key, _)| *key == model::ReconcileKey::Everything);
            if sync
                && firewall.commit_scope().is_ok()
                && let Err(error) = firewall.release_expired_lock().await
            {
                tracing::warn!(%error, "could not check for a lock a killed run left");
            }
            return Ok(None);
        }
        // The lock, the write and the commit end before the deadline, with room to report.
        let hold_until = self
            .options
            .deadline
            .checked_sub(DEADLINE_MARGIN)
            .unwrap_or(self.options.deadline);
        // An earlier run's commit still running: wait for it, never queue another over it.
        let budget = hold_until.saturating_duration_since(Instant::now());
        execution.awaited_commits = firewall.await_own_commits(budget).await?;
        if !execution.awaited_commits.is_empty() {
            pending = firewall.admins_with_pending_changes().await?;
            if !writes && !self.ours_pending(&pending) {
                return Ok(None);
            }
        }

        let session = firewall.begin_write(hold_until).await?;
        execution.key_user = Some(session.key_user.clone());
        let result = self
            .under_lock(state, execution, &session, pending, hold_until)
            .await;
        let released = firewall.end_write(session).await;
        let fresh = result?;
        released?;
        Ok(fresh)
    }

    async fn under_lock(
        &self,
        state: &FirewallState,
        execution: &mut Execution,
        session: &WriteSession,
        mut pending: Vec<String>,
        hold_until: Instant,
    ) -> Result<Option<FirewallState>, ExecuteError> {
        // Another run may have written and committed since this run read the device (it held
        // the lock, or finished before this run asked for it): then the plan is stale.
        let changed = session.waited_for_other_run
            || !execution.awaited_commits.is_empty()
            || self.firewall.read_rules().await? != state.rules;
        let mut fresh = None;
        if changed {
            let read = registrations_to_read(self.settings, self.scope);
            let now = self.firewall.read_state(self.settings, &read).await?;
            let (replanned, queries) = plan(
                self.firewall,
                self.settings,
                self.topology,
                self.scope,
                &now,
            )
            .await?;
            capacity::check(
                &replanned,
                now.rules.len(),
                self.firewall.capacity().as_ref(),
                self.settings.mode,
            )?;
            execution.plan = replanned;
            execution.policy_match_queries += queries;
            pending = self.firewall.admins_with_pending_changes().await?;
            fresh = Some(now);
        }
        let current = fresh.as_ref().unwrap_or(state);
        let create_tag = (!current.managed_tag_exists && !execution.plan.operations.is_empty())
            .then_some(self.settings.managed_tag.as_str());
        let needs_commit = write(self.firewall, execution, session, &pending, create_tag).await?;
        if needs_commit {
            let budget = hold_until
                .saturating_duration_since(Instant::now())
                .max(Duration::from_secs(1));
            let description = commit_description(&execution.plan, self.scope);
            let started = Instant::now();
            execution.commit = Some(self.firewall.commit(&description, budget).await?);
            execution.commit_ms = Some(started.elapsed().as_millis() as u64);
        }
        Ok(fresh)
    }

    /// Behind Panorama: push the device group when this run committed, or when a firewall of
    /// the group is not in sync (an earlier push failed: the retry pushes again), and wait for
    /// every firewall. Nothing while a commit is still running: the push would carry the
    /// previous configuration; the next run waits for the commit, then pushes.
    pub async fn push(&self, execution: &Execution) -> Result<Option<PushReport>, ExecuteError> {
        let Some(panorama) = self.firewall.panorama() else {
            return Ok(None);
        };
        if matches!(execution.commit, Some(CommitReport::StillRunning { .. })) {
            return Ok(None);
        }
        let committed = matches!(execution.commit, Some(CommitReport::Committed { .. }));
        let budget = self
            .options
            .deadline
            .checked_sub(DEADLINE_MARGIN)
            .unwrap_or(self.options.deadline)
            .saturating_duration_since(Instant::now())
            .max(Duration::from_secs(1));
        let description = commit_description(&execution.plan, self.scope);
        let report = self
            .firewall
            .push_device_group(panorama, committed, &description, budget)
            .await?;
        Ok(Some(report))
    }

    fn ours_pending(&self, pending: &[String]) -> bool {
        match self.firewall.admin() {
            Some(admin) => pending.iter().any(|a| a == admin),
            None => !pending.is_empty(),
        }
    }
}

/// palosync's dynamic address groups in the running config after `execution` wrote and
/// committed (or had nothing to): the ones read, plus those created, minus those deleted.
/// `None` while a commit is still running: the running config is not known yet.
fn committed_member_groups(
    settings: &Settings,
    state: &FirewallState,
    execution: &Execution,
) -> Option<Vec<String>> {
    if matches!(execution.commit, Some(CommitReport::StillRunning { .. })) {
        return None;
    }
    let prefix = settings.member_tag_prefix();
    let mut groups: BTreeSet<String> = state
        .objects
        .address_groups
        .iter()
        .filter(|g| {
            g.name.starts_with(&prefix)
                && g.dynamic_filter.is_some()
                && g.tags.contains(&settings.managed_tag)
        })
        .map(|g| g.name.clone())
        .collect();
    let plan = &execution.plan;
    for operation in plan.operations.iter().chain(&plan.cleanup) {
        match operation {
            Operation::CreateAddressGroup { group, .. } => {
                groups.insert(group.name.clone());
            }
            Operation::DeleteAddressGroup { name, .. }
                if !execution.leftovers.iter().any(|l| &l.name == name) =>
            {
                groups.remove(name);
            }
            _ => {}
        }
    }
    Some(groups.into_iter().collect())
}

/// Under the lock: refuse a full commit over others' pending changes, write, and say whether a
/// commit is needed (this run wrote, or palosync's admin has uncommitted changes).
async fn write(
    firewall: &Firewall,
    execution: &mut Execution,
    session: &WriteSession,
    pending: &[String],
    create_tag: Option<&str>,
) -> Result<bool, FirewallError> {
    let own_pending = pending.contains(&session.key_user);
    let others: Vec<String> = pending
        .iter()
        .filter(|a| **a != session.key_user)
        .cloned()
        .collect();
    let writes = !execution.plan.is_empty();
    if !writes && !own_pending {
        return Ok(false);
    }
    if firewall.full_commit() && !others.is_empty() {
        return Err(FirewallError::OtherAdminsPending { admins: others });
    }
    if writes {
        let written = firewall
            .apply(&execution.plan, create_tag, &session.key_user, own_pending)
            .await?;
        execution.actions_written = written.actions;
        execution.batches = written.batches;
        execution.strict_batch = written.strict;
        execution.leftovers = written.leftovers;
    }
    Ok(execution.actions_written > 0 || own_pending)
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
