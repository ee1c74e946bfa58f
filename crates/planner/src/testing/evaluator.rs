//! The in-memory firewall's first-match evaluator: one concrete flow at a time, by brute force,
//! the way `test security-policy-match` answers (panos-xml-api.md section 9: first match over
//! enabled rules; zones with `any`; addresses as CIDRs, ranges, objects and groups, negated;
//! services `any`, `application-default`, objects with port lists, groups; applications).
//!
//! Written apart from the planner's static analysis ([`crate::policy`]) on purpose: it tests
//! membership of one address, port and application, never sets, so the property tests compare
//! two implementations. Only the App-ID default-port table is shared, as the device's catalogue
//! stand-in. What only a device can resolve (FQDN objects, dynamic groups, EDLs) is looked up in
//! [`Resolutions`], which a test fills in; a dynamic group not listed there is expanded with
//! the device's User-ID registrations (`DeviceObjects::registrations`), as PAN-OS does. A rule with a condition the evaluator cannot see in a
//! flow (user, category, HIP, schedule, rule type, unmodelled elements) is taken at its worst
//! for palosync: an allow rule so restricted does not match, a rule of another action does.

use crate::firewall::{AddressValue, DeviceObjects, ObservedRule, ObservedService, RuleAction};
use crate::services::application_default_flows;
use crate::shadow::PolicyMatchQuery;
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// Runtime members by object name: what an FQDN resolves to, who is registered in a dynamic
/// group, what an external dynamic list holds.
pub type Resolutions = BTreeMap<String, Vec<IpNet>>;

const MAX_DEPTH: usize = 16;

/// The rulebase and objects one flow is evaluated against.
#[derive(Debug)]
pub struct Evaluator<'a> {
    pub services: &'a [ObservedService],
    pub objects: &'a DeviceObjects,
    pub resolved: &'a Resolutions,
}

impl Evaluator<'_> {
    pub fn matches(&self, rule: &ObservedRule, q: &PolicyMatchQuery) -> bool {
        if restricted(rule) && rule.action == RuleAction::Allow {
            return false;
        }
        let zone = |zones: &[String], zone: &str| zones.iter().any(|z| z == "any" || z == zone);
        let address = |members: &[String], negate: bool, address: IpAddr| {
            members.iter().any(|m| self.address(m.trim(), address, 0)) != negate
        };
        let application = match &q.application {
            Some(app) => rule.applications.iter().any(|a| a == "any" || a == app),
            None => rule.applications.iter().any(|a| a == "any"),
        };
        zone(&rule.from_zones, &q.from_zone)
            && zone(&rule.to_zones, &q.to_zone)
            && address(&rule.sources, rule.negate_source, q.source)
            && address(&rule.destinations, rule.negate_destination, q.destination)
            && application
            && rule.services.iter().any(|s| self.service(s.trim(), q, 0))
    }

    fn address(&self, member: &str, address: IpAddr, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        if member == "any" {
            return true;
        }
        if let Ok(net) = member.parse::<IpNet>() {
            return net.contains(&address);
        }
        if let Ok(single) = member.parse::<IpAddr>() {
            return single == address;
        }
        if let Some(found) = self.objects.addresses.iter().find(|a| a.name == member) {
            return match &found.value {
                AddressValue::IpNetmask(text) => self.address(text.trim(), address, depth + 1),
                AddressValue::IpRange(text) => in_range(text, address),
                AddressValue::IpWildcard(text) => in_wildcard(text, address),
                AddressValue::Fqdn(_) => self.runtime(member, address),
                AddressValue::Unreadable => false,
            };
        }
        if let Some(group) = self
            .objects
            .address_groups
            .iter()
            .find(|g| g.name == member)
        {
            return match &group.dynamic_filter {
                Some(filter) if !self.resolved.contains_key(member) => {
                    self.registered(filter, address)
                }
                Some(_) => self.runtime(member, address),
                None => group
                    .static_members
                    .iter()
                    .any(|m| self.address(m.trim(), address, depth + 1)),
            };
        }
        in_range(member, address) || self.runtime(member, address)
    }

    /// Whether `address` is registered with a tag the filter selects. Filters of the shape
    /// `'a'` or `'a' or 'b'` are evaluated; any other expression matches nothing here.
    fn registered(&self, filter: &str, address: IpAddr) -> bool {
        let tags: Option<Vec<&str>> = filter
            .split(" or ")
            .map(|part| {
                let tag = part.trim().trim_matches('\'');
                (!tag.is_empty() && !tag.contains([' ', '(', ')', '\''])).then_some(tag)
            })
            .collect();
        let Some(tags) = tags else {
            return false;
        };
        self.objects
            .registrations
            .entries
            .iter()
            .filter(|e| e.address == address)
            .any(|e| e.tags.iter().any(|t| tags.contains(&t.as_str())))
    }

    fn runtime(&self, name: &str, address: IpAddr) -> bool {
        self.resolved
            .get(name)
            .is_some_and(|nets| nets.iter().any(|n| n.contains(&address)))
    }

    fn service(&self, service: &str, q: &PolicyMatchQuery, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match service {
            "any" => return true,
            "application-default" => {
                return q.application.as_deref().is_some_and(|app| {
                    application_default_flows(app)
                        .iter()
                        .any(|&(protocol, port)| {
                            protocol == q.protocol && (port.is_none() || port == q.port)
                        })
                });
            }
            _ => {}
        }
        if let Some(object) = self.services.iter().find(|s| s.name == service) {
            return object.protocol.number() == q.protocol
                && q.port.is_some_and(|port| in_port_list(&object.ports, port));
        }
        if let Some(group) = self
            .objects
            .service_groups
            .iter()
            .find(|g| g.name == service)
        {
            return group
                .members
                .iter()
                .any(|m| self.service(m.trim(), q, depth + 1));
        }
        let predefined = match service {
            "service-http" => "80,8080",
            "service-https" => "443",
            _ => return false,
        };
        q.protocol == 6 && q.port.is_some_and(|port| in_port_list(predefined, port))
    }
}

fn restricted(rule: &ObservedRule) -> bool {
    let c = &rule.conditions;
    let set = |members: &[String]| members.iter().any(|m| m != "any");
    set(&c.source_users)
        || set(&c.categories)
        || set(&c.source_hip)
        || set(&c.destination_hip)
        || c.schedule.is_some()
        || c.rule_type.as_deref().is_some_and(|t| t != "universal")
        || !c.unmodelled.is_empty()
}

fn in_range(text: &str, address: IpAddr) -> bool {
    let Some((from, to)) = text.split_once('-') else {
        return false;
    };
    match (from.trim().parse::<IpAddr>(), to.trim().parse::<IpAddr>()) {
        (Ok(from), Ok(to)) => {
            from <= address && address <= to && from.is_ipv4() == address.is_ipv4()
        }
        _ => false,
    }
}

/// `a.b.c.d/w.x.y.z`: equal wherever the wildcard mask has a 0 bit.
fn in_wildcard(text: &str, address: IpAddr) -> bool {
    let IpAddr::V4(address) = address else {
        return false;
    };
    let Some((base, mask)) = text.trim().split_once('/') else {
        return false;
    };
    match (base.parse::<Ipv4Addr>(), mask.parse::<Ipv4Addr>()) {
        (Ok(base), Ok(mask)) => {
            let care = !u32::from(mask);
            u32::from(base) & care == u32::from(address) & care
        }
        _ => false,
    }
}

fn in_port_list(spec: &str, port: u16) -> bool {
    spec.split(',')
        .any(|part| match part.trim().split_once('-') {
            Some((from, to)) => match (from.trim().parse::<u16>(), to.trim().parse::<u16>()) {
                (Ok(from), Ok(to)) => from <= port && port <= to,
                _ => false,
            },
            None => part.trim().parse::<u16>() == Ok(port),
        })
}
