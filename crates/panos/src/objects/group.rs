//! Address groups (`…/address-group/entry`) and service groups (`…/service-group/entry`).
//!
//! palosync never writes groups; it reads them to know which names they refer to (a referenced
//! object cannot be deleted, PAN-OS API guide §3 `delete`, code 10) and what an operator's
//! rule that uses a group matches.

use super::{ConfigEntry, EntryWriter, entry_name, text_of, unmodelled_children};
use crate::error::Error;
use crate::xml::XmlNode;
use crate::xpath::{Location, ObjectKind, XPath};

/// An address group: `<static><member>…</member></static>` or
/// `<dynamic><filter>'tag1' and 'tag2'</filter></dynamic>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressGroup {
    /// Group name.
    pub name: String,
    /// Static members (address or group names), empty for a dynamic group.
    pub static_members: Vec<String>,
    /// The dynamic group's tag filter, as written.
    pub dynamic_filter: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Children this crate does not model, verbatim.
    pub other: Vec<XmlNode>,
}

impl AddressGroup {
    /// A static group of `members`.
    pub fn with_static_members(name: impl Into<String>, members: &[&str]) -> Self {
        Self {
            name: name.into(),
            static_members: members.iter().map(|m| (*m).to_owned()).collect(),
            dynamic_filter: None,
            description: None,
            tags: Vec::new(),
            other: Vec::new(),
        }
    }
}

impl ConfigEntry for AddressGroup {
    fn container(location: &Location) -> XPath {
        location.objects(ObjectKind::AddressGroup)
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn to_entry(&self) -> XmlNode {
        let mut w = EntryWriter::new(&self.name);
        if self.dynamic_filter.is_none() {
            w.members("static", &self.static_members);
        }
        if let Some(filter) = &self.dynamic_filter {
            w.node(
                XmlNode::new("dynamic").with_child(XmlNode::with_text_content("filter", filter)),
            );
        }
        w.text("description", self.description.as_deref());
        w.members("tag", &self.tags);
        w.finish(&self.other)
    }

    fn from_entry(entry: &XmlNode) -> Result<Self, Error> {
        let dynamic_filter = entry
            .child("dynamic")
            .and_then(|d| d.child("filter"))
            .map(|f| f.trimmed_text().to_owned());
        let mut known = vec!["static", "description", "tag"];
        if dynamic_filter.is_some() {
            known.push("dynamic");
        }
        Ok(Self {
            name: entry_name(entry)?,
            static_members: entry.members_of("static"),
            dynamic_filter,
            description: text_of(entry, "description"),
            tags: entry.members_of("tag"),
            other: unmodelled_children(entry, &known),
        })
    }
}

/// A service group: `<members><member>svc</member></members>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceGroup {
    /// Group name.
    pub name: String,
    /// Member service or service-group names.
    pub members: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Children this crate does not model, verbatim.
    pub other: Vec<XmlNode>,
}

impl ServiceGroup {
    /// A group of `members`.
    pub fn new(name: impl Into<String>, members: &[&str]) -> Self {
        Self {
            name: name.into(),
            members: members.iter().map(|m| (*m).to_owned()).collect(),
            tags: Vec::new(),
            other: Vec::new(),
        }
    }
}

impl ConfigEntry for ServiceGroup {
    fn container(location: &Location) -> XPath {
        location.objects(ObjectKind::ServiceGroup)
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn to_entry(&self) -> XmlNode {
        let mut w = EntryWriter::new(&self.name);
        w.members("members", &self.members);
        w.members("tag", &self.tags);
        w.finish(&self.other)
    }

    fn from_entry(entry: &XmlNode) -> Result<Self, Error> {
        Ok(Self {
            name: entry_name(entry)?,
            members: entry.members_of("members"),
            tags: entry.members_of("tag"),
            other: unmodelled_children(entry, &["members", "tag"]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: ConfigEntry>(xml: &str) -> T {
        T::from_entry(&XmlNode::parse(xml).expect("valid")).expect("parses")
    }

    #[test]
    fn static_and_dynamic_address_groups_parse_as_documented() {
        let fixed: AddressGroup = parse(
            r#"<entry name="web" admin="bob" dirtyId="3"><static><member>h1</member><member>h2</member></static><tag><member>t</member></tag></entry>"#,
        );
        assert_eq!(fixed.static_members, vec!["h1", "h2"]);
        assert_eq!(fixed.dynamic_filter, None);
        assert_eq!(fixed.tags, vec!["t"]);
        assert!(fixed.other.is_empty());
        let dynamic: AddressGroup = parse(
            r#"<entry name="dag"><dynamic><filter>'web' and 'prod'</filter></dynamic></entry>"#,
        );
        assert!(dynamic.static_members.is_empty());
        assert_eq!(dynamic.dynamic_filter.as_deref(), Some("'web' and 'prod'"));
        assert_eq!(
            AddressGroup::from_entry(&dynamic.to_entry()).expect("parses"),
            dynamic
        );
    }

    #[test]
    fn dynamic_groups_keep_filter_description_and_tags_through_a_round_trip() {
        let device: AddressGroup = parse(
            r#"<entry name="sg-0abc" dirtyId="4"><dynamic><filter><![CDATA['palosync.sg-0abc' or ('web' and 'prod')]]></filter></dynamic><description>instances</description><tag><member>palosync</member></tag></entry>"#,
        );
        assert_eq!(
            device.dynamic_filter.as_deref(),
            Some("'palosync.sg-0abc' or ('web' and 'prod')")
        );
        assert_eq!(device.description.as_deref(), Some("instances"));
        assert_eq!(device.tags, vec!["palosync"]);
        assert!(device.static_members.is_empty() && device.other.is_empty());
        let entry = device.to_entry();
        assert!(entry.child("static").is_none());
        assert_eq!(AddressGroup::from_entry(&entry).expect("parses"), device);
    }

    #[test]
    fn service_groups_round_trip() {
        let group: ServiceGroup = parse(
            r#"<entry name="web-ports"><members><member>tcp_8080</member><member>service-https</member></members></entry>"#,
        );
        assert_eq!(group.members, vec!["tcp_8080", "service-https"]);
        assert_eq!(
            group.to_entry().to_xml(),
            r#"<entry name="web-ports"><members><member>tcp_8080</member><member>service-https</member></members></entry>"#
        );
        let built = ServiceGroup::new("g", &["a"]);
        assert_eq!(
            ServiceGroup::from_entry(&built.to_entry()).expect("parses"),
            built
        );
    }
}
