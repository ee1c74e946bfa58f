//! Translation between the planner's view of the firewall and the `panos` client's XML types.
//!
//! Pure functions only. Anything the planner does not model (source users, HIP profiles,
//! schedules, …) is read tolerantly and never written: palosync only ever writes rules it
//! builds whole from a [`RuleContent`].

use panos::{
    AddressGroup, AddressObject, ProfileSetting, SecurityRule, ServiceGroup, ServiceObject,
    ServiceProtocol,
};
use planner::{
    AddressGroupContent, AddressValue, MatchConditions, ObservedAddress, ObservedAddressGroup,
    ObservedRule, ObservedService, ObservedServiceGroup, PortProtocol, RuleAction, RuleContent,
    ServiceContent, UnreadableObject,
};

/// A rule on the firewall as the planner sees it.
pub fn observed_rule(rule: &SecurityRule) -> ObservedRule {
    ObservedRule {
        name: rule.name.clone(),
        tags: rule.tags.clone(),
        from_zones: rule.from.clone(),
        to_zones: rule.to.clone(),
        sources: rule.source.clone(),
        destinations: rule.destination.clone(),
        negate_source: rule.negate_source.unwrap_or(false),
        negate_destination: rule.negate_destination.unwrap_or(false),
        applications: rule.application.clone(),
        services: rule.service.clone(),
        action: rule_action(rule.action.as_ref()),
        profile_group: match &rule.profile_setting {
            Some(ProfileSetting::Group(groups)) => groups.first().cloned(),
            _ => None,
        },
        description: rule.description.clone().unwrap_or_default(),
        disabled: rule.is_disabled(),
        conditions: MatchConditions {
            source_users: restriction(&rule.source_user),
            categories: restriction(&rule.category),
            source_hip: restriction(&rule.source_hip),
            destination_hip: restriction(&rule.destination_hip),
            schedule: rule.schedule.clone(),
            rule_type: rule.rule_type.as_ref().map(|t| t.as_str().to_owned()),
            unmodelled: rule.other.iter().map(|n| n.name.clone()).collect(),
        },
    }
}

/// A member list as a restriction: empty when it is absent or `any`.
fn restriction(members: &[String]) -> Vec<String> {
    if members.iter().all(|m| m == "any") {
        Vec::new()
    } else {
        members.to_vec()
    }
}

/// An address object as the planner sees it; one without a value reads as unreadable (it
/// matches nothing palosync can reason about, and its name is taken).
pub fn observed_address(address: &AddressObject) -> ObservedAddress {
    ObservedAddress {
        name: address.name.clone(),
        value: match &address.value {
            Some(panos::AddressValue::IpNetmask(v)) => AddressValue::IpNetmask(v.clone()),
            Some(panos::AddressValue::IpRange(v)) => AddressValue::IpRange(v.clone()),
            Some(panos::AddressValue::IpWildcard(v)) => AddressValue::IpWildcard(v.clone()),
            Some(panos::AddressValue::Fqdn(v)) => AddressValue::Fqdn(v.clone()),
            None => AddressValue::Unreadable,
        },
        tags: address.tags.clone(),
    }
}

pub fn observed_address_group(group: &AddressGroup) -> ObservedAddressGroup {
    ObservedAddressGroup {
        name: group.name.clone(),
        static_members: group.static_members.clone(),
        dynamic_filter: group.dynamic_filter.clone(),
        tags: group.tags.clone(),
        description: group.description.clone().unwrap_or_default(),
    }
}

/// palosync's dynamic address group (group mode).
pub fn address_group(group: &AddressGroupContent) -> AddressGroup {
    AddressGroup {
        name: group.name.clone(),
        static_members: Vec::new(),
        dynamic_filter: Some(group.filter.clone()),
        description: Some(group.description.clone()).filter(|d| !d.is_empty()),
        tags: group.tags.clone(),
        other: Vec::new(),
    }
}

pub fn observed_service_group(group: &ServiceGroup) -> ObservedServiceGroup {
    ObservedServiceGroup {
        name: group.name.clone(),
        members: group.members.clone(),
        tags: group.tags.clone(),
    }
}

/// A service object whose content palosync cannot read: its name is still taken.
pub fn unreadable_service(service: &ServiceObject) -> UnreadableObject {
    UnreadableObject {
        name: service.name.clone(),
        tags: service.tags.clone(),
    }
}

/// A rule without a readable action never counts as allowing anything: it can then never
/// make palosync skip a rule it should create.
fn rule_action(action: Option<&panos::RuleAction>) -> RuleAction {
    match action {
        Some(panos::RuleAction::Allow) => RuleAction::Allow,
        Some(panos::RuleAction::Drop) => RuleAction::Drop,
        Some(panos::RuleAction::ResetClient) => RuleAction::ResetClient,
        Some(panos::RuleAction::ResetServer) => RuleAction::ResetServer,
        Some(panos::RuleAction::ResetBoth) => RuleAction::ResetBoth,
        Some(panos::RuleAction::Deny | panos::RuleAction::Other(_)) | None => RuleAction::Deny,
    }
}

/// A service object as the planner sees it; objects that are not a single tcp/udp/sctp
/// destination port spec (e.g. protocol-less or comma lists) still appear so their names
/// are known to be taken.
pub fn observed_service(service: &ServiceObject) -> Option<ObservedService> {
    let ports = service.ports.as_ref()?;
    Some(ObservedService {
        name: service.name.clone(),
        protocol: match ports.protocol {
            ServiceProtocol::Tcp => PortProtocol::Tcp,
            ServiceProtocol::Udp => PortProtocol::Udp,
            ServiceProtocol::Sctp => PortProtocol::Sctp,
        },
        ports: ports.port.clone().unwrap_or_default(),
        source_ports: ports.source_port.clone(),
        tags: service.tags.clone(),
    })
}

/// The full entry palosync writes for a managed rule.
pub fn security_rule(content: &RuleContent) -> SecurityRule {
    SecurityRule {
        name: content.name.clone(),
        from: content.from_zones.clone(),
        to: content.to_zones.clone(),
        source: content.sources.clone(),
        destination: content.destinations.clone(),
        source_user: vec!["any".to_owned()],
        category: vec!["any".to_owned()],
        application: content.applications.clone(),
        service: content.services.clone(),
        source_hip: vec!["any".to_owned()],
        destination_hip: vec!["any".to_owned()],
        action: Some(match content.action {
            RuleAction::Allow => panos::RuleAction::Allow,
            RuleAction::Deny => panos::RuleAction::Deny,
            RuleAction::Drop => panos::RuleAction::Drop,
            RuleAction::ResetClient => panos::RuleAction::ResetClient,
            RuleAction::ResetServer => panos::RuleAction::ResetServer,
            RuleAction::ResetBoth => panos::RuleAction::ResetBoth,
        }),
        log_end: Some(true),
        description: Some(content.description.clone()),
        tags: content.tags.clone(),
        profile_setting: content
            .profile_group
            .as_ref()
            .map(|group| ProfileSetting::Group(vec![group.clone()])),
        ..SecurityRule::default()
    }
}

/// The service object palosync writes.
pub fn service_object(content: &ServiceContent) -> ServiceObject {
    let protocol = match content.protocol {
        PortProtocol::Tcp => ServiceProtocol::Tcp,
        PortProtocol::Udp => ServiceProtocol::Udp,
        PortProtocol::Sctp => ServiceProtocol::Sctp,
    };
    let mut object = ServiceObject::new(&content.name, protocol, content.port_spec());
    object.tags = content.tags.clone();
    object
}

/// The planner's policy-match question in the client's terms.
pub fn policy_query(query: &planner::PolicyMatchQuery, vsys: &str) -> panos::PolicyMatchQuery {
    panos::PolicyMatchQuery {
        from: query.from_zone.clone(),
        to: query.to_zone.clone(),
        source: query.source,
        destination: query.destination,
        protocol: query.protocol,
        destination_port: query.port,
        application: query.application.clone(),
        source_user: None,
        vsys: Some(vsys.to_owned()),
    }
}

/// The device's answer in the planner's terms. An answer without a stated action is taken as
/// "not allowed", so palosync creates the rule rather than trusting a guess.
pub fn policy_answer(answer: &panos::PolicyMatch) -> planner::PolicyMatch {
    match answer {
        panos::PolicyMatch::NoMatch => planner::PolicyMatch::NoMatch,
        panos::PolicyMatch::Match { rule, action, .. } => planner::PolicyMatch::Rule {
            name: rule.clone(),
            action: rule_action(action.as_ref()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> RuleContent {
        RuleContent {
            profile_group: Some("default".into()),
            description: "to 10.0.1.10; allows sg-0abc tcp/443".into(),
            ..crate::test_plans::rule("sg-0abc-1")
        }
    }

    #[test]
    fn a_written_rule_reads_back_as_the_same_content() {
        let written = security_rule(&content());
        let observed = observed_rule(&written);
        assert_eq!(observed, content().to_observed());
    }

    #[test]
    fn unknown_or_missing_actions_never_allow() {
        let mut rule = security_rule(&content());
        rule.action = Some(panos::RuleAction::Other("weird".into()));
        assert_eq!(observed_rule(&rule).action, RuleAction::Deny);
        rule.action = None;
        assert_eq!(observed_rule(&rule).action, RuleAction::Deny);
        let answer = panos::PolicyMatch::Match {
            rule: "r".into(),
            action: None,
            index: None,
        };
        assert_eq!(
            policy_answer(&answer),
            planner::PolicyMatch::Rule {
                name: "r".into(),
                action: RuleAction::Deny
            }
        );
    }

    #[test]
    fn objects_and_groups_read_as_the_device_holds_them() {
        let mut host = AddressObject::new(
            "web",
            panos::AddressValue::IpRange("10.0.0.1-10.0.0.9".into()),
        );
        host.tags.push("ops".into());
        assert_eq!(
            observed_address(&host),
            ObservedAddress {
                name: "web".into(),
                value: AddressValue::IpRange("10.0.0.1-10.0.0.9".into()),
                tags: vec!["ops".into()],
            }
        );
        host.value = None;
        assert_eq!(observed_address(&host).value, AddressValue::Unreadable);
        let mut dynamic = AddressGroup::with_static_members("dag", &[]);
        dynamic.dynamic_filter = Some("'web'".into());
        let observed = observed_address_group(&dynamic);
        assert_eq!(observed.dynamic_filter.as_deref(), Some("'web'"));
        assert!(observed.static_members.is_empty());
        let group = ServiceGroup::new("web-ports", &["tcp_8080"]);
        assert_eq!(observed_service_group(&group).members, vec!["tcp_8080"]);
    }

    #[test]
    fn services_keep_the_whole_port_range() {
        let content = ServiceContent {
            name: "tcp_8000-8100".into(),
            protocol: PortProtocol::Tcp,
            ports: model::PortRange::new(8000, 8100).unwrap(),
            tags: vec!["palosync".into()],
        };
        let observed = observed_service(&service_object(&content)).unwrap();
        assert_eq!(observed, content.to_observed());
    }
}
