//! Where PAN-OS objects live in a configuration tree and how names resolve: object kinds by
//! path, the scope (vsys, device group or shared) an object belongs to, name indexes that look
//! in the local scope first and then in `shared`, and the `vsys -> vsys1 -> …` path labels
//! PAN-OS uses in messages.
//!
//! This module must never change a tree.

use std::collections::HashMap;

use crate::xml::Element;
use crate::xpath::{NodePath, describe_path, node_at};

/// The configuration objects the simulator understands semantically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    SecurityRule,
    Address,
    AddressGroup,
    Service,
    ServiceGroup,
    Tag,
    Zone,
    ProfileGroup,
}

impl ObjectKind {
    /// The list element objects of this kind sit in (`address`, `service`, …).
    pub fn list_name(self) -> &'static str {
        match self {
            ObjectKind::SecurityRule => "rules",
            ObjectKind::Address => "address",
            ObjectKind::AddressGroup => "address-group",
            ObjectKind::Service => "service",
            ObjectKind::ServiceGroup => "service-group",
            ObjectKind::Tag => "tag",
            ObjectKind::Zone => "zone",
            ObjectKind::ProfileGroup => "profile-group",
        }
    }

    /// Longest name PAN-OS accepts for this kind.
    pub fn max_name_len(self) -> usize {
        match self {
            ObjectKind::Tag => 127,
            _ => 63,
        }
    }
}

/// Lists indexed by name for reference resolution.
const INDEXED_LISTS: &[&str] = &[
    "address",
    "address-group",
    "service",
    "service-group",
    "tag",
    "zone",
    "profile-group",
    "external-list",
    "region",
    "application",
    "application-group",
    "application-filter",
    "schedule",
];

/// The object kind of the node at `path`, if it is an object entry.
pub fn kind_at(root: &Element, path: &[usize]) -> Option<ObjectKind> {
    let names = describe_path(root, path);
    kind_of_names(&names)
}

fn kind_of_names(names: &[(String, Option<String>)]) -> Option<ObjectKind> {
    let n = names.len();
    if n < 3 {
        return None;
    }
    let (last, parent, grand) = (&names[n - 1], &names[n - 2], &names[n - 3]);
    if last.0 != "entry" || last.1.is_none() {
        return None;
    }
    // Objects hang directly off a scope: a vsys or device-group entry, or `shared`.
    let in_scope = grand.0 == "shared"
        || (grand.0 == "entry"
            && n >= 4
            && matches!(names[n - 4].0.as_str(), "vsys" | "device-group"));
    match parent.0.as_str() {
        "rules" if grand.0 == "security" => Some(ObjectKind::SecurityRule),
        "address" if in_scope => Some(ObjectKind::Address),
        "address-group" if in_scope => Some(ObjectKind::AddressGroup),
        "service" if in_scope => Some(ObjectKind::Service),
        "service-group" if in_scope => Some(ObjectKind::ServiceGroup),
        "tag" if in_scope => Some(ObjectKind::Tag),
        "zone" if in_scope => Some(ObjectKind::Zone),
        "profile-group" if in_scope => Some(ObjectKind::ProfileGroup),
        _ => None,
    }
}

/// The scope an object at `path` belongs to: index path of the scope node and whether it is a
/// firewall vsys (where zones exist and are checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRef {
    pub path: NodePath,
    pub is_vsys: bool,
}

pub fn scope_of(root: &Element, path: &[usize]) -> Option<ScopeRef> {
    let names = describe_path(root, path);
    // The scope is the last `shared` or vsys/device-group entry on the path.
    let mut found = None;
    for (i, (tag, _)) in names.iter().enumerate().skip(1) {
        let parent_tag = names[i - 1].0.as_str();
        if tag == "shared" && parent_tag == "config" {
            found = Some((i, false));
        } else if tag == "entry" && matches!(parent_tag, "vsys" | "device-group") {
            found = Some((i, parent_tag == "vsys"));
        } else if parent_tag == "panorama" && tag == "vsys" {
            // Panorama-pushed rules (/config/panorama/vsys/entry): not a local vsys.
            found = None;
        }
    }
    found.map(|(i, is_vsys)| ScopeRef {
        path: path[..i].to_vec(),
        is_vsys,
    })
}

/// Name indexes over one scope plus `shared` (local names win).
#[derive(Debug, Default)]
pub struct ObjectIndex<'a> {
    lists: HashMap<&'static str, HashMap<&'a str, &'a Element>>,
    /// Set when names are looked up in place (local scope first) rather than indexed: checking
    /// the one object a write touched makes a handful of lookups, and indexing every object of
    /// the scope for them would cost the size of the configuration per write.
    in_place: Option<Vec<&'a Element>>,
}

impl<'a> ObjectIndex<'a> {
    /// Lookups without an index, for checking a few objects.
    pub fn in_place(root: &'a Element, scope: &ScopeRef) -> ObjectIndex<'a> {
        let local = node_at(root, &scope.path);
        let shared = root.child("shared");
        ObjectIndex {
            lists: HashMap::new(),
            in_place: Some([local, shared].into_iter().flatten().collect()),
        }
    }

    pub fn build(root: &'a Element, scope: &ScopeRef) -> ObjectIndex<'a> {
        let mut index = ObjectIndex::default();
        let shared = root.child("shared");
        let local = node_at(root, &scope.path);
        for holder in [shared, local].into_iter().flatten() {
            index.add_scope(holder);
        }
        index
    }

    /// An index over one vsys (plus shared, plus what Panorama pushed to both) by name; `None`
    /// if the vsys does not exist. Later scopes win: pushed shared, local shared, pushed
    /// device-group objects, local vsys (see [`crate::push`]).
    pub fn for_vsys(root: &'a Element, vsys: &str) -> Option<ObjectIndex<'a>> {
        let v = local_vsys(root, vsys)?;
        let pushed = root.child("panorama");
        let pushed_vsys = pushed
            .and_then(|p| p.child("vsys"))
            .and_then(|l| l.entry("entry", vsys));
        let mut index = ObjectIndex::default();
        let scopes = [
            pushed.and_then(|p| p.child("shared")),
            root.child("shared"),
            pushed_vsys,
            Some(v),
        ];
        for holder in scopes.into_iter().flatten() {
            index.add_scope(holder);
        }
        Some(index)
    }

    fn add_scope(&mut self, holder: &'a Element) {
        for list in INDEXED_LISTS {
            if let Some(l) = holder.child(list) {
                let map = self.lists.entry(list).or_default();
                for e in l.children_named("entry") {
                    if let Some(n) = e.entry_name() {
                        map.insert(n, e);
                    }
                }
            }
        }
    }

    pub fn get(&self, list: &str, name: &str) -> Option<&'a Element> {
        match &self.in_place {
            Some(_) if !INDEXED_LISTS.contains(&list) => None,
            Some(holders) => holders
                .iter()
                .find_map(|h| h.child(list).and_then(|l| l.entry("entry", name))),
            None => self.lists.get(list).and_then(|m| m.get(name)).copied(),
        }
    }

    /// Every object of one list (order unspecified).
    pub fn all(&self, list: &str) -> Vec<&'a Element> {
        if let Some(holders) = self
            .in_place
            .as_ref()
            .filter(|_| INDEXED_LISTS.contains(&list))
        {
            let mut by_name: HashMap<&str, &Element> = HashMap::new();
            for holder in holders.iter().rev() {
                for e in holder
                    .child(list)
                    .into_iter()
                    .flat_map(|l| l.children_named("entry"))
                {
                    if let Some(n) = e.entry_name() {
                        by_name.insert(n, e);
                    }
                }
            }
            return by_name.into_values().collect();
        }
        self.lists
            .get(list)
            .map(|m| m.values().copied().collect())
            .unwrap_or_default()
    }

    pub fn has(&self, list: &str, name: &str) -> bool {
        self.get(list, name).is_some()
    }
}

/// A firewall's own vsys entry `/config/devices/entry/vsys/entry[@name=vsys]`.
pub fn local_vsys<'a>(root: &'a Element, vsys: &str) -> Option<&'a Element> {
    root.child("devices")?
        .children_named("entry")
        .next()?
        .child("vsys")?
        .entry("entry", vsys)
}

/// `vsys -> vsys1 -> rulebase -> security -> rules -> r1`: how PAN-OS names a node in messages.
pub fn display_path(root: &Element, path: &[usize]) -> String {
    let names = describe_path(root, path);
    let mut parts: Vec<String> = Vec::new();
    let mut i = 1; // skip <config>
    if names.get(1).map(|n| n.0.as_str()) == Some("devices") && names.get(2).is_some() {
        i = 3; // skip devices -> localhost.localdomain
    }
    for (tag, name) in names.iter().skip(i) {
        match (tag.as_str(), name) {
            ("entry", Some(n)) => parts.push(n.clone()),
            _ => parts.push(tag.clone()),
        }
    }
    parts.join(" -> ")
}

/// Every object entry path of `kind` in the tree, in document order.
pub fn all_objects(root: &Element, kind: ObjectKind) -> Vec<NodePath> {
    let mut out = Vec::new();
    collect_objects(root, root, &mut Vec::new(), kind, &mut out);
    out
}

fn collect_objects(
    root: &Element,
    node: &Element,
    at: &mut NodePath,
    kind: ObjectKind,
    out: &mut Vec<NodePath>,
) {
    for (i, child) in node.children.iter().enumerate() {
        at.push(i);
        if child.name == "entry" && node.name == kind.list_name() {
            if kind_at(root, at) == Some(kind) {
                out.push(at.clone());
            }
        } else if descend_for_objects(child, kind) {
            collect_objects(root, child, at, kind, out);
        }
        at.pop();
    }
}

/// Subtrees that can contain objects; skips bulky leaves such as rule bodies.
fn descend_for_objects(el: &Element, kind: ObjectKind) -> bool {
    let skip_rules = kind != ObjectKind::SecurityRule && el.name == "rulebase";
    !skip_rules
        && !matches!(
            el.name.as_str(),
            "mgt-config" | "network" | "deviceconfig" | "profiles" | "log-settings"
        )
}
