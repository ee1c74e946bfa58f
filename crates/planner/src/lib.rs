//! The planner: a pure function from the AWS topology, the settings, the scope to reconcile and
//! the firewall's rules and service objects to the ordered operations that make the managed
//! rules allow exactly what the security groups allow for traffic through the firewall.
//!
//! No IO, no clocks, no randomness. Two phases, because shadow checks need the firewall:
//! [`plan_candidates`] computes the candidate changes and the policy-match questions they need;
//! [`Candidates::finish`] takes the answers and returns the [`Plan`]. [`plan`] runs both with
//! an answering function. The planner never selects a rule it does not own (exact name pattern
//! plus the managed tag) for any operation.

mod candidates;
mod content;
pub mod coverage;
pub mod desired;
pub mod explanation;
mod finish;
pub mod firewall;
pub mod focus;
pub mod operation;
pub mod ownership;
pub mod scope;
pub mod services;
pub mod shadow;
pub mod sources;
#[cfg(feature = "testing")]
pub mod testing;

pub use candidates::{Candidates, PlanError, PlanInput, plan_candidates};
pub use desired::{Allowance, SkippedAllowance};
pub use explanation::Explanation;
pub use firewall::{
    ObservedRule, ObservedService, PortProtocol, RuleAction, RuleContent, ServiceContent,
};
pub use focus::Scope;
pub use operation::{Operation, Plan, ShadowedAllowance};
pub use services::{PortService, ServiceMatch, ServiceRef};
pub use shadow::{PolicyAnswers, PolicyMatch, PolicyMatchQuery};
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
