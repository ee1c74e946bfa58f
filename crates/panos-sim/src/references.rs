//! Who refers to an object by name. A device refuses to delete an object that anything else in
//! its scope still names (code 10, one line per referring field), and renaming an object rewrites
//! those references; both need the same answer to "who names this object?".
//!
//! What counts as a reference (modelled on PAN-OS's schema; field lists marked [?] are inferred
//! from the config schema, not from a device capture):
//! - address, address-group, external-list: `source`, `destination` and `translated-address`
//!   (NAT source and destination translation) in any rulebase; `static` of address groups.
//! - service, service-group: `service` in any rulebase (security, NAT's leaf `<service>`, PBF,
//!   decryption, QoS, …); `members` of service groups.
//! - application, application-group, application-filter: `application` in any rulebase;
//!   `members` of application groups. [?]
//! - tag: `tag` and `group-tag` anywhere in the scope (rules of every rulebase and objects).
//! - zone: `from`, `to` and `zone` (PBF `from/zone`) in any rulebase.
//! - profile-group: `profile-setting/group` in any rulebase. schedule: `schedule`. [?]
//!
//! Scope: an object in a vsys (or device group) is referenced only from inside that vsys; an
//! object in `shared` from shared itself and from every vsys/device group that does not define
//! its own object of that name (a local object hides the shared one). Cost: one walk of the
//! scope per checked object, nothing for deletes of rules or fields.
//!
//! This module must never change a tree except to rewrite references on rename, and never
//! decide whether a write is allowed beyond reporting referrers.

use crate::objects::display_path;
use crate::xml::Element;
use crate::xpath::{NodePath, describe_path, node_at, node_at_mut};

/// A field that names the target: the path of the element holding the name (the leaf itself,
/// or the element whose `<member>` child holds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    pub field: NodePath,
}

/// The lists whose names collide with the target's (one namespace per group).
fn namespace(list: &str) -> &'static [&'static str] {
    match list {
        "address" | "address-group" | "external-list" => {
            &["address", "address-group", "external-list"]
        }
        "service" | "service-group" => &["service", "service-group"],
        "application" | "application-group" | "application-filter" => {
            &["application", "application-group", "application-filter"]
        }
        "tag" => &["tag"],
        "zone" => &["zone"],
        "profile-group" => &["profile-group"],
        "schedule" => &["schedule"],
        _ => &[],
    }
}

/// A referenceable object: its list and name, and the index path of the scope node holding it.
#[derive(Debug, Clone)]
struct Target<'a> {
    list: &'static str,
    name: &'a str,
    scope: NodePath,
    shared: bool,
}

fn target_of<'a>(root: &'a Element, path: &[usize]) -> Option<Target<'a>> {
    let obj = node_at(root, path)?;
    let name = obj.entry_name()?;
    let names = describe_path(root, path);
    let n = names.len();
    if n < 3 || names[n - 1].0 != "entry" {
        return None;
    }
    let list = *namespace(&names[n - 2].0)
        .iter()
        .find(|l| **l == names[n - 2].0)?;
    let grand = &names[n - 3].0;
    let shared = grand == "shared" && n == 4;
    let in_scope = shared
        || (grand == "entry"
            && n >= 4
            && matches!(names[n - 4].0.as_str(), "vsys" | "device-group"));
    if !in_scope {
        return None;
    }
    Some(Target {
        list,
        name,
        scope: path[..path.len() - 2].to_vec(),
        shared,
    })
}

fn is_rulebase(top: &str) -> bool {
    top.ends_with("rulebase")
}

/// Whether the field `chain` (element names from the scope's child down to the field) can
/// name an object of `list`.
fn field_refers(list: &str, chain: &[&str]) -> bool {
    let (Some(top), Some(field)) = (chain.first().copied(), chain.last().copied()) else {
        return false;
    };
    let parent = chain.len().checked_sub(2).map(|i| chain[i]).unwrap_or("");
    match list {
        "address" | "address-group" | "external-list" => {
            (is_rulebase(top) && matches!(field, "source" | "destination" | "translated-address"))
                || (top == "address-group" && field == "static")
        }
        "service" | "service-group" => {
            (is_rulebase(top) && field == "service")
                || (top == "service-group" && field == "members")
        }
        "application" | "application-group" | "application-filter" => {
            (is_rulebase(top) && field == "application")
                || (top == "application-group" && field == "members")
        }
        "tag" => matches!(field, "tag" | "group-tag"),
        "zone" => is_rulebase(top) && matches!(field, "from" | "to" | "zone"),
        "profile-group" => is_rulebase(top) && field == "group" && parent == "profile-setting",
        "schedule" => is_rulebase(top) && field == "schedule",
        _ => false,
    }
}

/// The scopes a target can be referenced from, as index paths.
fn referring_scopes(root: &Element, t: &Target<'_>) -> Vec<NodePath> {
    if !t.shared {
        return vec![t.scope.clone()];
    }
    let mut scopes = vec![t.scope.clone()];
    let hides = |scope: &Element| {
        namespace(t.list).iter().any(|l| {
            scope
                .child(l)
                .is_some_and(|c| c.entry("entry", t.name).is_some())
        })
    };
    // vsys under /config/devices/entry/vsys, device groups under …/device-group.
    for (d, dev) in root.children.iter().enumerate() {
        if dev.name != "devices" {
            continue;
        }
        for (e, entry) in dev.children.iter().enumerate() {
            for (h, holder) in entry.children.iter().enumerate() {
                if !matches!(holder.name.as_str(), "vsys" | "device-group") {
                    continue;
                }
                for (s, scope) in holder.children.iter().enumerate() {
                    if scope.name == "entry" && !hides(scope) {
                        scopes.push(vec![d, e, h, s]);
                    }
                }
            }
        }
    }
    scopes
}

/// Every field that names the object at `target`, in document order (empty if `target` is no
/// referenceable object). Fields inside any of `excluded` (the object itself, or everything a
/// delete removes) do not count.
pub fn referrers(root: &Element, target: &[usize], excluded: &[NodePath]) -> Vec<Referrer> {
    let Some(t) = target_of(root, target) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for scope_path in referring_scopes(root, &t) {
        let Some(scope) = node_at(root, &scope_path) else {
            continue;
        };
        let mut at = scope_path.clone();
        let mut chain = Vec::new();
        walk(scope, &mut at, &mut chain, &t, excluded, target, &mut out);
    }
    out
}

fn walk<'a>(
    node: &'a Element,
    at: &mut NodePath,
    chain: &mut Vec<&'a str>,
    t: &Target<'_>,
    excluded: &[NodePath],
    target: &[usize],
    out: &mut Vec<Referrer>,
) {
    for (i, child) in node.children.iter().enumerate() {
        if child.children.is_empty() {
            // Leaves (the hot path): only a text equal to the name can be a reference.
            if child.text != t.name {
                continue;
            }
            let field_of_member = child.name == "member";
            if !field_of_member {
                chain.push(child.name.as_str());
            }
            if field_refers(t.list, chain) {
                let mut field = at.clone();
                if !field_of_member {
                    field.push(i);
                }
                push_once(out, field);
            }
            if !field_of_member {
                chain.pop();
            }
            continue;
        }
        at.push(i);
        let skip =
            at.as_slice() == target || excluded.iter().any(|e| e.as_slice() == at.as_slice());
        chain.push(child.name.as_str());
        // A member list that cannot name the target is not worth reading.
        let member_list = child.children[0].name == "member";
        if !skip && (!member_list || field_refers(t.list, chain)) {
            walk(child, at, chain, t, excluded, target, out);
        }
        chain.pop();
        at.pop();
    }
}

/// A field with several members naming the target is one referrer.
fn push_once(out: &mut Vec<Referrer>, field: NodePath) {
    if out.last().is_none_or(|r| r.field != field) {
        out.push(Referrer { field });
    }
}

/// The code 10 message lines for a refused delete.
pub fn reference_lines(root: &Element, name: &str, refs: &[Referrer]) -> Vec<String> {
    let mut lines = vec![format!(
        "{name} cannot be deleted because of references from:"
    )];
    for r in refs {
        lines.push(format!(" {}", display_path(root, &r.field)));
    }
    lines
}

/// Rewrites every reference from `old` to `new` (after the object itself was renamed).
pub fn rename_references(root: &mut Element, refs: &[Referrer], old: &str, new: &str) {
    for r in refs {
        let Some(node) = node_at_mut(root, &r.field) else {
            continue;
        };
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
