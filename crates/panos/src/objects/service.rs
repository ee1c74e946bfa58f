//! Service objects (`…/service/entry`): a protocol with destination (and source) ports.

use super::{ConfigEntry, EntryWriter, entry_name, text_of, unmodelled_children};
use crate::error::Error;
use crate::xml::XmlNode;
use crate::xpath::{Location, ObjectKind, XPath};

/// Transport protocol of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceProtocol {
    /// `tcp`
    Tcp,
    /// `udp`
    Udp,
    /// `sctp`
    Sctp,
}

impl ServiceProtocol {
    /// The PAN-OS element name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
            Self::Sctp => "sctp",
        }
    }

    fn from_element(name: &str) -> Option<Self> {
        match name {
            "tcp" => Some(Self::Tcp),
            "udp" => Some(Self::Udp),
            "sctp" => Some(Self::Sctp),
            _ => None,
        }
    }
}

/// `<protocol><tcp><port>…</port><source-port>…</source-port>…</tcp></protocol>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePorts {
    /// tcp, udp or sctp.
    pub protocol: ServiceProtocol,
    /// Destination ports: comma list of ports and `lo-hi` ranges, e.g. `8080,9000-9010`.
    pub port: Option<String>,
    /// Source ports, same grammar.
    pub source_port: Option<String>,
    /// Other children of the protocol element (`override`, …), verbatim.
    pub other: Vec<XmlNode>,
}

/// A service object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceObject {
    /// Object name (≤ 63 characters).
    pub name: String,
    /// Protocol and ports; `None` when absent or of a protocol this crate does not model
    /// (then the `<protocol>` element is kept in `other`).
    pub ports: Option<ServicePorts>,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Children this crate does not model, verbatim.
    pub other: Vec<XmlNode>,
}

impl ServiceObject {
    /// A service for `protocol` on destination `port` (e.g. `"8080"` or `"9000-9010"`).
    pub fn new(
        name: impl Into<String>,
        protocol: ServiceProtocol,
        port: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            ports: Some(ServicePorts {
                protocol,
                port: Some(port.into()),
                source_port: None,
                other: Vec::new(),
            }),
            description: None,
            tags: Vec::new(),
            other: Vec::new(),
        }
    }
}

fn parse_ports(protocol: &XmlNode) -> Option<ServicePorts> {
    let [inner] = protocol.children.as_slice() else {
        return None;
    };
    Some(ServicePorts {
        protocol: ServiceProtocol::from_element(&inner.name)?,
        port: text_of(inner, "port"),
        source_port: text_of(inner, "source-port"),
        other: unmodelled_children(inner, &["port", "source-port"]),
    })
}

impl ConfigEntry for ServiceObject {
    fn container(location: &Location) -> XPath {
        location.objects(ObjectKind::Service)
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn to_entry(&self) -> XmlNode {
        let mut w = EntryWriter::new(&self.name);
        if let Some(ports) = &self.ports {
            let mut inner = XmlNode::new(ports.protocol.as_str());
            if let Some(port) = &ports.port {
                inner
                    .children
                    .push(XmlNode::with_text_content("port", port));
            }
            if let Some(source_port) = &ports.source_port {
                inner
                    .children
                    .push(XmlNode::with_text_content("source-port", source_port));
            }
            inner.children.extend(ports.other.iter().cloned());
            w.node(XmlNode::new("protocol").with_child(inner));
        }
        w.text("description", self.description.as_deref());
        w.members("tag", &self.tags);
        w.finish(&self.other)
    }

    fn from_entry(entry: &XmlNode) -> Result<Self, Error> {
        let ports = entry.child("protocol").and_then(parse_ports);
        let mut known = vec!["description", "tag"];
        if ports.is_some() {
            known.push("protocol");
        }
        Ok(Self {
            name: entry_name(entry)?,
            ports,
            description: text_of(entry, "description"),
            tags: entry.members_of("tag"),
            other: unmodelled_children(entry, &known),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_reference_service_shape() {
        let xml = r#"<entry name="svc"><protocol><tcp><port>80,443,8000-8080</port><source-port>1024-65535</source-port><override><no/></override></tcp></protocol><description/><tag/></entry>"#;
        let svc = ServiceObject::from_entry(&XmlNode::parse(xml).expect("valid")).expect("parses");
        let ports = svc.ports.as_ref().expect("tcp ports");
        assert_eq!(ports.protocol, ServiceProtocol::Tcp);
        assert_eq!(ports.port.as_deref(), Some("80,443,8000-8080"));
        assert_eq!(ports.source_port.as_deref(), Some("1024-65535"));
        assert_eq!(ports.other.len(), 1, "override kept");
        assert_eq!(svc.description.as_deref(), Some(""));
        assert!(svc.tags.is_empty());
    }

    #[test]
    fn new_service_serialises_like_pan_os_python() {
        let mut svc = ServiceObject::new("tcp_8080", ServiceProtocol::Udp, "8080");
        svc.tags.push("palosync".into());
        assert_eq!(
            svc.to_entry().to_xml(),
            r#"<entry name="tcp_8080"><protocol><udp><port>8080</port></udp></protocol><tag><member>palosync</member></tag></entry>"#
        );
        let back = ServiceObject::from_entry(&svc.to_entry()).expect("parses");
        assert_eq!(back, svc);
    }

    #[test]
    fn unknown_protocols_are_kept_verbatim() {
        let xml = r#"<entry name="x"><protocol><quic><port>1</port></quic></protocol></entry>"#;
        let svc = ServiceObject::from_entry(&XmlNode::parse(xml).expect("valid")).expect("parses");
        assert_eq!(svc.ports, None);
        assert_eq!(svc.to_entry().to_xml(), xml);
    }
}
