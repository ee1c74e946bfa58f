//! Shadow checks: asking the firewall whether an unmanaged rule already allows a missing
//! allowance, so palosync does not add a rule for it.
//!
//! One `test security-policy-match` answers for one flow, so only an allowance that *is* one
//! flow is ever treated as shadowed: a single-host source, a single destination address (always
//! the case), and one App-ID on one protocol and port. A CIDR or `any` source, a port range, or
//! application `any` would need every address, port and application checked, so those are never
//! queried and their rules are always created (conservative: a redundant rule is harmless, a
//! missing one is not). An allowance is shadowed only if the first matching rule is unmanaged,
//! allows, and sits above the bottom rule. A query left unanswered means "not shadowed".

use crate::desired::Allowance;
use crate::firewall::{ObservedRule, RuleAction};
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
