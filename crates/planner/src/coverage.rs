//! What the owned rules on the firewall allow now, read back into allowances.
//!
//! An owned rule is a product: its sources × its destinations × its one application/service.
//! A rule palosync can read entirely has `tuples`; one with a member palosync never writes (an
//! address object, a second application, …) has none and is replaced by what is desired when
//! it is in scope. The envelope (zones, action, profile group, negation, disabled) is checked
//! separately so drift there is repaired without touching coverage. Read-only.

use crate::firewall::{ObservedRule, RuleAction};
use crate::ownership::{ManagedName, owned_name};
use crate::services::ServiceMatch;
use crate::sources::Source;
use ipnet::IpNet;
use model::Settings;
use std::net::IpAddr;

/// The allowances an owned rule holds: sources × destinations × service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTuples {
    pub sources: Vec<Source>,
    pub destinations: Vec<IpAddr>,
    pub service: ServiceMatch,
}

/// A rule palosync owns, as read.
#[derive(Debug)]
pub struct OwnedRule<'a> {
    pub position: usize,
    pub rule: &'a ObservedRule,
    pub name: ManagedName,
    /// The destinations that parse as addresses (for scope), even when others do not.
    pub destinations: Vec<IpAddr>,
    pub tuples: Option<RuleTuples>,
    pub envelope_ok: bool,
}

/// A destination member: a bare address, or a host CIDR (`/32`, `/128`).
pub fn parse_destination(member: &str) -> Option<IpAddr> {
    let member = member.trim();
    if let Ok(address) = member.parse::<IpAddr>() {
        return Some(address);
    }
    let net = member.parse::<IpNet>().ok()?;
    (net.prefix_len() == net.max_prefix_len()).then(|| net.addr())
}

/// Every owned rule, in firewall order.
pub fn read_owned<'a>(rules: &'a [ObservedRule], settings: &Settings) -> Vec<OwnedRule<'a>> {
    rules
        .iter()
        .enumerate()
        .filter_map(|(position, rule)| {
            let name = owned_name(rule, &settings.managed_tag)?;
            let destinations: Vec<IpAddr> = rule
                .destinations
                .iter()
                .filter_map(|d| parse_destination(d))
                .collect();
            Some(OwnedRule {
                position,
                rule,
                name,
                tuples: read_tuples(rule, &destinations),
                destinations,
                envelope_ok: envelope_ok(rule, settings),
            })
        })
        .collect()
}

fn read_tuples(rule: &ObservedRule, destinations: &[IpAddr]) -> Option<RuleTuples> {
    let [application] = rule.applications.as_slice() else {
        return None;
    };
    let [service] = rule.services.as_slice() else {
        return None;
    };
    let service = ServiceMatch::parse(application, service)?;
    let sources: Option<Vec<Source>> = rule
        .sources
        .iter()
        .map(|s| Source::parse_member(s))
        .collect();
    let sources = sources?;
    if sources.is_empty()
        || destinations.is_empty()
        || destinations.len() != rule.destinations.len()
    {
        return None;
    }
    Some(RuleTuples {
        sources,
        destinations: destinations.to_vec(),
        service,
    })
}

/// Whether the parts of the rule that are not allowances are what palosync writes.
pub fn envelope_ok(rule: &ObservedRule, settings: &Settings) -> bool {
    rule.from_zones == [settings.untrust_zone.as_str()]
        && rule.to_zones == [settings.trust_zone.as_str()]
        && rule.action == RuleAction::Allow
        && !rule.disabled
        && !rule.negate_source
        && !rule.negate_destination
        && rule.profile_group == settings.profile_group
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_hosts_only() {
        assert_eq!(parse_destination("10.0.0.5"), "10.0.0.5".parse().ok());
        assert_eq!(parse_destination("10.0.0.5/32"), "10.0.0.5".parse().ok());
        assert_eq!(
            parse_destination("2001:db8::5/128"),
            "2001:db8::5".parse().ok()
        );
        assert_eq!(parse_destination("10.0.0.0/24"), None);
        assert_eq!(parse_destination("web"), None);
    }
}
