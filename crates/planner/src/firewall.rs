//! The firewall side as the planner sees it: rules and service objects read from the device
//! (`Observed*`) and the content palosync wants a managed rule or service object to have
//! (`RuleContent`, `ServiceContent`).
//!
//! These are plain data in PAN-OS's own vocabulary (member lists of strings), so the executor can
//! map them to and from the XML API without the planner knowing about XML. Nothing here decides.

use model::PortRange;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// A security rule's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleAction {
    Allow,
    Deny,
    Drop,
    ResetClient,
    ResetServer,
    ResetBoth,
}

/// A security rule as it is on the firewall now. Its position is its index in the slice given
/// to the planner, which must list every rule of the vsys in firewall order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedRule {
    pub name: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub from_zones: Vec<String>,
    pub to_zones: Vec<String>,
    pub sources: Vec<String>,
    pub destinations: Vec<String>,
    #[serde(default)]
    pub negate_source: bool,
    #[serde(default)]
    pub negate_destination: bool,
    pub applications: Vec<String>,
    pub services: Vec<String>,
    pub action: RuleAction,
    #[serde(default)]
    pub profile_group: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub disabled: bool,
    /// Match conditions palosync never writes but must read to know what a rule matches.
    #[serde(default)]
    pub conditions: MatchConditions,
}

/// The conditions of a rule beyond zones, addresses, applications and services. A rule with
/// any of them set matches only some of the traffic its other fields describe, so it never
/// counts as covering an allowance (and, when it denies, always counts as intersecting one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchConditions {
    /// `source-user` members (`any` or absent: no restriction).
    #[serde(default)]
    pub source_users: Vec<String>,
    /// `category` (URL categories).
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub source_hip: Vec<String>,
    #[serde(default)]
    pub destination_hip: Vec<String>,
    #[serde(default)]
    pub schedule: Option<String>,
    /// `universal` (absent), `intrazone` or `interzone`.
    #[serde(default)]
    pub rule_type: Option<String>,
    /// Children the client does not model (`target`, `option`, …), by element name.
    #[serde(default)]
    pub unmodelled: Vec<String>,
}

/// Everything of the vsys besides security rules and service objects that decides what a rule
/// matches or who refers to an object. Read whole on every run: what is absent here is absent
/// on the device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceObjects {
    #[serde(default)]
    pub addresses: Vec<ObservedAddress>,
    #[serde(default)]
    pub address_groups: Vec<ObservedAddressGroup>,
    #[serde(default)]
    pub service_groups: Vec<ObservedServiceGroup>,
    /// Service objects whose content palosync cannot read (no protocol, lists it does not
    /// model): their names are taken, and palosync never refers to them.
    #[serde(default)]
    pub unreadable_services: Vec<UnreadableObject>,
    /// References to objects from outside the security rulebase and the groups above (NAT,
    /// policy-based forwarding, application override, decryption, QoS and every other rulebase).
    #[serde(default)]
    pub references: Vec<ObjectReference>,
    /// User-ID registrations in palosync's tag namespace, and what the read covered.
    #[serde(default)]
    pub registrations: ObservedRegistrations,
}

/// What the device's User-ID registrations were read for. Only what was read is known: an
/// address outside the read may carry any tags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationRead {
    /// Not read at all: nothing may be unregistered, and whether an address is registered is
    /// unknown.
    #[default]
    Nothing,
    /// Every registration of the vsys (paged to the end).
    All,
    /// The registrations of these addresses, and every address carrying these tags.
    Some {
        addresses: Vec<IpAddr>,
        tags: Vec<String>,
    },
}

/// One registered address and its tags (only those in palosync's namespace).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RegisteredAddress {
    pub address: IpAddr,
    pub tags: Vec<String>,
}

/// The registrations the executor read (see [`RegistrationRead`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedRegistrations {
    #[serde(default)]
    pub read: RegistrationRead,
    #[serde(default)]
    pub entries: Vec<RegisteredAddress>,
}

/// An address object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedAddress {
    pub name: String,
    pub value: AddressValue,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// The value of an address object, as PAN-OS stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddressValue {
    /// `ip-netmask`: an address or a CIDR, as written.
    IpNetmask(String),
    /// `ip-range`: `a-b`.
    IpRange(String),
    IpWildcard(String),
    Fqdn(String),
    /// No value palosync can read.
    Unreadable,
}

/// An address group: static members, or a dynamic tag filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedAddressGroup {
    pub name: String,
    #[serde(default)]
    pub static_members: Vec<String>,
    /// The `dynamic/filter` expression, when the group is dynamic.
    #[serde(default)]
    pub dynamic_filter: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub description: String,
}

/// What palosync wants one of its dynamic address groups to be (group mode): named after the
/// security group's member tag, filtering on exactly that tag, tagged as managed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressGroupContent {
    pub name: String,
    /// The tag expression, e.g. `'palosync.sg-0abc'`.
    pub filter: String,
    pub description: String,
    pub tags: Vec<String>,
}

/// A service group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedServiceGroup {
    pub name: String,
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// An object palosync read but cannot interpret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadableObject {
    pub name: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// One reference to an object by name, and where it comes from (for reports:
/// `nat rule r1`, `pbf rule r2`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectReference {
    pub object: String,
    pub from: String,
}

/// The IP protocol of a service object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortProtocol {
    Tcp,
    Udp,
    Sctp,
}

impl PortProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            PortProtocol::Tcp => "tcp",
            PortProtocol::Udp => "udp",
            PortProtocol::Sctp => "sctp",
        }
    }

    /// The IANA protocol number, as `test security-policy-match` wants it.
    pub fn number(self) -> u8 {
        match self {
            PortProtocol::Tcp => 6,
            PortProtocol::Udp => 17,
            PortProtocol::Sctp => 132,
        }
    }
}

/// A service object as it is on the firewall now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedService {
    pub name: String,
    pub protocol: PortProtocol,
    /// The destination port spec as PAN-OS stores it: `80`, `1000-2000`, `80,443`.
    pub ports: String,
    /// The source port spec, when the object restricts it.
    #[serde(default)]
    pub source_ports: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl ObservedService {
    /// Whether this object matches exactly `protocol` on destination ports `ports`, any source
    /// port: the only content palosync ever gives a service object.
    pub fn matches(&self, protocol: PortProtocol, ports: PortRange) -> bool {
        self.protocol == protocol
            && self.source_ports.as_deref().is_none_or(str::is_empty)
            && parse_port_spec(&self.ports) == Some(ports)
    }
}

/// Parse a single-range PAN-OS port spec (`80` or `1000-2000`); lists are not ours.
pub fn parse_port_spec(spec: &str) -> Option<PortRange> {
    let spec = spec.trim();
    match spec.split_once('-') {
        Some((from, to)) => PortRange::new(from.parse().ok()?, to.parse().ok()?).ok(),
        None => spec.parse().ok().map(PortRange::single),
    }
}

/// What palosync wants a managed rule to contain (written whole: the executor replaces, never
/// merges).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleContent {
    pub name: String,
    pub from_zones: Vec<String>,
    pub to_zones: Vec<String>,
    pub sources: Vec<String>,
    pub destinations: Vec<String>,
    pub applications: Vec<String>,
    pub services: Vec<String>,
    pub action: RuleAction,
    pub profile_group: Option<String>,
    pub tags: Vec<String>,
    pub description: String,
}

impl RuleContent {
    /// The rule as the firewall will hold it once written (enabled, no negation).
    pub fn to_observed(&self) -> ObservedRule {
        ObservedRule {
            name: self.name.clone(),
            tags: self.tags.clone(),
            from_zones: self.from_zones.clone(),
            to_zones: self.to_zones.clone(),
            sources: self.sources.clone(),
            destinations: self.destinations.clone(),
            negate_source: false,
            negate_destination: false,
            applications: self.applications.clone(),
            services: self.services.clone(),
            action: self.action,
            profile_group: self.profile_group.clone(),
            description: self.description.clone(),
            disabled: false,
            conditions: MatchConditions::default(),
        }
    }
}

/// What palosync wants a managed service object to contain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceContent {
    pub name: String,
    pub protocol: PortProtocol,
    pub ports: PortRange,
    pub tags: Vec<String>,
}

impl ServiceContent {
    /// The port spec to write: `80` or `1000-2000`.
    pub fn port_spec(&self) -> String {
        self.ports.to_string()
    }

    pub fn to_observed(&self) -> ObservedService {
        ObservedService {
            name: self.name.clone(),
            protocol: self.protocol,
            ports: self.port_spec(),
            source_ports: None,
            tags: self.tags.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_specs_parse_single_ports_and_ranges_only() {
        assert_eq!(parse_port_spec("80"), Some(PortRange::single(80)));
        assert_eq!(
            parse_port_spec("1000-2000"),
            PortRange::new(1000, 2000).ok()
        );
        assert_eq!(parse_port_spec("80,443"), None);
        assert_eq!(parse_port_spec("90-80"), None);
    }

    #[test]
    fn a_service_with_a_source_port_is_not_ours() {
        let mut service = ServiceContent {
            name: "tcp_80".into(),
            protocol: PortProtocol::Tcp,
            ports: PortRange::single(80),
            tags: vec!["palosync".into()],
        }
        .to_observed();
        assert!(service.matches(PortProtocol::Tcp, PortRange::single(80)));
        service.source_ports = Some("1024".into());
        assert!(!service.matches(PortProtocol::Tcp, PortRange::single(80)));
    }
}
