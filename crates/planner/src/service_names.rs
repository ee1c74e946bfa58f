//! The names of palosync's own service objects on this device.
//!
//! palosync refers only to service objects that carry the managed tag. Its conventional name
//! for a port service is `tcp_8080`; when an object that is not palosync's holds that name (an
//! untagged service, one palosync cannot read, a service group, an address or address group),
//! palosync uses `palosync-tcp_8080`, then `palosync-tcp_8080.2`, `.3`, … : the first name no
//! foreign object holds, at most 63 characters. Deterministic: the same device gives the same
//! names. Before this, a managed rule silently used an operator's same-named object, which the
//! operator could later widen (issue 12, item 2). Nothing here writes.

use crate::firewall::{DeviceObjects, ObservedService};
use crate::services::{PortService, ServiceMatch, ServiceRef};
use model::settings::MAX_PANOS_NAME;
use std::collections::HashSet;

/// The prefix of palosync's service names when the conventional one is taken.
pub const OWN_PREFIX: &str = "palosync-";

/// Candidate names for `object`, in order of preference.
fn candidates(object: PortService) -> impl Iterator<Item = String> {
    let base = object.name();
    let own = format!("{OWN_PREFIX}{base}");
    [base, own.clone()]
        .into_iter()
        .chain((2u32..).map(move |n| format!("{own}.{n}")))
}

/// Read any of palosync's service names back to the service it stands for.
pub fn parse_own_name(name: &str) -> Option<PortService> {
    if let Some(service) = PortService::parse_name(name) {
        return Some(service);
    }
    let rest = name.strip_prefix(OWN_PREFIX)?;
    if let Some(service) = PortService::parse_name(rest) {
        return Some(service);
    }
    let (base, n) = rest.rsplit_once('.')?;
    let canonical = n.len() < 10 && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit());
    n.parse::<u32>().ok().filter(|n| canonical && *n >= 2)?;
    PortService::parse_name(base)
}

/// Which names foreign objects hold.
#[derive(Debug, Default)]
pub struct ServiceNames {
    foreign: HashSet<String>,
}

impl ServiceNames {
    pub fn new(services: &[ObservedService], objects: &DeviceObjects, managed_tag: &str) -> Self {
        let untagged = services
            .iter()
            .filter(|s| !s.tags.iter().any(|t| t == managed_tag))
            .map(|s| s.name.clone());
        let unreadable = objects.unreadable_services.iter().map(|o| o.name.clone());
        let groups = objects.service_groups.iter().map(|g| g.name.clone());
        let addresses = objects.addresses.iter().map(|a| a.name.clone());
        let address_groups = objects.address_groups.iter().map(|g| g.name.clone());
        Self {
            foreign: untagged
                .chain(unreadable)
                .chain(groups)
                .chain(addresses)
                .chain(address_groups)
                .collect(),
        }
    }

    /// Whether `name` is held by an object that is not palosync's.
    pub fn is_foreign(&self, name: &str) -> bool {
        self.foreign.contains(name)
    }

    /// palosync's name for `object`; `None` if every candidate up to 63 characters is taken.
    pub fn name(&self, object: PortService) -> Option<String> {
        candidates(object)
            .take_while(|name| name.chars().count() <= MAX_PANOS_NAME)
            .find(|name| !self.foreign.contains(name))
    }

    /// Why palosync cannot use `service` on this device, if it cannot: its object's name and
    /// every alternative are held by objects that are not palosync's.
    pub fn veto(&self, service: &ServiceMatch) -> Option<String> {
        let ServiceRef::Object(object) = service.service else {
            return None;
        };
        self.name(object).is_none().then(|| {
            format!(
                "service object {} and every name palosync would use instead are held by objects that are not palosync's",
                object.name()
            )
        })
    }

    /// The service column palosync writes for `service`.
    pub fn member(&self, service: ServiceMatch) -> String {
        match service.service {
            ServiceRef::Object(object) => self.name(object).unwrap_or_else(|| object.name()),
            _ => service.service_member(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::{ObservedServiceGroup, PortProtocol};
    use model::PortRange;

    fn tcp(port: u16) -> PortService {
        PortService {
            protocol: PortProtocol::Tcp,
            ports: PortRange::single(port),
        }
    }

    #[test]
    fn a_taken_conventional_name_gives_a_distinct_own_name_and_it_reads_back() {
        let operator = |name: &str| ObservedService {
            name: name.into(),
            protocol: PortProtocol::Tcp,
            ports: "8080".into(),
            source_ports: None,
            tags: vec![],
        };
        let objects = DeviceObjects {
            service_groups: vec![ObservedServiceGroup {
                name: "palosync-tcp_8080".into(),
                members: vec![],
                tags: vec![],
            }],
            ..DeviceObjects::default()
        };
        let names = ServiceNames::new(&[operator("tcp_8080")], &objects, "palosync");
        assert_eq!(
            names.name(tcp(8080)).as_deref(),
            Some("palosync-tcp_8080.2")
        );
        assert_eq!(names.name(tcp(443)).as_deref(), Some("tcp_443"));
        for name in ["tcp_8080", "palosync-tcp_8080", "palosync-tcp_8080.2"] {
            assert_eq!(parse_own_name(name), Some(tcp(8080)), "{name}");
        }
        for name in ["palosync-tcp_8080.1", "palosync-tcp_8080.02", "x-tcp_8080"] {
            assert_eq!(parse_own_name(name), None, "{name}");
        }
    }
}
