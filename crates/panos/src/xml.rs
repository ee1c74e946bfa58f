//! A small owned XML tree for PAN-OS payloads: parsing responses and building `element=`/`cmd=`
//! values.
//!
//! PAN-OS documents have no mixed content that matters to us, so a node keeps its attributes,
//! its element children and the concatenation of its text and CDATA pieces. This module must
//! never build XML by pasting strings: every value goes through escaping in [`XmlNode::to_xml`].

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// Why a document could not be read as XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid XML: {reason}")]
pub struct XmlError {
    /// What the parser objected to.
    pub reason: String,
}

impl XmlError {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// One XML element with its attributes, element children and text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XmlNode {
    /// Tag name.
    pub name: String,
    /// Attributes in document order.
    pub attributes: Vec<(String, String)>,
    /// Element children in document order.
    pub children: Vec<XmlNode>,
    /// Text and CDATA content, concatenated, untrimmed.
    pub text: String,
}

/// Attributes PAN-OS adds to candidate nodes touched since the last commit; never sent back.
const DIRTY_ATTRIBUTES: [&str; 3] = ["admin", "dirtyId", "time"];

impl XmlNode {
    /// An empty element named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// An element holding only text.
    pub fn with_text_content(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self::new(name).with_text(text)
    }

    /// `<name><member>a</member>…</name>`.
    pub fn member_list<S: AsRef<str>>(name: impl Into<String>, members: &[S]) -> Self {
        let mut node = Self::new(name);
        for member in members {
            node.children
                .push(Self::with_text_content("member", member.as_ref()));
        }
        node
    }

    /// Builder: adds an attribute.
    #[must_use]
    pub fn with_attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((name.into(), value.into()));
        self
    }

    /// Builder: sets the text.
    #[must_use]
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = text.into();
        self
    }

    /// Builder: appends a child.
    #[must_use]
    pub fn with_child(mut self, child: XmlNode) -> Self {
        self.children.push(child);
        self
    }

    /// Value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// First child named `name`.
    pub fn child(&self, name: &str) -> Option<&XmlNode> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Follows a path of child names (`["result", "job", "id"]`).
    pub fn path(&self, names: &[&str]) -> Option<&XmlNode> {
        names.iter().try_fold(self, |node, name| node.child(name))
    }

    /// All children named `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a XmlNode> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Trimmed text of this node.
    pub fn trimmed_text(&self) -> &str {
        self.text.trim()
    }

    /// Trimmed text of the first child named `name`, if that child exists.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(XmlNode::trimmed_text)
    }

    /// Texts of `<member>` children of child `name` (empty when the child is absent).
    pub fn members_of(&self, name: &str) -> Vec<String> {
        self.child(name)
            .map(XmlNode::member_texts)
            .unwrap_or_default()
    }

    /// Texts of this node's `<member>` children.
    pub fn member_texts(&self) -> Vec<String> {
        self.children_named("member")
            .map(|m| m.trimmed_text().to_owned())
            .collect()
    }

    /// A copy without the candidate-only attributes (`admin`, `dirtyId`, `time`), at every depth.
    #[must_use]
    pub fn without_dirty_marks(&self) -> XmlNode {
        XmlNode {
            name: self.name.clone(),
            attributes: self
                .attributes
                .iter()
                .filter(|(k, _)| !DIRTY_ATTRIBUTES.contains(&k.as_str()))
                .cloned()
                .collect(),
            children: self
                .children
                .iter()
                .map(XmlNode::without_dirty_marks)
                .collect(),
            text: self.text.clone(),
        }
    }

    /// Serializes the element, escaping text and attribute values.
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write_into(&mut out);
        out
    }

    fn write_into(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (key, value) in &self.attributes {
            out.push(' ');
            out.push_str(key);
            out.push_str("=\"");
            out.push_str(&quick_xml::escape::escape(value.as_str()));
            out.push('"');
        }
        if self.children.is_empty() && self.text.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        out.push_str(&quick_xml::escape::escape(self.text.as_str()));
        for child in &self.children {
            child.write_into(out);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    /// Parses a document and returns its root element.
    pub fn parse(document: &str) -> Result<XmlNode, XmlError> {
        let mut reader = Reader::from_str(document);
        let mut stack: Vec<XmlNode> = Vec::new();
        let mut root: Option<XmlNode> = None;
        loop {
            let event = reader
                .read_event()
                .map_err(|e| XmlError::new(e.to_string()))?;
            match event {
                Event::Start(start) => stack.push(open_element(&start)?),
                Event::Empty(start) => {
                    let node = open_element(&start)?;
                    attach(&mut stack, &mut root, node)?;
                }
                Event::End(_) => {
                    let node = stack
                        .pop()
                        .ok_or_else(|| XmlError::new("closing tag without opening tag"))?;
                    attach(&mut stack, &mut root, node)?;
                }
                Event::Text(text) => {
                    let text = text.unescape().map_err(|e| XmlError::new(e.to_string()))?;
                    append_text(&mut stack, &text)?;
                }
                Event::CData(data) => {
                    let data = std::str::from_utf8(&data)
                        .map_err(|e| XmlError::new(e.to_string()))?
                        .to_owned();
                    append_text(&mut stack, &data)?;
                }
                Event::Eof => break,
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
        if !stack.is_empty() {
            return Err(XmlError::new("document ended inside an element"));
        }
        root.ok_or_else(|| XmlError::new("no root element"))
    }
}

fn open_element(start: &BytesStart<'_>) -> Result<XmlNode, XmlError> {
    let name = std::str::from_utf8(start.name().as_ref())
        .map_err(|e| XmlError::new(e.to_string()))?
        .to_owned();
    let mut node = XmlNode::new(name);
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| XmlError::new(e.to_string()))?;
        let key = std::str::from_utf8(attribute.key.as_ref())
            .map_err(|e| XmlError::new(e.to_string()))?
            .to_owned();
        let value = attribute
            .unescape_value()
            .map_err(|e| XmlError::new(e.to_string()))?
            .into_owned();
        node.attributes.push((key, value));
    }
    Ok(node)
}

fn attach(
    stack: &mut [XmlNode],
    root: &mut Option<XmlNode>,
    node: XmlNode,
) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None if root.is_none() => *root = Some(node),
        None => return Err(XmlError::new("more than one root element")),
    }
    Ok(())
}

fn append_text(stack: &mut [XmlNode], text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(node) => node.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err(XmlError::new("text outside the root element")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_403_body_with_spaces_around_equals_and_single_quotes() {
        let body = "<response status = 'error' code = '403'><result><msg>Invalid Credential</msg></result></response>";
        let root = XmlNode::parse(body).expect("valid XML");
        assert_eq!(root.attr("status"), Some("error"));
        assert_eq!(root.attr("code"), Some("403"));
        assert_eq!(
            root.path(&["result", "msg"]).map(XmlNode::trimmed_text),
            Some("Invalid Credential")
        );
    }

    #[test]
    fn cdata_lines_keep_their_text() {
        let body = "<msg><line><![CDATA[ rules -> r1 -> service is invalid]]></line></msg>";
        let root = XmlNode::parse(body).expect("valid XML");
        assert_eq!(
            root.child("line").map(|l| l.text.as_str()),
            Some(" rules -> r1 -> service is invalid")
        );
    }

    #[test]
    fn round_trips_escaped_values() {
        let node = XmlNode::new("entry")
            .with_attr("name", "a'b\"c<&>")
            .with_child(XmlNode::with_text_content("description", "x < y & z"))
            .with_child(XmlNode::new("no"));
        let parsed = XmlNode::parse(&node.to_xml()).expect("own output parses");
        assert_eq!(parsed, node);
    }

    #[test]
    fn dirty_marks_are_stripped_at_every_depth() {
        let body = r#"<entry name="r" admin="admin" dirtyId="14" time="2019/06/27 07:51:28"><tag admin="a"><member dirtyId="3">t</member></tag></entry>"#;
        let clean = XmlNode::parse(body).expect("valid").without_dirty_marks();
        assert_eq!(
            clean.to_xml(),
            r#"<entry name="r"><tag><member>t</member></tag></entry>"#
        );
    }

    #[test]
    fn rejects_truncated_and_multi_root_documents() {
        assert!(XmlNode::parse("<response status=\"success\"><result>").is_err());
        assert!(XmlNode::parse("<a/><b/>").is_err());
        assert!(XmlNode::parse("").is_err());
        assert!(XmlNode::parse("not xml at all").is_err());
    }
}
