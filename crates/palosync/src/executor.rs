//! One reconcile: read the firewall once, plan, ask the shadow questions, write the plan in as few
//! batches as its size allows (one for any ordinary event), commit once. Level-triggered: the
//! topology passed in is AWS as it is now, and the scope only narrows what may change.
//!
//! Safety rules this module keeps (issue 12):
//! - A run that writes or commits first verifies that the key belongs to `PANOS_ADMIN` and holds
//!   the vsys config lock while writing (item 4).
//! - It commits only when it wrote something or palosync's own admin has uncommitted changes;
//!   other admins' pending changes never make it commit. In full-commit mode it refuses to write
//!   or commit at all while another admin has uncommitted changes (item 3): a full commit would
//!   push them, and refusing before the write leaves nothing half-applied.
//! - A narrow run plans only against a topology that holds what its managed rules in scope point
//!   at: the caller reads [`claimed_targets`] too (item 7).
//! - Object deletes never block rule changes: refused ones are reported as leftovers (item 1).
//! - Never commits anything when a write failed; a later batch's failure reverts palosync's own
//!   uncommitted changes (item 9).

use crate::capacity::{self, CapacityExceeded};
use crate::firewall::{
    CommitReport, Firewall, FirewallError, FirewallState, LeftoverObject, RegistrationReport,
    WriteSession,
};
use model::{PolicyMode, ReadTargets, ReconcileKey, Settings, Topology};
use planner::{Operation, Plan, PlanError, PlanInput, RegistrationRead, Scope};
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Time kept back from a deadline for reporting after the commit poll gives up.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    #[error(transparent)]
    Firewall(#[from] FirewallError),
    #[error("cannot plan: {0}")]
    Plan(#[from] PlanError),
    #[error("refusing to write: {0}")]
    Capacity(#[from] CapacityExceeded),
}

impl ExecuteError {
    pub fn error_type(&self) -> &'static str {
        match self {
            ExecuteError::Firewall(e) => e.error_type(),
            ExecuteError::Plan(_) => "PlanRejected",
            ExecuteError::Capacity(_) => "CapacityExceeded",
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
    /// Config actions written (0 on a dry run or an empty plan).
    pub actions_written: usize,
    /// Multi-config requests of the rule changes, and whether that was one strict batch.
    pub batches: usize,
    pub strict_batch: bool,
    /// Managed objects the device refused to delete (still referenced); a later run retries.
    pub leftovers: Vec<LeftoverObject>,
    /// The administrator the key belongs to, when this run verified it (runs that write or
    /// commit).
    pub key_user: Option<String>,
    /// `None` when nothing needed committing (or on a dry run).
    pub commit: Option<CommitReport>,
    /// User-ID changes (group mode, and leaving it); `None` when there were none to make.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registrations: Option<RegistrationReport>,
    /// The run changed membership only, from registrations read by address or instance: no
    /// configuration was read, written or committed (group mode, instance events).
    pub membership_only: bool,
    pub dry_run: bool,
}

impl Execution {
    pub(crate) fn new(plan: Plan, policy_match_queries: usize, dry_run: bool) -> Self {
        Self {
            plan,
            policy_match_queries,
            actions_written: 0,
            batches: 0,
            strict_batch: false,
            leftovers: Vec::new(),
            key_user: None,
            commit: None,
            registrations: None,
            membership_only: false,
            dry_run,
        }
    }
}

/// What the full read must include of the User-ID registrations: all of them in group mode,
/// and on a sync in address mode (leftovers of group mode are removed then); none otherwise.
pub fn registrations_to_read(settings: &Settings, scope: &Scope) -> RegistrationRead {
    let everything = scope
        .keys
        .iter()
        .any(|(key, _)| *key == ReconcileKey::Everything);
    if settings.mode == PolicyMode::Groups || everything {
        RegistrationRead::All
    } else {
        RegistrationRead::Nothing
    }
}

/// Read the firewall, then reconcile it with `topology` (which must already hold whatever the
/// state's managed rules in scope point at: see [`claimed_targets`]).
pub async fn reconcile(
    firewall: &Firewall,
    settings: &Settings,
    topology: &Topology,
    scope: &Scope,
    options: ExecuteOptions,
) -> Result<Execution, ExecuteError> {
    let state = firewall
        .read_state(settings, &registrations_to_read(settings, scope))
        .await?;
    reconcile_state(firewall, settings, topology, scope, &state, options).await
}

/// What the inventory must read beyond the keys before `state` can be planned against
/// `topology`: the interfaces and instances that managed rules in scope point at and the read
/// does not hold (issue 12, item 7). Empty when the read already decides everything.
pub fn claimed_targets(
    settings: &Settings,
    topology: &Topology,
    scope: &Scope,
    state: &FirewallState,
) -> ReadTargets {
    planner::read_targets(plan_input(settings, topology, scope, state))
}

fn plan_input<'a>(
    settings: &'a Settings,
    topology: &'a Topology,
    scope: &'a Scope,
    state: &'a FirewallState,
) -> PlanInput<'a> {
    PlanInput {
        topology,
        settings,
        scope,
        rules: &state.rules,
        services: &state.services,
        objects: &state.objects,
    }
}

/// Reconcile a firewall whose state was read already (by the caller, to find the
/// [`claimed_targets`]).
pub async fn reconcile_state(
    firewall: &Firewall,
    settings: &Settings,
    topology: &Topology,
    scope: &Scope,
    state: &FirewallState,
    options: ExecuteOptions,
) -> Result<Execution, ExecuteError> {
    let candidates = planner::plan_candidates(plan_input(settings, topology, scope, state))?;
    let queries = candidates.queries().len();
    let answers = firewall.answer(candidates.queries()).await?;
    let plan = candidates.finish(&answers);

    let mut execution = Execution::new(plan, queries, options.dry_run);
    if options.dry_run {
        return Ok(execution);
    }
    capacity::check(
        &execution.plan,
        state.rules.len(),
        firewall.capacity().as_ref(),
        settings.mode,
    )?;
    // Members first, so the rules committed next find them; stale members go only once the
    // commit has landed (leaving group mode, the address rules that replace them are live).
    let timeout = settings.registration_timeout;
    let mut registered = firewall
        .update_registrations(&execution.plan.registrations.register, &[], timeout)
        .await?;
    let written = write_and_commit(firewall, settings, state, scope, &mut execution, options).await;
    firewall.remember_member_groups(
        written
            .is_ok()
            .then(|| committed_member_groups(settings, state, &execution))
            .flatten(),
    );
    written?;
    let unregistered = firewall
        .update_registrations(&[], &execution.plan.registrations.unregister, timeout)
        .await?;
    registered.unregistered = unregistered.unregistered;
    registered.messages += unregistered.messages;
    execution.registrations = Some(registered).filter(|r| r.messages > 0);
    Ok(execution)
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

/// The configuration part of a reconcile: write the plan under the config lock and commit once,
/// or nothing when there is nothing of palosync's to write or commit.
async fn write_and_commit(
    firewall: &Firewall,
    settings: &Settings,
    state: &FirewallState,
    scope: &Scope,
    execution: &mut Execution,
    options: ExecuteOptions,
) -> Result<(), ExecuteError> {
    let create_tag = (!state.managed_tag_exists && !execution.plan.operations.is_empty())
        .then_some(settings.managed_tag.as_str());
    let writes = !execution.plan.is_empty();
    let pending = firewall.admins_with_pending_changes().await?;
    let nothing_of_ours_pending = match firewall.admin() {
        Some(admin) => !pending.iter().any(|a| a == admin),
        None => pending.is_empty(),
    };
    if !writes && nothing_of_ours_pending {
        // Other admins' uncommitted changes are theirs to commit.
        return Ok(());
    }

    let session = firewall.begin_write().await?;
    execution.key_user = Some(session.key_user.clone());
    let written = write(firewall, execution, &session, &pending, create_tag).await;
    let released = firewall.end_write(session).await;
    let needs_commit = written?;
    released?;
    if needs_commit {
        let budget = options
            .deadline
            .saturating_duration_since(Instant::now())
            .saturating_sub(DEADLINE_MARGIN)
            .max(Duration::from_secs(1));
        let description = commit_description(&execution.plan, scope);
        execution.commit = Some(firewall.commit(&description, budget).await?);
    }
    Ok(())
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
