//! Address objects (`…/address/entry`).

use super::{ConfigEntry, EntryWriter, entry_name, text_of, unmodelled_children};
use crate::error::Error;
use crate::xml::XmlNode;
use crate::xpath::{Location, ObjectKind, XPath};

/// The value of an address object (exactly one on a valid device config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressValue {
    /// `ip-netmask`: an address or CIDR.
    IpNetmask(String),
    /// `ip-range`: `a-b`.
    IpRange(String),
    /// `ip-wildcard` (9.0+).
    IpWildcard(String),
    /// `fqdn`.
    Fqdn(String),
}

impl AddressValue {
    fn element(&self) -> (&'static str, &str) {
        match self {
            Self::IpNetmask(v) => ("ip-netmask", v),
            Self::IpRange(v) => ("ip-range", v),
            Self::IpWildcard(v) => ("ip-wildcard", v),
            Self::Fqdn(v) => ("fqdn", v),
        }
    }
}

/// An address object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressObject {
    /// Object name.
    pub name: String,
    /// The first value element found; `None` when the entry has none (set accepts that,
    /// commit does not). Further value elements stay in `other`.
    pub value: Option<AddressValue>,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Children this crate does not model, verbatim.
    pub other: Vec<XmlNode>,
}

impl AddressObject {
    /// An object holding one value.
    pub fn new(name: impl Into<String>, value: AddressValue) -> Self {
        Self {
            name: name.into(),
            value: Some(value),
            description: None,
            tags: Vec::new(),
            other: Vec::new(),
        }
    }
}

impl ConfigEntry for AddressObject {
    fn container(location: &Location) -> XPath {
        location.objects(ObjectKind::Address)
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn to_entry(&self) -> XmlNode {
        let mut w = EntryWriter::new(&self.name);
        if let Some(value) = &self.value {
            let (element, text) = value.element();
            w.text(element, Some(text));
        }
        w.text("description", self.description.as_deref());
        w.members("tag", &self.tags);
        w.finish(&self.other)
    }

    fn from_entry(entry: &XmlNode) -> Result<Self, Error> {
        let value = entry.children.iter().find_map(|c| {
            let text = c.trimmed_text().to_owned();
            match c.name.as_str() {
                "ip-netmask" => Some(AddressValue::IpNetmask(text)),
                "ip-range" => Some(AddressValue::IpRange(text)),
                "ip-wildcard" => Some(AddressValue::IpWildcard(text)),
                "fqdn" => Some(AddressValue::Fqdn(text)),
                _ => None,
            }
        });
        let mut other = unmodelled_children(entry, &["description", "tag"]);
        if let Some(value) = &value {
            let (element, _) = value.element();
            if let Some(at) = other.iter().position(|c| c.name == element) {
                other.remove(at);
            }
        }
        Ok(Self {
            name: entry_name(entry)?,
            value,
            description: text_of(entry, "description"),
            tags: entry.members_of("tag"),
            other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_reference_address_shape() {
        let xml = r#"<entry name="h1"><ip-netmask>10.1.1.1/32</ip-netmask><description/><tag><member>t</member></tag></entry>"#;
        let addr = AddressObject::from_entry(&XmlNode::parse(xml).expect("valid")).expect("parses");
        assert_eq!(
            addr.value,
            Some(AddressValue::IpNetmask("10.1.1.1/32".into()))
        );
        assert_eq!(addr.tags, vec!["t"]);
        assert!(addr.other.is_empty());
    }

    #[test]
    fn a_second_value_element_is_kept_not_lost() {
        let xml = r#"<entry name="h"><ip-netmask>10.0.0.1</ip-netmask><ip-range>10.0.0.1-10.0.0.9</ip-range></entry>"#;
        let addr = AddressObject::from_entry(&XmlNode::parse(xml).expect("valid")).expect("parses");
        assert_eq!(addr.value, Some(AddressValue::IpNetmask("10.0.0.1".into())));
        assert_eq!(addr.to_entry().to_xml(), xml);
    }

    #[test]
    fn round_trips_fqdn() {
        let addr = AddressObject::new("web", AddressValue::Fqdn("example.internal".into()));
        assert_eq!(
            AddressObject::from_entry(&addr.to_entry()).expect("parses"),
            addr
        );
    }
}
