//! The structural semantics of `type=config` writes on one configuration tree: `set` merges and
//! creates intermediates, `edit` replaces or creates, `delete`, `move`, `rename`, `clone`.
//!
//! These functions only reshape the tree. They must never validate values, check references or
//! locks, or record who changed what: the config store layers that on top.

use std::sync::Arc;

use crate::failure::{ApiFailure, code};
use crate::known_entries::{Found, KnownEntries};
use crate::xml::Element;
use crate::xpath::{LocationPath, NodePath, Step, node_at, node_at_mut};

/// Makes a uuid for a new security (or other policy) rule.
pub type UuidSource<'a> = &'a mut dyn FnMut() -> String;

/// Where `move` puts an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveWhere {
    Top,
    Bottom,
    Before(String),
    After(String),
}

impl MoveWhere {
    pub fn parse(where_: &str, dst: Option<&str>) -> Result<MoveWhere, ApiFailure> {
        let need_dst = || {
            dst.filter(|d| !d.is_empty())
                .map(str::to_string)
                .ok_or_else(|| ApiFailure::malformed(format!("move {where_} requires dst")))
        };
        match where_ {
            "top" => Ok(MoveWhere::Top),
            "bottom" => Ok(MoveWhere::Bottom),
            "before" => Ok(MoveWhere::Before(need_dst()?)),
            "after" => Ok(MoveWhere::After(need_dst()?)),
            other => Err(ApiFailure::malformed(format!(
                "'{other}' is not a valid value for where"
            ))),
        }
    }
}

/// Entries directly under a `rules` list get a device-assigned uuid (PAN-OS 9.0+).
pub fn assign_missing_uuids(el: &mut Element, parent_name: &str, uuids: UuidSource<'_>) {
    if parent_name == "rules" && el.name == "entry" && el.attr("uuid").is_none() {
        el.set_attr("uuid", uuids());
    }
    let name = el.name.clone();
    for child in &mut el.children {
        assign_missing_uuids(Arc::make_mut(child), &name, uuids);
    }
}

/// Finds the node at `path`, creating missing steps that are plain names or `entry[@name='x']`.
pub fn resolve_or_create(
    root: &mut Element,
    path: &LocationPath,
    uuids: UuidSource<'_>,
) -> Result<NodePath, ApiFailure> {
    let Some((first, rest)) = path.steps.split_first() else {
        return Err(ApiFailure::bad_xpath("empty path"));
    };
    if !first.matches(root) {
        return Err(ApiFailure::bad_xpath(format!(
            "root must be /{}",
            root.name
        )));
    }
    let mut at: NodePath = Vec::new();
    for step in rest {
        let node = node_at_mut(root, &at).ok_or_else(|| ApiFailure::bad_xpath("path vanished"))?;
        let hits = step.select(node);
        let index = match hits.as_slice() {
            [one] => *one,
            [] => {
                let mut created = new_node_for(step)?;
                assign_missing_uuids(&mut created, &node.name.clone(), uuids);
                node.push(created);
                node.children.len() - 1
            }
            _ => {
                return Err(ApiFailure::new(
                    code::OBJECT_NOT_UNIQUE,
                    format!("{} selects more than one node", step.name),
                ));
            }
        };
        at.push(index);
    }
    Ok(at)
}

fn new_node_for(step: &Step) -> Result<Element, ApiFailure> {
    if step.any_of.is_empty() && step.name != "*" {
        return Ok(Element::new(step.name.clone()));
    }
    match step.exact_name() {
        Some(name) => Ok(Element::named(step.name.clone(), name)),
        None => Err(ApiFailure::new(
            code::OBJECT_NOT_PRESENT,
            format!("cannot create {} from its predicate", step.name),
        )),
    }
}

/// `set`: merge `elements` into the node at `path` (created if missing). Returns that node's path.
/// `known` spares the scan of the list for each entry.
pub fn set(
    root: &mut Element,
    path: &LocationPath,
    elements: &[Element],
    uuids: UuidSource<'_>,
    known: &mut KnownEntries,
) -> Result<NodePath, ApiFailure> {
    let target = resolve_or_create(root, path, uuids)?;
    let node = node_at_mut(root, &target).ok_or_else(|| ApiFailure::bad_xpath("path vanished"))?;
    let entries = known.for_set_into(&target, node);
    for el in elements {
        match el.entry_name().filter(|_| el.name == "entry") {
            Some(name) => match entries.find(node, name) {
                Found::At(i) => merge_into(node.child_mut(i), el, uuids),
                Found::Absent => {
                    entries.record(name, node.children.len());
                    append_new(node, el, uuids);
                }
                Found::Unsure => {
                    merge_child(node, el, uuids);
                    if let Some(i) = node.entry_index("entry", name) {
                        entries.record(name, i);
                    }
                }
            },
            _ => merge_child(node, el, uuids),
        }
    }
    Ok(target)
}

/// The child of `parent` that `incoming` corresponds to: same tag and name for entries, same
/// text for members, same tag otherwise.
fn counterpart(parent: &Element, incoming: &Element) -> Option<usize> {
    match (incoming.entry_name(), incoming.name.as_str()) {
        (Some(name), _) => parent.entry_index(&incoming.name, name),
        (None, "member") => parent.position(|c| c.name == "member" && c.text == incoming.text),
        (None, _) => parent.position(|c| c.name == incoming.name && c.entry_name().is_none()),
    }
}

fn append_new(parent: &mut Element, incoming: &Element, uuids: UuidSource<'_>) {
    let mut fresh = incoming.clone();
    assign_missing_uuids(&mut fresh, &parent.name.clone(), uuids);
    parent.push(fresh);
}

fn merge_child(parent: &mut Element, incoming: &Element, uuids: UuidSource<'_>) {
    match counterpart(parent, incoming) {
        None => append_new(parent, incoming, uuids),
        Some(i) => merge_into(parent.child_mut(i), incoming, uuids),
    }
}

fn merge_into(existing: &mut Element, incoming: &Element, uuids: UuidSource<'_>) {
    for (k, v) in &incoming.attrs {
        // A rule keeps the uuid it was created with.
        if k != "uuid" || existing.attr("uuid").is_none() {
            existing.set_attr(k, v.clone());
        }
    }
    if !incoming.text.is_empty() || (incoming.children.is_empty() && !existing.text.is_empty()) {
        existing.text = incoming.text.clone();
        existing.children.clear();
    }
    for child in &incoming.children {
        merge_child(existing, child, uuids);
    }
}

/// `edit`: replace the node at `path` with `element` (or create it under its existing-or-new
/// parent). The element's tag, and its name for entries, must match the last step.
pub fn edit(
    root: &mut Element,
    path: &LocationPath,
    element: &Element,
    uuids: UuidSource<'_>,
) -> Result<NodePath, ApiFailure> {
    let last = path.last();
    let mut element = element.clone();
    if element.name != last.name {
        return Err(ApiFailure::invalid(vec![format!(
            " edit breaks config validity: element <{}> does not match xpath node <{}>",
            element.name, last.name
        )]));
    }
    if let Some(name) = last.exact_name() {
        match element.entry_name() {
            Some(n) if n != name => {
                return Err(ApiFailure::invalid(vec![format!(
                    " edit breaks config validity: entry name '{n}' does not match xpath name '{name}'"
                )]));
            }
            Some(_) => {}
            None => element.set_attr("name", name),
        }
    }
    let Some(parent_path) = path.parent() else {
        return Err(ApiFailure::bad_xpath("cannot edit the root"));
    };
    let parent_at = resolve_or_create(root, &parent_path, uuids)?;
    let parent =
        node_at_mut(root, &parent_at).ok_or_else(|| ApiFailure::bad_xpath("path vanished"))?;
    let parent_name = parent.name.clone();
    let hits = last.select(parent);
    let index = match hits.as_slice() {
        [] => {
            assign_missing_uuids(&mut element, &parent_name, uuids);
            parent.push(element);
            parent.children.len() - 1
        }
        [one] => {
            let old_uuid = parent.children[*one].attr("uuid").map(str::to_string);
            match old_uuid {
                Some(u) => element.set_attr("uuid", u),
                None => assign_missing_uuids(&mut element, &parent_name, uuids),
            }
            for child in &mut element.children {
                assign_missing_uuids(Arc::make_mut(child), &last.name, uuids);
            }
            parent.children[*one] = Arc::new(element);
            *one
        }
        _ => {
            return Err(ApiFailure::new(
                code::OBJECT_NOT_UNIQUE,
                "edit target is not unique".to_string(),
            ));
        }
    };
    let mut at = parent_at;
    at.push(index);
    Ok(at)
}

/// `delete`: removes every node in `targets` (paths from one selection). Deepest/latest first so
/// earlier indices stay valid.
pub fn delete(root: &mut Element, mut targets: Vec<NodePath>) {
    targets.sort();
    for path in targets.into_iter().rev() {
        let Some((&index, parent_path)) = path.split_last() else {
            continue;
        };
        if let Some(parent) = node_at_mut(root, parent_path)
            && index < parent.children.len()
        {
            parent.children.remove(index);
        }
    }
}

/// `move`: reorders one entry among its same-tag siblings.
pub fn move_entry(
    root: &mut Element,
    target: &[usize],
    whereto: &MoveWhere,
) -> Result<(), ApiFailure> {
    let (&index, parent_path) = target
        .split_last()
        .ok_or_else(|| ApiFailure::bad_xpath("cannot move the root"))?;
    let parent =
        node_at_mut(root, parent_path).ok_or_else(|| ApiFailure::bad_xpath("path vanished"))?;
    let tag = parent.children[index].name.clone();
    let name = parent.children[index]
        .entry_name()
        .unwrap_or_default()
        .to_string();
    // Searched from the end: a rule just appended moves above a bottom rule next to it, and
    // entry names are unique, so the result is the same as a forward scan.
    let sibling_named = |dst: &str| -> Result<usize, ApiFailure> {
        if dst == name {
            return Err(ApiFailure::invalid(vec![format!(
                " {name} cannot be moved relative to itself"
            )]));
        }
        parent
            .children
            .iter()
            .rposition(|c| c.name == tag && c.entry_name() == Some(dst))
            .ok_or_else(|| ApiFailure::invalid(vec![format!(" {dst} does not exist")]))
    };
    let first = parent.position(|c| c.name == tag).unwrap_or(index);
    let last = parent
        .children
        .iter()
        .rposition(|c| c.name == tag)
        .unwrap_or(index);
    let insert_at = match whereto {
        MoveWhere::Top if index == first => {
            return Err(ApiFailure::uncoded(format!("{name} is already at the top")));
        }
        MoveWhere::Bottom if index == last => {
            return Err(ApiFailure::uncoded(format!(
                "{name} is already at the bottom"
            )));
        }
        MoveWhere::Top => first,
        MoveWhere::Bottom => last + 1,
        MoveWhere::Before(dst) => sibling_named(dst)?,
        MoveWhere::After(dst) => sibling_named(dst)? + 1,
    };
    let node = parent.children.remove(index);
    let insert_at = if insert_at > index {
        insert_at - 1
    } else {
        insert_at
    };
    parent.children.insert(insert_at, node);
    Ok(())
}

/// `rename`: changes an entry's name in place (position and uuid kept).
pub fn rename(root: &mut Element, target: &[usize], new_name: &str) -> Result<(), ApiFailure> {
    let (&index, parent_path) = target
        .split_last()
        .ok_or_else(|| ApiFailure::bad_xpath("cannot rename the root"))?;
    let parent =
        node_at_mut(root, parent_path).ok_or_else(|| ApiFailure::bad_xpath("path vanished"))?;
    let tag = parent.children[index].name.clone();
    if parent.entry(&tag, new_name).is_some() {
        return Err(ApiFailure::invalid(vec![format!(
            " {new_name} already exists"
        )]));
    }
    parent.child_mut(index).set_attr("name", new_name);
    Ok(())
}

/// `clone`: copies the entry at `source` into the container at `container` under `new_name`,
/// with a fresh uuid. A copy into the same list lands right after its source.
pub fn clone_entry(
    root: &mut Element,
    container: &[usize],
    source: &[usize],
    new_name: &str,
    uuids: UuidSource<'_>,
) -> Result<NodePath, ApiFailure> {
    let original = node_at(root, source)
        .ok_or_else(|| ApiFailure::new(code::OBJECT_NOT_PRESENT, "clone source does not exist"))?
        .clone();
    let parent =
        node_at_mut(root, container).ok_or_else(|| ApiFailure::bad_xpath("path vanished"))?;
    if parent.entry(&original.name, new_name).is_some() {
        return Err(ApiFailure::invalid(vec![format!(
            " {new_name} already exists"
        )]));
    }
    let mut copy = original;
    copy.set_attr("name", new_name);
    copy.remove_attr("uuid");
    let parent_name = parent.name.clone();
    assign_missing_uuids(&mut copy, &parent_name, uuids);
    let same_list = source.len() == container.len() + 1 && source.starts_with(container);
    let index = if same_list {
        source[source.len() - 1] + 1
    } else {
        parent.children.len()
    };
    parent.children.insert(index, Arc::new(copy));
    let mut at = container.to_vec();
    at.push(index);
    Ok(at)
}
