//! Typed configuration entries palosync manages or reads: security rules, service objects,
//! address objects, address and service groups, and tags, converted to and from their `<entry>` XML.
//!
//! Parsing is tolerant: unknown children are kept verbatim (so an `edit` that writes an entry
//! back never drops what another tool set), candidate-only attributes (`admin`, `dirtyId`,
//! `time`) are ignored. Serialising never emits those attributes.

mod address;
mod group;
mod rule;
mod service;
mod tag;

pub use address::{AddressObject, AddressValue};
pub use group::{AddressGroup, ServiceGroup};
pub use rule::{ProfileSetting, RuleAction, RuleType, SecurityRule};
pub use service::{ServiceObject, ServicePorts, ServiceProtocol};
pub use tag::Tag;

use crate::error::Error;
use crate::xml::XmlNode;
use crate::xpath::{Location, XPath};

/// A named `<entry>` that lives in a container under a [`Location`].
pub trait ConfigEntry: Sized {
    /// The container holding entries of this type at `location`.
    fn container(location: &Location) -> XPath;

    /// The entry's name.
    fn name(&self) -> &str;

    /// The `<entry name="…">` element.
    fn to_entry(&self) -> XmlNode;

    /// Reads an `<entry>` element.
    fn from_entry(entry: &XmlNode) -> Result<Self, Error>;

    /// The xpath of the entry named `name` at `location`.
    fn xpath(location: &Location, name: &str) -> XPath {
        Self::container(location).entry(name)
    }
}

/// The `name` attribute of an entry.
fn entry_name(entry: &XmlNode) -> Result<String, Error> {
    if entry.name != "entry" {
        return Err(Error::malformed(format!(
            "expected <entry>, found <{}>",
            entry.name
        )));
    }
    entry
        .attr("name")
        .map(str::to_owned)
        .ok_or_else(|| Error::malformed("<entry> without a name attribute"))
}

/// `yes`/`no` child as a bool; absent stays `None`.
fn yes_no(entry: &XmlNode, child: &str) -> Result<Option<bool>, Error> {
    match entry.child_text(child) {
        None => Ok(None),
        Some("yes") => Ok(Some(true)),
        Some("no") => Ok(Some(false)),
        Some(other) => Err(Error::malformed(format!(
            "<{child}> holds {other:?}, expected yes or no"
        ))),
    }
}

fn text_of(entry: &XmlNode, child: &str) -> Option<String> {
    entry.child(child).map(|c| c.text.trim().to_owned())
}

/// Children not in `known`, without candidate-only attributes.
fn unmodelled_children(entry: &XmlNode, known: &[&str]) -> Vec<XmlNode> {
    entry
        .children
        .iter()
        .filter(|c| !known.contains(&c.name.as_str()))
        .map(XmlNode::without_dirty_marks)
        .collect()
}

/// Appends child elements to an entry under construction.
struct EntryWriter(XmlNode);

impl EntryWriter {
    fn new(name: &str) -> Self {
        Self(XmlNode::new("entry").with_attr("name", name))
    }

    fn members(&mut self, child: &str, members: &[String]) {
        if !members.is_empty() {
            self.0.children.push(XmlNode::member_list(child, members));
        }
    }

    fn text(&mut self, child: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.0
                .children
                .push(XmlNode::with_text_content(child, value));
        }
    }

    fn yes_no(&mut self, child: &str, value: Option<bool>) {
        self.text(child, value.map(|v| if v { "yes" } else { "no" }));
    }

    fn node(&mut self, node: XmlNode) {
        self.0.children.push(node);
    }

    fn finish(mut self, other: &[XmlNode]) -> XmlNode {
        self.0.children.extend(other.iter().cloned());
        self.0
    }
}
