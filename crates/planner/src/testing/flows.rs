//! Concrete flows that stand for an allowance, for brute-force checks: source addresses at the
//! edges and inside of the allowance's source network and of every address the rulebase names,
//! ports at the edges of the allowance's range and of every service object, and, for an
//! allowance of every application, a spread of applications. A wrong static decision differs
//! from first-match on some such edge, because every rule column is a union of intervals whose
//! ends are sampled here.

use crate::desired::Allowance;
use crate::firewall::{AddressValue, DeviceObjects, ObservedRule, ObservedService};
use crate::services::{ServiceRef, application_default_flows};
use crate::shadow::PolicyMatchQuery;
use crate::sources::Source;
use ipnet::IpNet;
use model::Settings;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::evaluator::Resolutions;

const SPREAD_APPLICATIONS: &[&str] = &[
    "ssh",
    "ssl",
    "web-browsing",
    "dns",
    "icmp",
    "ping",
    "unknown-tcp",
];
const SPREAD_PORTS: &[u16] = &[0, 1, 22, 53, 80, 443, 1000, 2000, 8080, 65535];

/// Every sampled flow of `allowance` from the untrust to the trust zone.
pub fn sample(
    allowance: &Allowance,
    settings: &Settings,
    rules: &[ObservedRule],
    services: &[ObservedService],
    objects: &DeviceObjects,
    resolved: &Resolutions,
) -> Vec<PolicyMatchQuery> {
    let sources = sources(allowance, rules, objects, resolved);
    let mut traffic: BTreeSet<(String, u8, Option<u16>)> = BTreeSet::new();
    let service = allowance.service;
    let applications: Vec<String> = if service.application == "any" {
        let named = rules.iter().flat_map(|r| r.applications.iter().cloned());
        SPREAD_APPLICATIONS
            .iter()
            .map(|a| (*a).to_owned())
            .chain(named)
            .filter(|a| a != "any")
            .collect()
    } else {
        vec![service.application.to_owned()]
    };
    let ports_in = |from: u16, to: u16| -> BTreeSet<u16> {
        let mut ports: BTreeSet<u16> = [from, to, from.saturating_add(1), to.saturating_sub(1)]
            .into_iter()
            .filter(|p| (from..=to).contains(p))
            .collect();
        for edge in service_edges(services) {
            ports.extend([edge.saturating_sub(1), edge, edge.saturating_add(1)]);
        }
        ports.retain(|p| (from..=to).contains(p));
        ports
    };
    for application in &applications {
        match service.service {
            ServiceRef::ApplicationDefault => {
                for (protocol, port) in application_default_flows(application) {
                    traffic.insert((application.clone(), protocol, port));
                }
            }
            ServiceRef::Object(object) => {
                for port in ports_in(object.ports.from, object.ports.to) {
                    traffic.insert((application.clone(), object.protocol.number(), Some(port)));
                }
            }
            ServiceRef::Any => {
                for protocol in [6u8, 17] {
                    for port in ports_in(0, u16::MAX)
                        .into_iter()
                        .chain(SPREAD_PORTS.iter().copied())
                    {
                        traffic.insert((application.clone(), protocol, Some(port)));
                    }
                }
                for protocol in [1u8, 47, 58] {
                    traffic.insert((application.clone(), protocol, None));
                }
            }
        }
    }
    let mut flows = Vec::new();
    for source in &sources {
        for (application, protocol, port) in &traffic {
            flows.push(PolicyMatchQuery {
                from_zone: settings.untrust_zone.clone(),
                to_zone: settings.trust_zone.clone(),
                source: *source,
                destination: allowance.destination,
                protocol: *protocol,
                port: *port,
                application: Some(application.clone()),
            });
        }
    }
    flows
}

/// Source addresses: the allowance network's ends and middle, and every rulebase edge in it.
fn sources(
    allowance: &Allowance,
    rules: &[ObservedRule],
    objects: &DeviceObjects,
    resolved: &Resolutions,
) -> BTreeSet<IpAddr> {
    let v4 = allowance.destination.is_ipv4();
    let (lo, hi) = match allowance.source {
        Source::Net(net) => bounds(&net),
        Source::Any if v4 => (0, u128::from(u32::MAX)),
        Source::Any => (0, u128::MAX),
    };
    let mut points: BTreeSet<u128> = [lo, hi, lo.saturating_add(1), hi.saturating_sub(1)]
        .into_iter()
        .collect();
    points.insert(lo + (hi - lo) / 2);
    let mut edges: Vec<(u128, u128)> = Vec::new();
    let mut note = |text: &str| {
        let text = text.trim();
        if let Ok(net) = text.parse::<IpNet>() {
            edges.push(bounds(&net));
        } else if let Ok(address) = text.parse::<IpAddr>() {
            edges.push(bounds(&IpNet::from(address)));
        } else if let Some((a, b)) = text.split_once('-')
            && let (Ok(a), Ok(b)) = (a.trim().parse::<IpAddr>(), b.trim().parse::<IpAddr>())
        {
            edges.push((number(a), number(b)));
        } else if let Some((base, _)) = text.split_once('/')
            && let Ok(base) = base.parse::<Ipv4Addr>()
        {
            edges.push((u128::from(u32::from(base)), u128::from(u32::from(base))));
        }
    };
    for rule in rules {
        rule.sources.iter().for_each(|m| note(m));
    }
    for address in &objects.addresses {
        match &address.value {
            AddressValue::IpNetmask(t) | AddressValue::IpRange(t) | AddressValue::IpWildcard(t) => {
                note(t);
            }
            AddressValue::Fqdn(_) | AddressValue::Unreadable => {}
        }
    }
    for net in resolved.values().flatten() {
        note(&net.to_string());
    }
    for (a, b) in edges {
        points.extend([a.wrapping_sub(1), a, b, b.wrapping_add(1)]);
    }
    points
        .into_iter()
        .filter(|p| (lo..=hi).contains(p))
        .map(|p| {
            if v4 {
                IpAddr::V4(Ipv4Addr::from(
                    u32::try_from(p).expect("inside an IPv4 network"),
                ))
            } else {
                IpAddr::V6(Ipv6Addr::from(p))
            }
        })
        .collect()
}

fn bounds(net: &IpNet) -> (u128, u128) {
    (number(net.network()), number(net.broadcast()))
}

fn number(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn service_edges(services: &[ObservedService]) -> Vec<u16> {
    services
        .iter()
        .flat_map(|s| s.ports.split(','))
        .flat_map(|part| part.split('-'))
        .filter_map(|p| p.trim().parse().ok())
        .collect()
}
