//! What a Panorama push puts on a firewall, and what the firewall checks before taking it.
//!
//! Layout on the firewall (one choice, kept everywhere; a real firewall's merged configuration
//! has the same `/config/panorama` shape [code: pan-os-python `xpath_panorama`; dev: §4 of
//! panos-xml-api.md for the rulebases]):
//! - `/config/panorama/vsys/entry[@name='vsys1']/pre-rulebase/security/rules`: shared pre-rules,
//!   then the device group's pre-rules;
//! - `/config/panorama/vsys/entry[@name='vsys1']/post-rulebase/security/rules`: the device
//!   group's post-rules, then shared post-rules;
//! - `/config/panorama/vsys/entry[@name='vsys1']/{address,address-group,service,service-group,
//!   tag,profile-group}`: the device group's objects;
//! - `/config/panorama/shared/{…same lists…}`: Panorama's shared objects.
//!
//! A rule with `<target><devices>` goes only to the listed serials (`<negate>yes</negate>`: to
//! every other one). Names resolve on the firewall local vsys first, then pushed device-group
//! objects, then local shared, then pushed shared ([`crate::objects::ObjectIndex::for_vsys`]).
//! The only check the firewall makes here is the one Panorama cannot: zones, which live in
//! templates, must exist in the firewall's vsys (panos-xml-api.md §4, §9).
//!
//! This module must never change a tree it is not given, nor decide timing or results.

use crate::objects::local_vsys;
use crate::xml::Element;

/// The object lists a push carries.
pub const PUSHED_LISTS: &[&str] = &[
    "address",
    "address-group",
    "service",
    "service-group",
    "tag",
    "profile-group",
];

/// The vsys pushed policy lands in.
pub const PUSH_VSYS: &str = "vsys1";

/// Panorama's device group `name` in `root` (candidate or running).
pub fn device_group<'a>(root: &'a Element, name: &str) -> Option<&'a Element> {
    root.child("devices")?
        .children_named("entry")
        .next()?
        .child("device-group")?
        .entry("entry", name)
}

fn rules<'a>(holder: Option<&'a Element>, base: &str) -> Vec<&'a Element> {
    holder
        .and_then(|h| h.descend(&[base, "security", "rules"]))
        .map(|r| r.children_named("entry").collect())
        .unwrap_or_default()
}

/// Whether a rule's `<target>` sends it to `serial`.
fn targets(rule: &Element, serial: &str) -> bool {
    let Some(target) = rule.child("target") else {
        return true;
    };
    let listed: Vec<&str> = target
        .child("devices")
        .map(|d| {
            d.children_named("entry")
                .filter_map(|e| e.entry_name())
                .collect()
        })
        .unwrap_or_default();
    if listed.is_empty() {
        return true;
    }
    let named = listed.contains(&serial);
    if target.child_text("negate") == Some("yes") {
        !named
    } else {
        named
    }
}

fn rulebase(base: &str, rules: Vec<&Element>, serial: &str) -> Element {
    let mut list = Element::new("rules");
    for r in rules.into_iter().filter(|r| targets(r, serial)) {
        list.push(r.clone());
    }
    Element::new(base).with_child(Element::new("security").with_child(list))
}

fn copy_lists(from: Option<&Element>, into: &mut Element) {
    for list in PUSHED_LISTS {
        if let Some(l) = from.and_then(|f| f.child(list)) {
            into.push(l.clone());
        }
    }
}

/// The `<panorama>` element Panorama's configuration `root` pushes to the firewall `serial` of
/// device group `dg`; `None` if the device group does not exist in `root`.
pub fn pushed_config(root: &Element, dg: &str, serial: &str) -> Option<Element> {
    let group = device_group(root, dg)?;
    let shared = root.child("shared");
    let mut pre = rules(shared, "pre-rulebase");
    pre.extend(rules(Some(group), "pre-rulebase"));
    let mut post = rules(Some(group), "post-rulebase");
    post.extend(rules(shared, "post-rulebase"));
    let mut vsys = Element::named("entry", PUSH_VSYS);
    copy_lists(Some(group), &mut vsys);
    vsys.push(rulebase("pre-rulebase", pre, serial));
    vsys.push(rulebase("post-rulebase", post, serial));
    let mut pushed_shared = Element::new("shared");
    copy_lists(shared, &mut pushed_shared);
    Some(
        Element::new("panorama")
            .with_child(pushed_shared)
            .with_child(Element::new("vsys").with_child(vsys)),
    )
}

/// Why the firewall whose running configuration is `device` refuses `pushed`: one
/// ` vsys -> vsys1 -> pre-rulebase -> security -> rules -> R -> from 'z' is not a valid
/// reference` line per unknown zone and ` … -> from is invalid` per field [? wording, in the
/// grammar of set-time errors]. Empty: the push is acceptable.
pub fn zone_problems(device: &Element, pushed: &Element) -> Vec<String> {
    let zones = local_vsys(device, PUSH_VSYS).and_then(|v| v.child("zone"));
    let known = |z: &str| z == "any" || zones.is_some_and(|l| l.entry("entry", z).is_some());
    let vsys = pushed
        .child("vsys")
        .and_then(|v| v.entry("entry", PUSH_VSYS));
    let mut lines = Vec::new();
    for base in ["pre-rulebase", "post-rulebase"] {
        for rule in rules(vsys, base) {
            let name = rule.entry_name().unwrap_or_default();
            let label = format!(" vsys -> {PUSH_VSYS} -> {base} -> security -> rules -> {name}");
            for field in ["from", "to"] {
                let bad: Vec<&str> = rule
                    .members(field)
                    .into_iter()
                    .filter(|z| !known(z))
                    .collect();
                for z in &bad {
                    lines.push(format!("{label} -> {field} '{z}' is not a valid reference"));
                }
                if !bad.is_empty() {
                    lines.push(format!("{label} -> {field} is invalid"));
                }
            }
        }
    }
    lines
}

/// `root` with its `<panorama>` child replaced by `pushed` (appended if absent).
pub fn with_pushed(root: &Element, pushed: &Element) -> Element {
    let mut out = root.clone();
    match out.position(|c| c.name == "panorama") {
        Some(i) => *out.child_mut(i) = pushed.clone(),
        None => out.push(pushed.clone()),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_negate_and_lists() {
        let rule = Element::parse(
            "<entry name='r'><target><devices><entry name='A'/></devices><negate>yes</negate></target></entry>",
        )
        .expect("xml");
        assert!(!targets(&rule, "A"));
        assert!(targets(&rule, "B"));
        let plain = Element::parse("<entry name='r'/>").expect("xml");
        assert!(targets(&plain, "A"));
    }
}
