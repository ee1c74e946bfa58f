//! What a rule's application and service columns match, against the traffic of one allowance.
//!
//! Traffic is an application and a set of (IP protocol, destination port) pairs. A service
//! column resolves to port sets (`any`, service objects with port lists, service groups nested,
//! the predefined `service-http`/`service-https`); `application-default` means each matched
//! application on its own default ports, taken from the planner's App-ID table
//! ([`crate::services::application_default_flows`]). That table is a lower bound of what the
//! device's App-ID catalogue says: for the App-IDs palosync writes with `application-default`
//! it is exact, for the others (dns, ldap, rdp, …) the device may know more ports, so those
//! count as "maybe" beyond the table. An application name outside the table (an App-ID palosync
//! never writes, an application group or filter) may contain anything: never sure. Source:
//! panos-xml-api.md section 4 (service and service-group shapes, predefined services).

use super::Tri;
use super::intervals::Intervals;
use crate::firewall::ObservedService;
use crate::services::{ServiceMatch, ServiceRef, application_default_flows};
use std::collections::{BTreeMap, HashMap};

const PORT_MAX: u128 = u16::MAX as u128;

/// (IP protocol, destination port) pairs. Protocols without ports hold every port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortSet {
    all: bool,
    protocols: BTreeMap<u8, Intervals>,
}

impl PortSet {
    pub fn all() -> Self {
        Self {
            all: true,
            protocols: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, protocol: u8, ports: Intervals) {
        if !ports.is_empty() {
            self.protocols.entry(protocol).or_default().union(&ports);
        }
    }

    pub fn union(&mut self, other: &PortSet) {
        self.all |= other.all;
        for (protocol, ports) in &other.protocols {
            self.add(*protocol, ports.clone());
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.protocols.is_empty()
    }

    /// Whether every pair of `other` is in `self` (an `all` other is never proven contained
    /// by a set that is not `all`: a sound "no").
    pub fn contains_all(&self, other: &PortSet) -> bool {
        if self.all {
            return true;
        }
        !other.all
            && other.protocols.iter().all(|(protocol, ports)| {
                self.protocols
                    .get(protocol)
                    .is_some_and(|mine| mine.contains_all(ports))
            })
    }

    pub fn intersects(&self, other: &PortSet) -> bool {
        if self.all || other.all {
            return !self.is_empty() && !other.is_empty();
        }
        self.protocols.iter().any(|(protocol, ports)| {
            other
                .protocols
                .get(protocol)
                .is_some_and(|theirs| theirs.intersects(ports))
        })
    }
}

/// An application's default ports by the planner's table: the set, and whether the table is
/// the whole of it. `None` for an application the table does not know.
pub fn default_ports(application: &str) -> Option<(PortSet, bool)> {
    let flows = application_default_flows(application);
    if flows.is_empty() {
        return None;
    }
    let mut set = PortSet::default();
    for (protocol, port) in flows {
        let ports = match port {
            Some(port) => Intervals::span(u128::from(port), u128::from(port)),
            None => Intervals::span(0, PORT_MAX),
        };
        set.add(protocol, ports);
    }
    // The table is exact for the App-IDs palosync writes with application-default.
    let exact = ServiceMatch {
        application: known_name(application)?,
        service: ServiceRef::ApplicationDefault,
    }
    .single_flow()
    .is_some();
    Some((set, exact))
}

/// The planner's own spelling of an application it knows, if it knows it.
fn known_name(application: &str) -> Option<&'static str> {
    ServiceMatch::parse(application, "any").map(|m| m.application)
}

/// The traffic an allowance stands for: one application (`None`: every application) on ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traffic {
    pub application: Option<&'static str>,
    pub ports: PortSet,
}

impl Traffic {
    pub fn of(service: &ServiceMatch) -> Self {
        let application = (service.application != "any").then_some(service.application);
        let ports = match service.service {
            ServiceRef::Any => PortSet::all(),
            ServiceRef::Object(object) => {
                let mut ports = PortSet::default();
                ports.add(
                    object.protocol.number(),
                    Intervals::span(u128::from(object.ports.from), u128::from(object.ports.to)),
                );
                ports
            }
            // An application palosync writes with application-default has an exact table
            // entry; an unknown one would give no ports, and so match nothing for certain.
            ServiceRef::ApplicationDefault => application
                .and_then(default_ports)
                .map(|(ports, _)| ports)
                .unwrap_or_default(),
        };
        Self { application, ports }
    }
}

/// One member of a rule's application column.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Application {
    Any,
    Known(&'static str),
    /// An App-ID outside the table, an application group or a filter.
    Other,
}

/// One member of a rule's service column.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Service {
    Any,
    ApplicationDefault,
    Ports { sure: PortSet, maybe: PortSet },
}

/// A rule's application and service columns, resolved.
#[derive(Debug, Clone)]
pub struct TrafficColumns {
    applications: Vec<Application>,
    services: Vec<Service>,
}

/// Service objects and groups by name.
#[derive(Debug)]
pub struct ServiceBook<'a> {
    services: HashMap<&'a str, &'a ObservedService>,
    groups: HashMap<&'a str, &'a [String]>,
    unreadable: Vec<&'a str>,
}

impl<'a> ServiceBook<'a> {
    pub fn new(services: &'a [ObservedService], objects: &'a crate::DeviceObjects) -> Self {
        Self {
            services: services.iter().map(|s| (s.name.as_str(), s)).collect(),
            groups: objects
                .service_groups
                .iter()
                .map(|g| (g.name.as_str(), g.members.as_slice()))
                .collect(),
            unreadable: objects
                .unreadable_services
                .iter()
                .map(|u| u.name.as_str())
                .collect(),
        }
    }

    /// A rule's application and service columns. Empty columns are unknown.
    pub fn columns(&self, applications: &[String], services: &[String]) -> TrafficColumns {
        let applications = if applications.is_empty() {
            vec![Application::Other]
        } else {
            applications
                .iter()
                .map(|a| match a.trim() {
                    "any" => Application::Any,
                    name => known_name(name).map_or(Application::Other, Application::Known),
                })
                .collect()
        };
        let services = if services.is_empty() {
            vec![unknown_service()]
        } else {
            services
                .iter()
                .map(|s| match s.trim() {
                    "any" => Service::Any,
                    "application-default" => Service::ApplicationDefault,
                    name => {
                        let (sure, maybe) = self.ports(name, &mut Vec::new());
                        Service::Ports { sure, maybe }
                    }
                })
                .collect()
        };
        TrafficColumns {
            applications,
            services,
        }
    }

    /// The ports a service object or group matches: for certain, and at most.
    fn ports(&self, name: &str, visiting: &mut Vec<String>) -> (PortSet, PortSet) {
        let unknown = (PortSet::default(), PortSet::all());
        let taken = self.unreadable.contains(&name);
        if let Some(service) = self.services.get(name) {
            if taken || self.groups.contains_key(name) {
                return unknown;
            }
            let Some(ports) = port_list(&service.ports) else {
                return unknown;
            };
            let mut set = PortSet::default();
            set.add(service.protocol.number(), ports);
            // A source-port restriction matches only part of the flows to these ports.
            let restricted = service
                .source_ports
                .as_deref()
                .is_some_and(|s| !s.trim().is_empty());
            return if restricted {
                (PortSet::default(), set)
            } else {
                (set.clone(), set)
            };
        }
        if let Some(members) = self.groups.get(name) {
            if taken || visiting.iter().any(|v| v == name) || members.is_empty() {
                return unknown;
            }
            visiting.push(name.to_owned());
            let (mut sure, mut maybe) = (PortSet::default(), PortSet::default());
            for member in *members {
                let (s, m) = self.ports(member.trim(), visiting);
                sure.union(&s);
                maybe.union(&m);
            }
            visiting.pop();
            return (sure, maybe);
        }
        let predefined = match name {
            "service-http" => Some("80,8080"),
            "service-https" => Some("443"),
            _ => None,
        };
        match predefined.and_then(port_list).filter(|_| !taken) {
            Some(ports) => {
                let mut set = PortSet::default();
                set.add(6, ports);
                (set.clone(), set)
            }
            None => unknown,
        }
    }
}

fn unknown_service() -> Service {
    Service::Ports {
        sure: PortSet::default(),
        maybe: PortSet::all(),
    }
}

/// A PAN-OS destination port list: `80`, `1000-2000`, `80,443,8000-8080`.
pub fn port_list(spec: &str) -> Option<Intervals> {
    let mut set = Intervals::empty();
    for part in spec.split(',') {
        let part = part.trim();
        let (from, to) = match part.split_once('-') {
            Some((from, to)) => (from.trim().parse::<u16>().ok()?, to.trim().parse().ok()?),
            None => {
                let port = part.parse::<u16>().ok()?;
                (port, port)
            }
        };
        if from > to {
            return None;
        }
        set.insert(u128::from(from), u128::from(to));
    }
    (!set.is_empty()).then_some(set)
}

/// How the columns relate to the traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrafficRelation {
    pub intersects: Tri,
    pub covers: Tri,
}

impl TrafficColumns {
    pub fn relation(&self, traffic: &Traffic) -> TrafficRelation {
        if traffic.ports.is_empty() {
            // No known ports (an application outside the table): nothing can be proven.
            return TrafficRelation {
                intersects: Tri::Maybe,
                covers: Tri::Maybe,
            };
        }
        // Ports the rule matches for the allowance's application(s), split by how sure the
        // application column is that it includes them.
        let mut cover_sure = PortSet::default();
        let mut cover_maybe = PortSet::default();
        let mut meet_sure = PortSet::default();
        let mut meet_maybe = PortSet::default();
        for application in &self.applications {
            // Does this member include the allowance's traffic application(s)?
            // (for covering, all of them; for meeting, at least one).
            let (covering, meeting) = match (traffic.application, application) {
                (Some(_), Application::Any) => (Tri::Yes, Tri::Yes),
                (Some(a), Application::Known(b)) => {
                    let same = if a == *b { Tri::Yes } else { Tri::No };
                    (same, same)
                }
                (Some(_), Application::Other) => (Tri::Maybe, Tri::Maybe),
                (None, Application::Any) => (Tri::Yes, Tri::Yes),
                // One application is part of "every application", never all of it.
                (None, Application::Known(_)) => (Tri::No, Tri::Yes),
                (None, Application::Other) => (Tri::No, Tri::Maybe),
            };
            for service in &self.services {
                let (sure, maybe) = self.service_ports(service, traffic.application, application);
                if covering == Tri::Yes {
                    cover_sure.union(&sure);
                }
                if covering != Tri::No {
                    cover_maybe.union(&maybe);
                }
                if meeting == Tri::Yes {
                    meet_sure.union(&sure);
                }
                if meeting != Tri::No {
                    meet_maybe.union(&maybe);
                }
            }
        }
        let ports = &traffic.ports;
        let covers = if cover_sure.contains_all(ports) {
            Tri::Yes
        } else if cover_maybe.contains_all(ports) {
            Tri::Maybe
        } else {
            Tri::No
        };
        let intersects = if meet_sure.intersects(ports) {
            Tri::Yes
        } else if meet_maybe.intersects(ports) {
            Tri::Maybe
        } else {
            Tri::No
        };
        TrafficRelation { intersects, covers }
    }

    /// The ports one (application member, service member) pair matches for the traffic's
    /// application: for certain, and at most.
    fn service_ports(
        &self,
        service: &Service,
        wanted: Option<&'static str>,
        application: &Application,
    ) -> (PortSet, PortSet) {
        match service {
            Service::Any => (PortSet::all(), PortSet::all()),
            Service::Ports { sure, maybe } => (sure.clone(), maybe.clone()),
            Service::ApplicationDefault => {
                // The application whose default ports apply: the allowance's own when the
                // member is `any` or a group that may hold it; the member's own otherwise.
                let whose = match (wanted, application) {
                    (_, Application::Known(b)) => Some(*b),
                    (Some(a), Application::Any | Application::Other) => Some(a),
                    (None, Application::Any | Application::Other) => None,
                };
                match whose.and_then(default_ports) {
                    Some((ports, true)) => (ports.clone(), ports),
                    Some((ports, false)) => (ports, PortSet::all()),
                    // Every application on its own defaults: some of them anywhere.
                    None => (PortSet::default(), PortSet::all()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::PortProtocol;
    use crate::services::PortService;
    use model::PortRange;

    fn any_on_tcp(from: u16, to: u16) -> Traffic {
        Traffic::of(&ServiceMatch {
            application: "any",
            service: ServiceRef::Object(PortService {
                protocol: PortProtocol::Tcp,
                ports: PortRange::new(from, to).expect("ordered"),
            }),
        })
    }

    fn columns(application: &str, service: &str) -> TrafficColumns {
        let objects = crate::DeviceObjects::default();
        ServiceBook::new(&[], &objects).columns(&[application.into()], &[service.into()])
    }

    #[test]
    fn a_partly_known_default_is_only_a_lower_bound_when_meeting_other_ports() {
        // The device may know more dns ports than the table: never proven disjoint.
        let dns = columns("dns", "application-default").relation(&any_on_tcp(5353, 5353));
        assert_eq!(dns.intersects, Tri::Maybe);
        // ssh's default is exactly tcp/22.
        let ssh = columns("ssh", "application-default").relation(&any_on_tcp(5353, 5353));
        assert_eq!(ssh.intersects, Tri::No);
        let ssh_on_22 = columns("ssh", "application-default").relation(&any_on_tcp(22, 22));
        assert_eq!(
            (ssh_on_22.intersects, ssh_on_22.covers),
            (Tri::Yes, Tri::No),
            "ssh is some of every application on tcp/22, not all of it"
        );
    }

    #[test]
    fn unknown_service_names_and_application_groups_are_never_proofs() {
        let unknown = columns("any", "svc-nobody-read").relation(&any_on_tcp(80, 80));
        assert_eq!(
            (unknown.intersects, unknown.covers),
            (Tri::Maybe, Tri::Maybe)
        );
        let ssh = Traffic::of(&ServiceMatch {
            application: "ssh",
            service: ServiceRef::ApplicationDefault,
        });
        let group = columns("remote-access", "any").relation(&ssh);
        assert_eq!((group.intersects, group.covers), (Tri::Maybe, Tri::Maybe));
    }

    #[test]
    fn port_lists_parse_whole_or_not_at_all() {
        let list = port_list("80, 443,8000-8080").expect("a list");
        assert_eq!(list.spans(), &[(80, 80), (443, 443), (8000, 8080)]);
        assert_eq!(port_list("80,x"), None);
        assert_eq!(port_list("90-80"), None);
        assert_eq!(port_list(""), None);
    }
}
