//! One reconcile: read the firewall once, plan, ask the shadow questions, write the plan in as few
//! batches as its size allows (one for any ordinary event), commit once. Level-triggered: the
//! topology passed in is AWS as it is now, and the scope only narrows what may change.
//!
//! Safety rules this module keeps (issue 12):
//! - A run that writes or commits first verifies that the key belongs to `PANOS_ADMIN` and holds
//!   the vsys config lock through the write and the commit (item 4; and issue 15, item 3: two
//!   palosync runs never interleave; see the `write` module).
//! - An earlier commit of palosync's still running is waited for, never committed over (issue
//!   15, item 2).
//! - It commits only when it wrote something or palosync's own admin has uncommitted changes;
//!   other admins' pending changes never make it commit. In full-commit mode it refuses to write
//!   or commit at all while another admin has uncommitted changes (item 3): a full commit would
//!   push them, and refusing before the write leaves nothing half-applied.
//! - A narrow run plans only against a topology that holds what its managed rules in scope point
//!   at: the caller reads [`claimed_targets`] too (item 7).
//! - Object deletes never block rule changes: refused ones are reported as leftovers (item 1).
//! - Never commits anything when a write failed; a later batch's failure reverts palosync's own
//!   uncommitted changes (item 9).

mod write;

use crate::capacity::{self, CapacityExceeded};

use crate::firewall::{
    AwaitedCommit, CommitReport, Firewall, FirewallError, FirewallState, LeftoverObject,
    ManagedFailure, PushReport, RegistrationReport, RegistrationStep,
};
use model::{PolicyMode, ReadTargets, ReconcileKey, Settings, Topology};
use planner::{Plan, PlanError, PlanInput, RegistrationRead, Scope};
use serde::Serialize;
use std::time::Instant;

pub use write::DEADLINE_MARGIN;

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
    /// How long the commit took, polled to its end (or to the deadline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_ms: Option<u64>,
    /// Earlier commits of palosync's, still running when this run began, that it waited for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub awaited_commits: Vec<AwaitedCommit>,
    /// User-ID changes (group mode, and leaving it); `None` when there were none to make.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registrations: Option<RegistrationReport>,
    /// Behind Panorama: the push to the device group's firewalls and how each ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push: Option<PushReport>,
    /// The run changed membership only, from registrations read by address or instance: no
    /// configuration was read, written or committed (group mode, instance events).
    pub membership_only: bool,
    pub dry_run: bool,
}

impl Execution {
    /// Behind Panorama: the firewalls that did not take this run's push or registrations, each
    /// once (the run fails naming them, so it is retried).
    pub fn managed_failures(&self) -> Vec<ManagedFailure> {
        let pushed = self.push.iter().flat_map(PushReport::failures);
        let registered = self.registrations.iter().flat_map(|r| r.failed.clone());
        let mut failed: Vec<ManagedFailure> = Vec::new();
        for failure in pushed.chain(registered) {
            match failed.iter_mut().find(|f| f.serial == failure.serial) {
                Some(known) if known.message != failure.message => {
                    known.message = format!("{}; {}", known.message, failure.message);
                }
                Some(_) => {}
                None => failed.push(failure),
            }
        }
        failed
    }

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
            commit_ms: None,
            awaited_commits: Vec::new(),
            registrations: None,
            push: None,
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
    let (plan, queries) = plan(firewall, settings, topology, scope, state).await?;
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
    // commit (and behind Panorama the push) has landed (leaving group mode, the address rules
    // that replace them are live).
    let timeout = settings.registration_timeout;
    let per_firewall = |observed: &planner::ObservedRegistrations| {
        planner::plan_registrations_for(topology, settings, scope, observed)
    };
    let mut registered = firewall
        .update_registrations(
            RegistrationStep::Register,
            &execution.plan.registrations,
            &per_firewall,
            timeout,
        )
        .await?;
    let run = write::Run {
        firewall,
        settings,
        topology,
        scope,
        options,
    };
    run.write_and_commit(state, &mut execution).await?;
    execution.push = run.push(&execution).await?;
    let unregistered = firewall
        .update_registrations(
            RegistrationStep::Unregister,
            &execution.plan.registrations,
            &per_firewall,
            timeout,
        )
        .await?;
    registered.unregistered = unregistered.unregistered;
    registered.messages += unregistered.messages;
    registered.failed.extend(unregistered.failed);
    execution.registrations = Some(registered).filter(|r| r.messages > 0 || !r.failed.is_empty());
    Ok(execution)
}

/// Plan `state` against `topology`, asking the firewall what static analysis cannot decide.
async fn plan(
    firewall: &Firewall,
    settings: &Settings,
    topology: &Topology,
    scope: &Scope,
    state: &FirewallState,
) -> Result<(Plan, usize), ExecuteError> {
    let candidates = planner::plan_candidates(plan_input(settings, topology, scope, state))?;
    let queries = candidates.queries().len();
    let answers = firewall.answer(candidates.queries()).await?;
    Ok((candidates.finish(&answers), queries))
}
