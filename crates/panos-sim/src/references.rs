//! Who refers to an object: rules and groups naming an address, service, tag, zone or profile
//! group. Deleting a referenced object is refused (code 10, one line per referrer), and renaming
//! an object rewrites the references, as PAN-OS does.
//!
//! This module must never decide whether a delete is allowed beyond reporting referrers.

use crate::objects::{ObjectKind, all_objects, display_path, kind_at, scope_of};
use crate::xml::Element;
use crate::xpath::{NodePath, node_at, node_at_mut};

/// A field of a referring object that names the target: object path + field chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    pub object: NodePath,
    pub field: &'static [&'static str],
}

/// The (referring kind, field chain) pairs that can name an object of `kind`.
fn referring_fields(kind: ObjectKind) -> &'static [(ObjectKind, &'static [&'static str])] {
    use ObjectKind::*;
    match kind {
        Address | AddressGroup => &[
            (SecurityRule, &["source"]),
            (SecurityRule, &["destination"]),
            (AddressGroup, &["static"]),
        ],
        Service | ServiceGroup => &[(SecurityRule, &["service"]), (ServiceGroup, &["members"])],
        Tag => &[
            (SecurityRule, &["tag"]),
            (SecurityRule, &["group-tag"]),
            (Address, &["tag"]),
            (AddressGroup, &["tag"]),
            (Service, &["tag"]),
            (ServiceGroup, &["tag"]),
        ],
        Zone => &[(SecurityRule, &["from"]), (SecurityRule, &["to"])],
        ProfileGroup => &[(SecurityRule, &["profile-setting", "group"])],
        SecurityRule => &[],
    }
}

fn names_target(obj: &Element, field: &[&str], name: &str) -> bool {
    let Some(node) = obj.descend(field) else {
        return false;
    };
    if node.children.is_empty() {
        return node.text == name;
    }
    node.children_named("member").any(|m| m.text == name)
}

/// Every field that refers to the object at `target` (empty if it is no object).
pub fn referrers(root: &Element, target: &[usize]) -> Vec<Referrer> {
    let (Some(kind), Some(obj), Some(scope)) = (
        kind_at(root, target),
        node_at(root, target),
        scope_of(root, target),
    ) else {
        return Vec::new();
    };
    let Some(name) = obj.entry_name() else {
        return Vec::new();
    };
    let shared_target = root.name == "config"
        && target.len() >= 2
        && root
            .children
            .get(target[0])
            .is_some_and(|c| c.name == "shared");
    let mut out = Vec::new();
    let mut by_kind: Vec<(ObjectKind, Vec<NodePath>)> = Vec::new();
    for (ref_kind, field) in referring_fields(kind) {
        if !by_kind.iter().any(|(k, _)| k == ref_kind) {
            by_kind.push((*ref_kind, all_objects(root, *ref_kind)));
        }
        let Some((_, candidates)) = by_kind.iter().find(|(k, _)| k == ref_kind) else {
            continue;
        };
        for cand in candidates {
            if cand.as_slice() == target {
                continue;
            }
            let same_scope =
                shared_target || scope_of(root, cand).is_some_and(|s| s.path == scope.path);
            if same_scope && node_at(root, cand).is_some_and(|o| names_target(o, field, name)) {
                out.push(Referrer {
                    object: cand.clone(),
                    field,
                });
            }
        }
    }
    out.sort_by(|a, b| a.object.cmp(&b.object));
    out
}

/// The code 10 message lines for a refused delete.
pub fn reference_lines(root: &Element, name: &str, refs: &[Referrer]) -> Vec<String> {
    let mut lines = vec![format!(
        "{name} cannot be deleted because of references from:"
    )];
    for r in refs {
        lines.push(format!(
            " {} -> {}",
            display_path(root, &r.object),
            r.field.join(" -> ")
        ));
    }
    lines
}

/// Rewrites every reference from `old` to `new` (after the object itself was renamed).
pub fn rename_references(root: &mut Element, refs: &[Referrer], old: &str, new: &str) {
    for r in refs {
        let Some(obj) = node_at_mut(root, &r.object) else {
            continue;
        };
        let mut node = obj;
        let mut found = true;
        for step in r.field {
            match node.position(|c| c.name == *step) {
                Some(i) => node = node.child_mut(i),
                None => {
                    found = false;
                    break;
                }
            }
        }
        if !found {
            continue;
        }
        if node.children.is_empty() {
            if node.text == old {
                node.text = new.to_string();
            }
            continue;
        }
        for i in 0..node.children.len() {
            if node.children[i].name == "member" && node.children[i].text == old {
                node.child_mut(i).text = new.to_string();
            }
        }
    }
}
