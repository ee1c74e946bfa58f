//! The firewall side as the planner sees it: rules and service objects read from the device
//! (`Observed*`) and the content palosync wants a managed rule or service object to have
//! (`RuleContent`, `ServiceContent`).
//!
//! These are plain data in PAN-OS's own vocabulary (member lists of strings), so the executor can
//! map them to and from the XML API without the planner knowing about XML. Nothing here decides.

use model::PortRange;
use serde::{Deserialize, Serialize};

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
