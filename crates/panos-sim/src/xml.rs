//! A small owned XML tree for PAN-OS configuration documents: element name, ordered attributes,
//! ordered children, text. Children sit behind `Arc` so a whole configuration can be snapshotted
//! in O(1) and changed copy-on-write (`Arc::make_mut` only copies the nodes on the changed path).
//!
//! This module must never interpret configuration semantics: it parses, serializes and navigates.

use std::sync::Arc;

use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// One XML element. Mixed content is not modelled: an element has either text or children
/// (whitespace between children is dropped), which is all PAN-OS configuration uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Arc<Element>>,
}

/// Why a document could not be parsed.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    #[error("malformed XML: {0}")]
    Syntax(String),
    #[error("XML document has no root element")]
    Empty,
    #[error("unexpected closing tag")]
    UnbalancedClose,
    #[error("unclosed element <{0}>")]
    Unclosed(String),
}

impl Element {
    pub fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            ..Element::default()
        }
    }

    /// `<name>text</name>`
    pub fn leaf(name: impl Into<String>, text: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            text: text.into(),
            ..Element::default()
        }
    }

    /// `<tag name="entry_name"/>`
    pub fn named(tag: impl Into<String>, entry_name: impl Into<String>) -> Self {
        let mut e = Element::new(tag);
        e.set_attr("name", entry_name);
        e
    }

    pub fn with_child(mut self, child: Element) -> Self {
        self.push(child);
        self
    }

    pub fn with_attr(mut self, key: &str, value: impl Into<String>) -> Self {
        self.set_attr(key, value);
        self
    }

    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn set_attr(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        match self.attrs.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((key.to_string(), value)),
        }
    }

    pub fn remove_attr(&mut self, key: &str) {
        self.attrs.retain(|(k, _)| k != key);
    }

    /// The `name` attribute, which identifies list entries.
    pub fn entry_name(&self) -> Option<&str> {
        self.attr("name")
    }

    pub fn push(&mut self, child: Element) {
        self.children.push(Arc::new(child));
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children
            .iter()
            .map(|c| c.as_ref())
            .find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children
            .iter()
            .map(|c| c.as_ref())
            .filter(move |c| c.name == name)
    }

    /// The child `<tag name="entry_name">`.
    pub fn entry(&self, tag: &str, entry_name: &str) -> Option<&Element> {
        self.entry_index(tag, entry_name)
            .map(|i| self.children[i].as_ref())
    }

    /// The index of the `tag` child named `entry_name`. Entry names are unique within a list,
    /// so the last child (where a `set` appends) is tried first: finding what was just written
    /// into a 100,000-entry list costs one comparison, not a scan.
    pub fn entry_index(&self, tag: &str, entry_name: &str) -> Option<usize> {
        let is = |c: &Element| c.name == tag && c.entry_name() == Some(entry_name);
        match self.children.last() {
            Some(last) if is(last) => Some(self.children.len() - 1),
            _ => self.children.iter().position(|c| is(c)),
        }
    }

    /// Follows a chain of child names; `None` as soon as one is missing.
    pub fn descend(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |node, name| node.child(name))
    }

    /// Text of the named child, if present.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// Texts of `<member>` children of the named child (empty if absent).
    pub fn members(&self, name: &str) -> Vec<&str> {
        self.child(name)
            .map(|c| {
                c.children_named("member")
                    .map(|m| m.text.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn child_mut(&mut self, index: usize) -> &mut Element {
        Arc::make_mut(&mut self.children[index])
    }

    pub fn position(&self, pred: impl Fn(&Element) -> bool) -> Option<usize> {
        self.children.iter().position(|c| pred(c))
    }

    /// Parses a document with exactly one root element.
    pub fn parse(xml: &str) -> Result<Element, XmlError> {
        let mut roots = parse_fragment(xml)?;
        match roots.len() {
            0 => Err(XmlError::Empty),
            _ => Ok(roots.swap_remove(0)),
        }
    }

    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(256);
        self.write_xml(&mut out);
        out
    }

    pub fn write_xml(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            escape_into(v, true, out);
            out.push('"');
        }
        if self.children.is_empty() && self.text.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        escape_into(&self.text, false, out);
        for c in &self.children {
            c.write_xml(out);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

/// Parses zero or more sibling root elements (an `element=` parameter may carry several).
pub fn parse_fragment(xml: &str) -> Result<Vec<Element>, XmlError> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut roots = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| XmlError::Syntax(e.to_string()))?;
        match event {
            Event::Start(start) => stack.push(start_element(&start)?),
            Event::Empty(start) => {
                let el = start_element(&start)?;
                attach(&mut stack, &mut roots, el);
            }
            Event::End(_) => {
                let mut el = stack.pop().ok_or(XmlError::UnbalancedClose)?;
                if !el.children.is_empty() || el.text.trim().is_empty() {
                    el.text.clear();
                }
                attach(&mut stack, &mut roots, el);
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| XmlError::Syntax(e.to_string()))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                } else if !text.trim().is_empty() {
                    return Err(XmlError::Syntax("text outside of an element".into()));
                }
            }
            Event::CData(c) => {
                let bytes = c.into_inner();
                let text = String::from_utf8_lossy(&bytes);
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.pop() {
        return Err(XmlError::Unclosed(open.name));
    }
    Ok(roots)
}

fn attach(stack: &mut [Element], roots: &mut Vec<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.push(el),
        None => roots.push(el),
    }
}

fn start_element(start: &quick_xml::events::BytesStart<'_>) -> Result<Element, XmlError> {
    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let mut el = Element::new(name);
    for attr in start.attributes() {
        let attr = attr.map_err(|e| XmlError::Syntax(e.to_string()))?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .map_err(|e| XmlError::Syntax(e.to_string()))?
            .into_owned();
        el.attrs.push((key, value));
    }
    Ok(el)
}

/// Escapes text for element content (`in_attr = false`) or a double-quoted attribute.
pub fn escape_into(text: &str, in_attr: bool, out: &mut String) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attr => out.push_str("&quot;"),
            _ => out.push(ch),
        }
    }
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, false, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_self_closing_and_nested_elements() {
        let el = Element::parse(
            r#"<commit><partial><admin><member>bob</member></admin></partial><force /></commit>"#,
        )
        .expect("valid xml");
        assert_eq!(el.name, "commit");
        assert_eq!(el.children.len(), 2);
        assert_eq!(
            el.descend(&["partial", "admin"]).map(|a| a.children.len()),
            Some(1)
        );
        assert!(el.child("force").is_some());
    }

    #[test]
    fn round_trips_attributes_and_escaped_text() {
        let src =
            r#"<entry name="a &quot;b&quot;"><description>x &lt; y &amp; z</description></entry>"#;
        let el = Element::parse(src).expect("valid xml");
        assert_eq!(el.entry_name(), Some("a \"b\""));
        assert_eq!(el.child_text("description"), Some("x < y & z"));
        assert_eq!(el.to_xml(), src);
    }

    #[test]
    fn drops_whitespace_between_children_but_keeps_cdata() {
        let el = Element::parse("<a>\n  <b><![CDATA[ line ]]></b>\n</a>").expect("valid xml");
        assert_eq!(el.text, "");
        assert_eq!(el.child_text("b"), Some(" line "));
    }

    #[test]
    fn fragment_with_several_roots() {
        let roots = parse_fragment("<member>a</member><member>b</member>").expect("valid xml");
        assert_eq!(roots.len(), 2);
    }

    #[test]
    fn rejects_unclosed_elements() {
        assert!(Element::parse("<a><b></a>").is_err());
        assert!(Element::parse("<a>").is_err());
    }
}
