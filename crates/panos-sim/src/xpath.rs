//! The XPath subset PAN-OS clients send: absolute child steps, `entry[@name='…']` (single or
//! double quotes, `concat()`), `or` of conditions, `@uuid`, `member[text()='…']`, a trailing
//! attribute step (`…/entry/@name`) and `|` unions.
//!
//! Evaluation yields index paths into an [`Element`] tree. This module must never change a tree.

use crate::xml::Element;

/// A parsed xpath: one or more alternatives joined by `|`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XPath {
    pub alternatives: Vec<LocationPath>,
}

/// One absolute path: `/a/b[...]/c`, optionally ending in an attribute step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationPath {
    pub steps: Vec<Step>,
    /// `…/@name`: select that attribute of the nodes the steps select.
    pub attribute: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    /// Conditions joined by `or`; empty means no predicate.
    pub any_of: Vec<Condition>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    Attr {
        name: String,
        value: String,
    },
    Text(String),
    /// 1-based position among siblings selected by the step's name.
    Position(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Bad XPath: {0}")]
pub struct XPathError(pub String);

/// A selected node: the chain of child indices from the root (the root itself is `[]`).
pub type NodePath = Vec<usize>;

impl Step {
    /// The entry name when the predicate is exactly `[@name='x']`: the only predicate a write may
    /// create a missing node from.
    pub fn exact_name(&self) -> Option<&str> {
        match self.any_of.as_slice() {
            [Condition::Attr { name, value }] if name == "name" => Some(value),
            _ => None,
        }
    }

    pub fn matches(&self, el: &Element) -> bool {
        if self.name != "*" && el.name != self.name {
            return false;
        }
        self.any_of.is_empty()
            || self.any_of.iter().any(|c| match c {
                Condition::Attr { name, value } => el.attr(name) == Some(value.as_str()),
                Condition::Text(t) => el.text == *t,
                Condition::Position(_) => true,
            })
    }

    fn position(&self) -> Option<usize> {
        self.any_of.iter().find_map(|c| match c {
            Condition::Position(p) => Some(*p),
            _ => None,
        })
    }

    /// Indices of the children of `parent` this step selects.
    pub fn select(&self, parent: &Element) -> Vec<usize> {
        // `entry[@name='x']`: names are unique in a list, and the entry a client just wrote is
        // usually the last child, so look there before scanning.
        if let (Some(name), Some(last)) = (self.exact_name(), parent.children.last())
            && self.name == "entry"
            && self.matches(last)
            && last.entry_name() == Some(name)
        {
            return vec![parent.children.len() - 1];
        }
        let hits = parent
            .children
            .iter()
            .enumerate()
            .filter(|(_, c)| self.matches(c))
            .map(|(i, _)| i);
        match self.position() {
            Some(p) => hits.skip(p.saturating_sub(1)).take(1).collect(),
            None => hits.collect(),
        }
    }
}

impl XPath {
    pub fn parse(text: &str) -> Result<XPath, XPathError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(XPathError("empty xpath".into()));
        }
        let alternatives = split_outside(text, '|')
            .into_iter()
            .map(|alt| LocationPath::parse(alt.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(XPath { alternatives })
    }

    /// The single location path, or an error for unions (writes need exactly one target).
    pub fn single(&self) -> Result<&LocationPath, XPathError> {
        match self.alternatives.as_slice() {
            [one] => Ok(one),
            _ => Err(XPathError(
                "a union cannot be the target of this action".into(),
            )),
        }
    }

    /// Every node the xpath selects, in document order per alternative, without duplicates.
    pub fn select(&self, root: &Element) -> Vec<NodePath> {
        let mut out: Vec<NodePath> = Vec::new();
        for alt in &self.alternatives {
            for p in alt.select(root) {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out
    }

    pub fn selects_attribute(&self) -> Option<&str> {
        self.alternatives
            .first()
            .and_then(|a| a.attribute.as_deref())
    }
}

impl LocationPath {
    fn parse(text: &str) -> Result<LocationPath, XPathError> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(XPathError(format!("xpath must be absolute: {text}")));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let mut steps = Vec::new();
        let mut attribute = None;
        let raw_steps = split_outside(rest, '/');
        let last = raw_steps.len().saturating_sub(1);
        for (i, raw) in raw_steps.into_iter().enumerate() {
            let raw = raw.trim();
            if let Some(attr) = raw.strip_prefix('@') {
                if i != last || !is_name(attr) {
                    return Err(XPathError(format!("unsupported attribute step {raw}")));
                }
                attribute = Some(attr.to_string());
            } else {
                steps.push(parse_step(raw)?);
            }
        }
        if steps.is_empty() {
            return Err(XPathError(format!("no steps in {text}")));
        }
        Ok(LocationPath { steps, attribute })
    }

    pub fn select(&self, root: &Element) -> Vec<NodePath> {
        let Some((first, rest)) = self.steps.split_first() else {
            return Vec::new();
        };
        if !first.matches(root) {
            return Vec::new();
        }
        let mut current: Vec<(NodePath, &Element)> = vec![(Vec::new(), root)];
        for step in rest {
            let mut next = Vec::new();
            for (path, node) in &current {
                for i in step.select(node) {
                    let mut p = path.clone();
                    p.push(i);
                    next.push((p, node.children[i].as_ref()));
                }
            }
            current = next;
            if current.is_empty() {
                break;
            }
        }
        current
            .into_iter()
            .filter(|(_, el)| match &self.attribute {
                Some(a) => el.attr(a).is_some(),
                None => true,
            })
            .map(|(p, _)| p)
            .collect()
    }

    /// The path without its last step (the container a write goes into).
    pub fn parent(&self) -> Option<LocationPath> {
        if self.steps.len() < 2 {
            return None;
        }
        Some(LocationPath {
            steps: self.steps[..self.steps.len() - 1].to_vec(),
            attribute: None,
        })
    }

    pub fn last(&self) -> &Step {
        // A parsed LocationPath always has at least one step (checked in parse).
        self.steps
            .last()
            .expect("location path has at least one step")
    }
}

/// Follows an index path; `None` if the tree changed shape.
pub fn node_at<'a>(root: &'a Element, path: &[usize]) -> Option<&'a Element> {
    path.iter()
        .try_fold(root, |node, &i| node.children.get(i).map(|c| c.as_ref()))
}

/// Mutable access along an index path, copying shared nodes on the way (copy-on-write).
pub fn node_at_mut<'a>(root: &'a mut Element, path: &[usize]) -> Option<&'a mut Element> {
    let mut node = root;
    for &i in path {
        if i >= node.children.len() {
            return None;
        }
        node = node.child_mut(i);
    }
    Some(node)
}

/// The element names and entry names along a path, as `(tag, name attribute)` pairs.
pub fn describe_path(root: &Element, path: &[usize]) -> Vec<(String, Option<String>)> {
    let mut out = vec![(root.name.clone(), root.entry_name().map(str::to_string))];
    let mut node = root;
    for &i in path {
        let Some(child) = node.children.get(i) else {
            break;
        };
        node = child;
        out.push((node.name.clone(), node.entry_name().map(str::to_string)));
    }
    out
}

fn parse_step(raw: &str) -> Result<Step, XPathError> {
    let (name, pred) = match raw.find('[') {
        Some(open) => {
            let close = raw
                .rfind(']')
                .filter(|&c| c > open && c == raw.len() - 1)
                .ok_or_else(|| XPathError(format!("unbalanced predicate in {raw}")))?;
            (&raw[..open], Some(&raw[open + 1..close]))
        }
        None => (raw, None),
    };
    let name = name.trim();
    if !(is_name(name) || name == "*") {
        return Err(XPathError(format!("bad step name {raw:?}")));
    }
    let any_of = match pred {
        None => Vec::new(),
        Some(p) => split_keyword_or(p)
            .into_iter()
            .map(parse_condition)
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(Step {
        name: name.to_string(),
        any_of,
    })
}

fn parse_condition(raw: &str) -> Result<Condition, XPathError> {
    let raw = raw.trim();
    if let Ok(n) = raw.parse::<usize>() {
        return Ok(Condition::Position(n));
    }
    let (lhs, rhs) = split_once_outside(raw, '=')
        .ok_or_else(|| XPathError(format!("unsupported predicate {raw}")))?;
    let value = parse_literal(rhs.trim())?;
    let lhs = lhs.trim();
    if lhs == "text()" {
        return Ok(Condition::Text(value));
    }
    match lhs.strip_prefix('@') {
        Some(attr) if is_name(attr) => Ok(Condition::Attr {
            name: attr.to_string(),
            value,
        }),
        _ => Err(XPathError(format!("unsupported predicate {raw}"))),
    }
}

/// `'x'`, `"x"` or `concat('a',"'",'b')`.
fn parse_literal(raw: &str) -> Result<String, XPathError> {
    if let Some(inner) = raw
        .strip_prefix("concat(")
        .and_then(|r| r.strip_suffix(')'))
    {
        return split_outside(inner, ',')
            .into_iter()
            .map(|part| parse_literal(part.trim()))
            .collect();
    }
    for q in ['\'', '"'] {
        if raw.len() >= 2 && raw.starts_with(q) && raw.ends_with(q) {
            let inner = &raw[1..raw.len() - 1];
            if !inner.contains(q) {
                return Ok(inner.to_string());
            }
        }
    }
    Err(XPathError(format!("bad literal {raw}")))
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// Splits on `sep` where it is outside quotes, brackets and parentheses.
fn split_outside(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '[' | '(' => depth += 1,
                ']' | ')' => depth -= 1,
                c if c == sep && depth == 0 => {
                    parts.push(&text[start..i]);
                    start = i + c.len_utf8();
                }
                _ => {}
            },
        }
    }
    parts.push(&text[start..]);
    parts
}

fn split_once_outside(text: &str, sep: char) -> Option<(&str, &str)> {
    let parts = split_outside(text, sep);
    if parts.len() < 2 {
        return None;
    }
    let first = parts[0];
    Some((first, &text[first.len() + sep.len_utf8()..]))
}

/// Splits a predicate on the keyword ` or ` outside quotes.
fn split_keyword_or(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quote: Option<char> = None;
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            // Byte-wise, so a multi-byte character never splits (found by fuzzed_requests.rs).
            None if bytes[i..].starts_with(b" or ") => {
                parts.push(&text[start..i]);
                i += 4;
                start = i;
                continue;
            }
            None => {}
        }
        i += 1;
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Element {
        Element::parse(
            r#"<config><devices><entry name="localhost.localdomain"><vsys><entry name="vsys1">
            <rulebase><security><rules>
              <entry name="a" uuid="u-a"><tag><member>x</member><member>y'z</member></tag></entry>
              <entry name="b" uuid="u-b"/>
              <entry name="it's"/>
            </rules></security></rulebase></entry></vsys></entry></devices></config>"#,
        )
        .expect("valid test xml")
    }

    const RULES: &str = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/rulebase/security/rules";

    #[test]
    fn an_or_predicate_with_a_multibyte_character_splits_without_panicking() {
        assert_eq!(
            split_keyword_or("@name='a' or @naúe='b'"),
            ["@name='a'", "@naúe='b'"]
        );
        assert_eq!(split_keyword_or("úname='a'"), ["úname='a'"]);
    }

    fn names(root: &Element, xpath: &str) -> Vec<String> {
        let xp = XPath::parse(xpath).expect("valid xpath");
        xp.select(root)
            .iter()
            .map(|p| {
                let n = node_at(root, p).expect("selected path exists");
                n.entry_name().unwrap_or(&n.text).to_string()
            })
            .collect()
    }

    #[test]
    fn selects_entry_by_name_with_either_quote() {
        let t = tree();
        assert_eq!(names(&t, &format!("{RULES}/entry[@name='b']")), ["b"]);
        assert_eq!(names(&t, &format!("{RULES}/entry[@name=\"b\"]")), ["b"]);
        assert_eq!(
            names(&t, &format!("{RULES}/entry[@name=\"it's\"]")),
            ["it's"]
        );
    }

    #[test]
    fn selects_with_concat_or_uuid_and_text() {
        let t = tree();
        assert_eq!(
            names(&t, &format!("{RULES}/entry[@name=concat('it',\"'\",'s')]")),
            ["it's"]
        );
        assert_eq!(
            names(&t, &format!("{RULES}/entry[@name='a' or @name='b']")),
            ["a", "b"]
        );
        assert_eq!(names(&t, &format!("{RULES}/entry[@uuid='u-b']")), ["b"]);
        assert_eq!(
            names(
                &t,
                &format!("{RULES}/entry[@name='a']/tag/member[text()=\"y'z\"]")
            ),
            ["y'z"]
        );
    }

    #[test]
    fn unions_and_all_entries_and_attribute_steps() {
        let t = tree();
        let union = format!("{RULES}/entry[@name='b']|{RULES}/entry[@name='a']");
        assert_eq!(names(&t, &union), ["b", "a"]);
        assert_eq!(names(&t, &format!("{RULES}/entry")), ["a", "b", "it's"]);
        let xp = XPath::parse(&format!("{RULES}/entry/@name")).expect("valid");
        assert_eq!(xp.selects_attribute(), Some("name"));
        assert_eq!(xp.select(&t).len(), 3);
    }

    #[test]
    fn missing_nodes_select_nothing() {
        let t = tree();
        assert!(names(&t, &format!("{RULES}/entry[@name='zz']")).is_empty());
        assert!(names(&t, "/config/shared/address").is_empty());
        assert!(names(&t, "/other").is_empty());
    }

    #[test]
    fn rejects_malformed_xpaths() {
        for bad in [
            "",
            "config/devices",
            "/config/entry[@name='a'",
            "/config/a b",
            "/config/@x/y",
        ] {
            assert!(XPath::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
