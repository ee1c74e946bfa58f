//! The seam between the two shapes of the same policy (DESIGN.md, "Two modes of the same
//! policy"): [`plan_candidates`] dispatches on `settings.mode` once, here, and nothing below
//! it threads a mode flag. Address mode lives in `candidates` and `finish`;
//! group mode in [`crate::groups`]. Leaving group mode (a full sync in address mode) also
//! removes what group mode left: palosync's address groups and registrations.

use crate::candidates::{AddressCandidates, PlanError, PlanInput, plan_address_candidates};
use crate::desired::Allowance;
use crate::firewall::ObservedRegistrations;
use crate::firewall::RuleContent;
use crate::focus::Scope;
use crate::groups::owned::{address_group_deletes, address_groups};
use crate::groups::registrations::unregister_everything;
use crate::groups::{plan_group_registrations, plan_groups};
use crate::operation::{Operation, Plan, RegistrationChanges};
use crate::shadow::{PolicyAnswers, PolicyMatchQuery};
use model::{PolicyMode, ReconcileKey, Settings, Topology};
use std::collections::HashSet;

/// The result of phase one: the questions to ask, and what phase two needs.
#[derive(Debug)]
pub struct Candidates<'a> {
    shape: Shape<'a>,
}

#[derive(Debug)]
enum Shape<'a> {
    Addresses(Box<AddressCandidates<'a>>),
    /// Group mode asks the device nothing: its plan is complete after phase one.
    Groups(Box<Plan>),
}

impl<'a> Candidates<'a> {
    /// The policy-match questions to ask the firewall before [`Candidates::finish`].
    pub fn queries(&self) -> &[PolicyMatchQuery] {
        match &self.shape {
            Shape::Addresses(c) => c.queries(),
            Shape::Groups(_) => &[],
        }
    }

    /// Address mode: every missing allowance, as the candidate creates. Group mode writes rules
    /// per group and service, not per allowance: none.
    pub fn missing(&self) -> Box<dyn Iterator<Item = Allowance> + '_> {
        match &self.shape {
            Shape::Addresses(c) => Box::new(c.missing()),
            Shape::Groups(_) => Box::new(std::iter::empty()),
        }
    }

    /// Phase two: the final plan, given the answers to [`Candidates::queries`].
    pub fn finish(self, answers: &PolicyAnswers) -> Plan {
        match self.shape {
            Shape::Addresses(c) => {
                let leaving = c.focus.is_everything().then_some(c.input);
                let mut plan = c.finish(answers);
                if let Some(input) = leaving {
                    leave_group_mode(input, &mut plan);
                }
                plan
            }
            Shape::Groups(plan) => *plan,
        }
    }
}

/// Phase one: candidates and the questions they need.
pub fn plan_candidates(input: PlanInput<'_>) -> Result<Candidates<'_>, PlanError> {
    let shape = match input.settings.mode {
        PolicyMode::Addresses => Shape::Addresses(Box::new(plan_address_candidates(input)?)),
        PolicyMode::Groups => Shape::Groups(Box::new(plan_groups(input)?)),
    };
    Ok(Candidates { shape })
}

/// The User-ID changes alone for a device that holds `registrations`, as [`plan_candidates`]
/// plans them: for each device that holds registrations of its own (each firewall behind
/// Panorama). Address mode removes palosync's registrations on a full sync (leaving group mode)
/// and changes none otherwise.
pub fn plan_registrations_for(
    topology: &Topology,
    settings: &Settings,
    scope: &Scope,
    registrations: &ObservedRegistrations,
) -> RegistrationChanges {
    match settings.mode {
        PolicyMode::Groups => plan_group_registrations(topology, settings, scope, registrations),
        PolicyMode::Addresses => {
            let sync = scope
                .keys
                .iter()
                .any(|(key, _)| *key == ReconcileKey::Everything);
            if sync {
                unregister_everything(registrations, settings).changes
            } else {
                RegistrationChanges::default()
            }
        }
    }
}

/// A full sync in address mode: palosync's address groups go to cleanup once no rule refers
/// to them, and every palosync registration is unregistered (when read whole).
fn leave_group_mode(input: PlanInput<'_>, plan: &mut Plan) {
    let ours: Vec<_> = address_groups(input.objects, input.settings)
        .into_iter()
        .filter_map(|(group, ours)| ours.then_some(group))
        .collect();
    let deleted: HashSet<String> = plan
        .operations
        .iter()
        .filter_map(|op| match op {
            Operation::DeleteRule { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    // Borrowed, not cloned: a full sync writes 100,000+ rules.
    let written: Vec<&RuleContent> = plan
        .operations
        .iter()
        .filter_map(|op| match op {
            Operation::CreateRule { rule, .. } | Operation::ReplaceRule { rule, .. } => {
                Some(rule.as_ref())
            }
            _ => None,
        })
        .collect();
    let why = |_: &model::GroupId| "address mode does not use address groups".to_owned();
    let (cleanup, notes) = address_group_deletes(input, &ours, &deleted, &written, &why);
    plan.cleanup.extend(cleanup);
    plan.notes.extend(notes);
    let registrations = unregister_everything(&input.objects.registrations, input.settings);
    plan.registrations = registrations.changes;
    plan.notes.extend(registrations.notes);
}
