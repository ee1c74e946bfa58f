//! The planner: a pure function from the AWS topology, the settings, the scope to reconcile and
//! the firewall's rules and service objects to the ordered operations that make the managed
//! rules allow exactly what the security groups allow for traffic through the firewall.
//!
//! No IO, no clocks, no randomness. Two phases, because some shadow checks need the firewall:
//! [`plan_candidates`] computes the candidate changes and the policy-match questions they need
//! ([`Candidates::queries`]); [`Candidates::finish`] takes the answers and returns the [`Plan`].
//! [`plan`] runs both with an answering function. The planner never selects a rule or service
//! object it does not own (exact name pattern plus the managed tag) for any operation.
//!
//! Two shapes of the same policy (DESIGN.md): `settings.mode` picks one once, in [`mode`]'s
//! seam. Everything below describes address mode (the default); group mode, one rule per
//! security-group permission with members as User-ID registrations, is [`groups`]. A full sync
//! in either mode removes what the other left.
//!
//! Choices, and why:
//! - **Granularity**: one managed rule per destination address and application/service (a
//!   *slot*), holding every external source allowed to reach it. Adding or revoking a source is
//!   one `ReplaceRule` of the rule that holds the slot; a new slot is one `CreateRule` (+ its
//!   `MoveAboveBottom`); a rule that would be emptied is reused for a new slot on the same
//!   address. Nothing changed means an empty plan. Coverage is compared as sets of exact
//!   `(source, destination, service)` allowances, so it does not matter which rule, or how many,
//!   hold an allowance: revoking removes it from every rule in scope, whatever its name.
//! - **Names by cause**: `Instance`, `NetworkInterface` and resolved `Attachment` keys name new
//!   rules after the instance; `SecurityGroup` and `PrefixList` keys after the group (for a
//!   prefix list, each group that references it); `Everything`, `RouteTable`,
//!   `RouteTableAssociation` and `Vpc` after the smallest group id backing the rule. An
//!   unresolvable key (attachment or route table gone) widens to everything, with a note.
//! - **Scope**: a key claims destination addresses (see [`focus`]); only rules with a claimed
//!   destination are examined. A group key adds only what that group backs but removes anything
//!   no longer desired on its interfaces. An instance key also finds rules pointing at the
//!   instance through their description (`to <instance> <eni>`), so a terminated instance's
//!   group-named rules go with it.
//! - **Shadowing** is exact (see [`shadow`], [`policy`]): a missing allowance gets no rule when
//!   an enabled, unmanaged allow rule above the bottom rule matches all of it and no enabled
//!   rule above that one with another action matches any of it. Decided from the rules and
//!   objects read (zones incl. `any`, negation, addresses, CIDRs, ranges, wildcards, address
//!   objects and nested static groups, App-IDs on their default ports from the planner's table,
//!   services and nested service groups; a schedule, user, category, HIP or rule-type condition
//!   means the rule never covers and, with another action, always meets), without asking the
//!   device. Only what the read cannot decide (FQDN objects, dynamic groups, EDLs, applications
//!   outside the table, unresolved names) is asked with `test security-policy-match`, and only
//!   for an allowance that is one flow (host source, one App-ID on one port or protocol); a
//!   wider undecidable allowance, or one only partly covered, always gets its rule.
//! - **Placement**: the managed block is the run of owned rules directly above the bottom rule.
//!   Rules in it are never moved; an owned rule in scope outside it (including when an admin
//!   put an unmanaged rule inside the block) is moved back directly above the bottom rule.
//! - **Never widen** (see [`services`]): an App-ID whose default ports exceed the permitted port
//!   gets the exact service object instead of `application-default`; a lone ICMP type other than
//!   echo, or an IP protocol without an App-ID, is skipped with a reason.

mod candidates;
mod content;
pub mod coverage;
pub mod desired;
pub mod explanation;
mod finish;
pub mod firewall;
pub mod focus;
pub mod groups;
mod knowledge;
pub mod mode;
pub mod operation;
pub mod ownership;
pub mod policy;
pub mod scope;
pub mod service_names;
pub mod services;
pub mod shadow;
pub mod sources;
#[cfg(feature = "testing")]
pub mod testing;

pub use candidates::{PlanError, PlanInput};
pub use desired::{Allowance, SkippedAllowance};
pub use explanation::Explanation;
pub use firewall::{
    AddressGroupContent, AddressValue, DeviceObjects, MatchConditions, ObjectReference,
    ObservedAddress, ObservedAddressGroup, ObservedRegistrations, ObservedRule, ObservedService,
    ObservedServiceGroup, PortProtocol, RegisteredAddress, RegistrationRead, RuleAction,
    RuleContent, ServiceContent, UnreadableObject,
};
pub use focus::Scope;
pub use groups::{Membership, membership_reads, plan_membership};
pub use knowledge::read_targets;
pub use mode::{Candidates, plan_candidates, plan_registrations_for};
pub use operation::{Operation, Plan, Registration, RegistrationChanges, ShadowedAllowance};
pub use services::{PortService, ServiceMatch, ServiceRef};
pub use shadow::{PolicyAnswers, PolicyMatch, PolicyMatchQuery, StaticVerdict};
pub use sources::Source;

/// Both phases in one call: `answer` is asked each policy-match question once.
pub fn plan(
    input: PlanInput<'_>,
    mut answer: impl FnMut(&PolicyMatchQuery) -> PolicyMatch,
) -> Result<Plan, PlanError> {
    let candidates = plan_candidates(input)?;
    let answers: PolicyAnswers = candidates
        .queries()
        .iter()
        .map(|q| (q.clone(), answer(q)))
        .collect();
    Ok(candidates.finish(&answers))
}
