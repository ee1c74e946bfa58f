//! Group mode (`PALOSYNC_MODE=groups`): the same desired allowances as address mode, written
//! the way a firewall engineer would. Rules follow security-group permissions; members follow
//! instances through dynamic address groups fed by User-ID registrations, which take effect at
//! once and need no commit.
//!
//! Decided semantics:
//! - **Address groups**: each security group G with an in-scope member address and a
//!   permission yielding external sources gets one dynamic address group named
//!   `member_tag(G)` (`palosync.sg-…`), filter `'<that tag>'`, tagged managed.
//! - **Rules**: one per (G, service), named `<G>-<n>` (a free `n`), destination that address
//!   group, holding every external source of G's permissions for that service. Sources keep
//!   their family (`0.0.0.0/0`, `::/0`; `any` only for both), services map as in address mode
//!   (never widened). The rules depend on G's permissions only, not on its members (see
//!   `policy`), so members coming and going never rewrite a rule.
//! - **Registrations** (see `registrations`): every in-scope address carries the tags of its
//!   interface's groups and of its instance; nothing else carries palosync's tags.
//! - **Shadowing**: a (source, G, service) gets no rule when an unmanaged rule above the block
//!   allows it for the whole of every in-scope subnet of G's VPC in that family, with nothing
//!   of another action above meeting it; what cannot be proven statically gets its rule, so
//!   group mode asks the device no policy-match question.
//! - **Focus** (see `focus`): `Everything` decides every group and address; a group key (or
//!   a prefix list's groups) decides that group fully; instance, interface and attachment keys
//!   decide their addresses' registrations and create the policy of a group that has none
//!   (first member) but never remove one; route, association and VPC keys decide the
//!   addresses they move and refresh the rules of every group of that VPC (which subnets are
//!   in scope decides shadowing). A refresh sees only the groups of the interfaces read: a
//!   group of the VPC none of whose members was read waits for a sync.
//! - **Ownership** (see `owned`): rules by name and tag; address groups by member-tag name and
//!   the managed tag. A group whose address-group name someone else holds gets no rule and no
//!   address group (skipped with a reason); its members are still registered with its tag, as
//!   registrations say who is a member, not what is allowed, and the membership fast path must
//!   give the same registrations without reading address groups.
//! - **Switching modes**: under `Everything`, group mode deletes owned address-mode rules and
//!   address mode deletes owned group-mode rules, cleans up palosync's address groups and
//!   unregisters every palosync tag (only when the registrations were read whole), all in one
//!   plan. Narrower keys leave the other mode's rules and objects exactly as they are.
//!
//! Phase one computes the whole plan (there are no questions to ask); phase two returns it.

mod focus;
mod membership;
pub(crate) mod owned;
mod policy;
pub(crate) mod registrations;
mod rules;

pub use membership::{Membership, membership_reads, plan_membership};
pub use registrations::MAX_TAGS_PER_ADDRESS;

use crate::candidates::{PlanError, PlanInput, bottom_and_owned};
use crate::firewall::ObservedRegistrations;
use crate::focus::Scope;
use crate::operation::{Plan, RegistrationChanges, order};
use crate::scope::in_scope_enis;
use crate::service_names::ServiceNames;
use crate::shadow::StaticShadows;
use focus::GroupFocus;
use model::{ReadTargets, Settings, Topology};
use policy::{SubnetNets, group_policies, mark_shadowed};
use registrations::plan_registrations;
use rules::Assembler;

/// The User-ID part of [`plan_groups`] alone, for registrations held elsewhere than the
/// rulebase: each firewall behind Panorama holds its own, planned as a standalone firewall's.
pub(crate) fn plan_group_registrations(
    topology: &Topology,
    settings: &Settings,
    scope: &Scope,
    registrations: &ObservedRegistrations,
) -> RegistrationChanges {
    let scoped = in_scope_enis(topology, settings);
    let focus = GroupFocus::resolve(scope, topology, settings, registrations, &scoped.incomplete);
    plan_registrations(
        topology,
        settings,
        scope,
        &scoped.in_scope,
        &focus,
        registrations,
    )
    .changes
}

/// The whole group-mode plan.
pub(crate) fn plan_groups(input: PlanInput<'_>) -> Result<Plan, PlanError> {
    let (topology, settings, scope) = (input.topology, input.settings, input.scope);
    let (rules, services, objects) = (input.rules, input.services, input.objects);
    let (bottom, owned) = bottom_and_owned(rules, settings)?;
    let scoped = in_scope_enis(topology, settings);
    let focus = GroupFocus::resolve(
        scope,
        topology,
        settings,
        &objects.registrations,
        &scoped.incomplete,
    );
    let service_names = ServiceNames::new(services, objects, &settings.managed_tag);
    let veto = |service: &crate::services::ServiceMatch| service_names.veto(service);
    let enis = &scoped.in_scope;
    let (mut policies, mut skipped) = group_policies(topology, settings, enis, &veto);
    let shadows = StaticShadows::new(rules, bottom, services, objects, settings);
    let subnets = SubnetNets::new(topology, settings);
    for policy in policies.values_mut() {
        let vpc = &enis[policy.members[0]].eni.vpc_id;
        mark_shadowed(policy, vpc, &subnets, &shadows);
    }
    for incomplete in &scoped.incomplete {
        let skip =
            incomplete
                .eni
                .security_groups
                .iter()
                .map(|group| crate::desired::SkippedAllowance {
                    group: group.clone(),
                    permission: String::new(),
                    network_interface: incomplete.eni.id.clone(),
                    reason: format!(
                        "interface skipped: {}; it is not registered and keeps what it has",
                        incomplete.reason
                    ),
                });
        skipped.extend(skip);
    }
    let registrations = plan_registrations(
        topology,
        settings,
        scope,
        enis,
        &focus,
        &objects.registrations,
    );
    let mut plan = Plan {
        skipped,
        notes: focus.addresses.notes.clone(),
        ..Plan::default()
    };
    let uncertain = scoped
        .incomplete
        .iter()
        .flat_map(|i| i.eni.security_groups.iter().cloned())
        .collect();
    let assembled = Assembler::new(
        input,
        bottom,
        &owned,
        &focus,
        &policies,
        enis,
        &service_names,
    )
    .with_uncertain(uncertain)
    .run();
    plan.operations = order(assembled.operations);
    plan.cleanup = assembled.cleanup;
    plan.shadowed = assembled.shadowed;
    plan.notes.extend(assembled.notes);
    plan.skipped.extend(assembled.skipped);
    plan.notes.extend(registrations.notes);
    plan.skipped.extend(registrations.skipped);
    plan.registrations = registrations.changes;
    Ok(plan)
}

/// Group mode's [`crate::read_targets`]: addresses carrying a keyed instance's or group's tag
/// that no interface of the read holds, so their registrations can be decided next time.
pub(crate) fn read_targets(input: PlanInput<'_>) -> ReadTargets {
    let scoped = in_scope_enis(input.topology, input.settings);
    let focus = GroupFocus::resolve(
        input.scope,
        input.topology,
        input.settings,
        &input.objects.registrations,
        &scoped.incomplete,
    );
    ReadTargets {
        addresses: focus.unread(),
        ..ReadTargets::default()
    }
}
