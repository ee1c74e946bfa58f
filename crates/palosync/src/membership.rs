//! Group mode's fast path for instance events: a start, stop, run or terminate changes which
//! addresses carry a group's tag, not the policy. So the run reads only the registrations of the
//! instances' addresses (and of the instance's own tag, which finds a terminated instance's
//! addresses), changes the difference in one User-ID message, and neither reads, writes nor
//! commits configuration: a stop costs two firewall round trips and no commit.
//!
//! A start also checks that each group it registers into already has its dynamic address group
//! in the running config: known from this process's last committed full reconcile, or one more
//! read on a cold start. When one does not (the group's first member), the
//! policy itself must change: the caller runs the full reconcile instead, which also registers.

use crate::executor::{ExecuteError, ExecuteOptions, Execution};
use crate::firewall::{Firewall, RegistrationStep};
use model::{ReconcileKey, Settings, Topology};
use planner::{Plan, Scope};

/// Whether every key of `scope` is one the fast path decides (instances and their interfaces).
pub fn applies(scope: &Scope) -> bool {
    !scope.keys.is_empty()
        && scope.keys.iter().all(|(key, _)| {
            matches!(
                key,
                ReconcileKey::Instance(_) | ReconcileKey::NetworkInterface(_)
            )
        })
}

/// Reconcile membership only. `Ok(None)`: the policy must change too (a group without its
/// address group yet); run the full reconcile.
pub async fn reconcile(
    firewall: &Firewall,
    settings: &Settings,
    topology: &Topology,
    scope: &Scope,
    options: ExecuteOptions,
) -> Result<Option<Execution>, ExecuteError> {
    let prefix = settings.member_tag_prefix();
    let reads = planner::membership_reads(topology, settings, scope);
    let observed = firewall.read_registrations(&reads, &prefix).await?;
    let mut membership = planner::plan_membership(topology, settings, scope, &observed, &[]);
    let mut existing = Vec::new();
    if !membership.needs_policy.is_empty() {
        existing = firewall
            .member_groups(&prefix, &settings.managed_tag)
            .await?;
        membership = planner::plan_membership(topology, settings, scope, &observed, &existing);
        if !membership.needs_policy.is_empty() {
            tracing::info!(
                groups = ?membership.needs_policy,
                "a group has no address group yet; reconciling its policy too"
            );
            return Ok(None);
        }
    }
    let plan = Plan {
        registrations: membership.changes,
        notes: membership.notes,
        ..Plan::default()
    };
    let mut execution = Execution::new(plan, 0, options.dry_run);
    execution.membership_only = true;
    if !options.dry_run {
        // Behind Panorama each firewall's changes are planned from its own registrations.
        let per_firewall = |observed: &planner::ObservedRegistrations| {
            planner::plan_membership(topology, settings, scope, observed, &existing).changes
        };
        let report = firewall
            .update_registrations(
                RegistrationStep::Both,
                &execution.plan.registrations,
                &per_firewall,
                settings.registration_timeout,
            )
            .await?;
        execution.registrations = Some(report).filter(|r| r.messages > 0 || !r.failed.is_empty());
    }
    Ok(Some(execution))
}
