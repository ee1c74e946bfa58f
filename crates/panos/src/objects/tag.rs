//! Tags (`…/tag/entry`).

use super::{ConfigEntry, EntryWriter, entry_name, text_of, unmodelled_children};
use crate::error::Error;
use crate::xml::XmlNode;
use crate::xpath::{Location, ObjectKind, XPath};

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Tag name (≤ 127 characters).
    pub name: String,
    /// `color1` … `color42`.
    pub color: Option<String>,
    /// Comments.
    pub comments: Option<String>,
    /// Children this crate does not model, verbatim.
    pub other: Vec<XmlNode>,
}

impl Tag {
    /// A tag with no color or comments.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            color: None,
            comments: None,
            other: Vec::new(),
        }
    }
}

impl ConfigEntry for Tag {
    fn container(location: &Location) -> XPath {
        location.objects(ObjectKind::Tag)
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn to_entry(&self) -> XmlNode {
        let mut w = EntryWriter::new(&self.name);
        w.text("color", self.color.as_deref());
        w.text("comments", self.comments.as_deref());
        w.finish(&self.other)
    }

    fn from_entry(entry: &XmlNode) -> Result<Self, Error> {
        Ok(Self {
            name: entry_name(entry)?,
            color: text_of(entry, "color"),
            comments: text_of(entry, "comments"),
            other: unmodelled_children(entry, &["color", "comments"]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_a_tag() {
        let xml = r#"<entry name="palosync" admin="a" time="t"><color>color1</color><comments>managed</comments></entry>"#;
        let tag = Tag::from_entry(&XmlNode::parse(xml).expect("valid")).expect("parses");
        assert_eq!(tag.color.as_deref(), Some("color1"));
        assert_eq!(tag.comments.as_deref(), Some("managed"));
        assert_eq!(
            tag.to_entry().to_xml(),
            r#"<entry name="palosync"><color>color1</color><comments>managed</comments></entry>"#
        );
    }
}
