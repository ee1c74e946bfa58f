//! Shadow checks: whether an unmanaged rule above the managed block already allows all of a
//! missing allowance, so palosync does not add a managed twin of it.
//!
//! Decided statically first, from the rulebase and objects palosync read ([`StaticShadows`]):
//! an allowance is shadowed when an enabled, unmanaged allow rule above the bottom rule covers
//! all of its traffic and no enabled rule above that one, managed or not, with an action other
//! than allow meets any of it (allow rules above only allow part of it earlier, which changes
//! nothing). A rule that covers only part of it never shadows: traffic only partly covered gets
//! its rule. When the rulebase proves the answer, no question is asked. When it cannot (an FQDN
//! object, a dynamic group, an EDL, an application outside the planner's table, a name it does
//! not resolve), one `test security-policy-match` decides, but only for an allowance that *is*
//! one flow (a host source and one App-ID on one protocol and port); anything wider gets its
//! rule (a redundant rule is harmless, a missing one is not). A queried allowance is shadowed
//! only if the first matching rule is unmanaged, allows, and sits above the bottom rule; a
//! query left unanswered means "not shadowed".

use crate::desired::Allowance;
use crate::firewall::{DeviceObjects, ObservedRule, ObservedService, RuleAction};
use crate::ownership::owned_name;
use crate::policy::{RulePolicy, RulebaseBooks, Subject, Tri};
use model::Settings;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;

/// One `test security-policy-match` question.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PolicyMatchQuery {
    pub from_zone: String,
    pub to_zone: String,
    pub source: IpAddr,
    pub destination: IpAddr,
    /// IANA protocol number.
    pub protocol: u8,
    pub port: Option<u16>,
    pub application: Option<String>,
}

/// The firewall's answer: the first matching rule, or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyMatch {
    NoMatch,
    Rule { name: String, action: RuleAction },
}

/// Answers by question.
#[derive(Debug, Clone, Default)]
pub struct PolicyAnswers {
    answers: HashMap<PolicyMatchQuery, PolicyMatch>,
}

impl PolicyAnswers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, query: PolicyMatchQuery, answer: PolicyMatch) {
        self.answers.insert(query, answer);
    }

    pub fn get(&self, query: &PolicyMatchQuery) -> Option<&PolicyMatch> {
        self.answers.get(query)
    }

    pub fn len(&self) -> usize {
        self.answers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }
}

impl FromIterator<(PolicyMatchQuery, PolicyMatch)> for PolicyAnswers {
    fn from_iter<T: IntoIterator<Item = (PolicyMatchQuery, PolicyMatch)>>(iter: T) -> Self {
        Self {
            answers: iter.into_iter().collect(),
        }
    }
}

/// The question that decides whether `allowance` is shadowed; `None` if no single question can.
pub fn query_for(allowance: &Allowance, settings: &Settings) -> Option<PolicyMatchQuery> {
    let source = allowance.source.host()?;
    let (protocol, port) = allowance.service.single_flow()?;
    Some(PolicyMatchQuery {
        from_zone: settings.untrust_zone.clone(),
        to_zone: settings.trust_zone.clone(),
        source,
        destination: allowance.destination,
        protocol,
        port,
        application: Some(allowance.service.application.to_owned()),
    })
}

/// The unmanaged rule that already allows the queried flow, if the answer shows one above the
/// bottom rule. `position_of` gives a rule's index and whether palosync owns it.
pub fn shadowing_rule<'r>(
    answer: Option<&PolicyMatch>,
    rules: &'r [ObservedRule],
    position_of: &HashMap<&str, (usize, bool)>,
    bottom: usize,
) -> Option<&'r str> {
    let Some(PolicyMatch::Rule { name, action }) = answer else {
        return None;
    };
    let &(position, owned) = position_of.get(name.as_str())?;
    (*action == RuleAction::Allow
        && !owned
        && position < bottom
        && rules[position].action == RuleAction::Allow)
        .then(|| rules[position].name.as_str())
}

/// What the rulebase alone says about an allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaticVerdict {
    /// The rule at this position covers all of it and nothing above interferes.
    Covered { rule: usize },
    /// Proven not shadowed: nothing to ask.
    NotCovered,
    /// Only the device can tell.
    Undecidable,
}

/// The rules above the bottom rule, resolved once for every allowance of a run.
#[derive(Debug)]
pub struct StaticShadows {
    /// Enabled rules above the bottom rule that can matter: position, action, match columns.
    /// Owned allow rules are left out: what they allow first is allowed either way.
    rules: Vec<(usize, bool, RuleAction, RulePolicy)>,
}

impl StaticShadows {
    pub fn new(
        rules: &[ObservedRule],
        bottom: usize,
        services: &[ObservedService],
        objects: &DeviceObjects,
        settings: &Settings,
    ) -> Self {
        let books = RulebaseBooks::new(services, objects);
        let rules = rules
            .iter()
            .enumerate()
            .take(bottom)
            .filter(|(_, rule)| !rule.disabled)
            .filter_map(|(position, rule)| {
                let owned = owned_name(rule, &settings.managed_tag).is_some();
                if owned && rule.action == RuleAction::Allow {
                    return None;
                }
                let policy = RulePolicy::resolve(rule, &books, settings);
                Some((position, owned, rule.action, policy))
            })
            .collect();
        Self { rules }
    }

    /// First match, statically: the first covering unmanaged allow wins unless a rule above it
    /// with another action meets the allowance; any doubt on the way makes it undecidable.
    pub fn decide(&self, allowance: &Allowance) -> StaticVerdict {
        self.decide_subject(&Subject::of(allowance))
    }

    /// [`StaticShadows::decide`] for any traffic (group mode asks it for whole subnets).
    pub fn decide_subject(&self, subject: &Subject) -> StaticVerdict {
        let mut unsure = false;
        let settle = |unsure: bool, verdict: StaticVerdict| {
            if unsure {
                StaticVerdict::Undecidable
            } else {
                verdict
            }
        };
        for (position, owned, action, policy) in &self.rules {
            let relation = policy.relation(subject);
            if *action != RuleAction::Allow {
                match relation.intersects {
                    Tri::No => {}
                    Tri::Maybe => unsure = true,
                    Tri::Yes => return settle(unsure, StaticVerdict::NotCovered),
                }
            } else if !owned {
                match relation.covers {
                    Tri::No => {}
                    Tri::Maybe => unsure = true,
                    Tri::Yes => {
                        return settle(unsure, StaticVerdict::Covered { rule: *position });
                    }
                }
            }
        }
        settle(unsure, StaticVerdict::NotCovered)
    }
}
