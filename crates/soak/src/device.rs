//! What the soak reads from the simulated firewall to judge palosync: the operator's own
//! configuration (snapshotted at the start and compared after every run), palosync's managed
//! entries in candidate and running, and the rulebase's structural invariants (owned, placed,
//! unique). Reads go inside the simulator, never through its API, so no injected fault is
//! spent on the checker. Never writes.

use panos_sim::{Element, RunningSimulator};
use std::collections::BTreeMap;

/// The rule palosync's block sits directly above.
pub const BOTTOM_RULE: &str = "Clean up";

fn vsys(root: &Element) -> Option<&Element> {
    root.child("devices")
        .and_then(|d| d.children_named("entry").next())
        .and_then(|d| d.child("vsys"))
        .and_then(|v| v.entry("entry", "vsys1"))
}

fn tagged(entry: &Element, tag: &str) -> bool {
    entry.members("tag").contains(&tag)
}

/// Every `entry` under the vsys (objects, rules, zones, profiles), with its path, in document
/// order.
fn entries(root: &Element) -> Vec<(String, &Element)> {
    fn walk<'a>(node: &'a Element, path: String, out: &mut Vec<(String, &'a Element)>) {
        for child in &node.children {
            let name = child.name.as_str();
            let here = match child.entry_name() {
                Some(entry) => format!("{path}/{name}[{entry}]"),
                None => format!("{path}/{name}"),
            };
            if child.entry_name().is_some() {
                out.push((here.clone(), child));
            }
            // Entries inside an entry (a rule's members) are part of its XML, not separate.
            if child.entry_name().is_none() {
                walk(child, here, out);
            }
        }
    }
    let mut out = vec![];
    if let Some(vsys) = vsys(root) {
        walk(vsys, String::new(), &mut out);
    }
    out
}

/// The operator's entries (not carrying the managed tag), as (path, XML), in document order.
pub fn unmanaged(root: &Element, tag: &str) -> Vec<(String, String)> {
    entries(root)
        .into_iter()
        .filter(|(_, e)| !tagged(e, tag))
        .map(|(p, e)| (p, e.to_xml()))
        .collect()
}

/// palosync's entries (carrying the managed tag): path -> XML.
pub fn managed(root: &Element, tag: &str) -> BTreeMap<String, String> {
    entries(root)
        .into_iter()
        .filter(|(_, e)| tagged(e, tag))
        .map(|(p, e)| (p, e.to_xml()))
        .collect()
}

/// The operator's configuration as it was at the start, in both configurations.
#[derive(Debug, Clone)]
pub struct OperatorSnapshot {
    running: Vec<(String, String)>,
    candidate: Vec<(String, String)>,
}

impl OperatorSnapshot {
    pub fn take(sim: &RunningSimulator, tag: &str) -> Self {
        OperatorSnapshot {
            running: unmanaged(&sim.running_config(), tag),
            candidate: unmanaged(&sim.candidate_config(), tag),
        }
    }

    /// What changed about the snapshotted entries (edited, moved or deleted), if anything.
    pub fn differences(&self, sim: &RunningSimulator, tag: &str) -> Vec<String> {
        let mut out = vec![];
        for (side, before, root) in [
            ("running", &self.running, sim.running_config()),
            ("candidate", &self.candidate, sim.candidate_config()),
        ] {
            let now = unmanaged(&root, tag);
            let kept: Vec<&(String, String)> = now
                .iter()
                .filter(|(p, _)| before.iter().any(|(b, _)| b == p))
                .collect();
            for (path, xml) in before {
                match kept.iter().find(|(p, _)| p == path) {
                    None => out.push(format!("{side}: operator entry {path} deleted")),
                    Some((_, now)) if now != xml => out.push(format!(
                        "{side}: operator entry {path} edited: {xml} -> {now}"
                    )),
                    _ => {}
                }
            }
            let order_before: Vec<&String> = before.iter().map(|(p, _)| p).collect();
            let order_now: Vec<&String> = kept.iter().map(|(p, _)| p).collect();
            if order_before.len() == order_now.len() && order_before != order_now {
                out.push(format!("{side}: operator entries moved: {order_now:?}"));
            }
        }
        out
    }
}

/// Managed entries that differ between candidate and running (written, not committed).
pub fn uncommitted(sim: &RunningSimulator, tag: &str) -> Vec<String> {
    let running = managed(&sim.running_config(), tag);
    let candidate = managed(&sim.candidate_config(), tag);
    let mut out = vec![];
    for path in running.keys().chain(candidate.keys()) {
        if running.get(path) != candidate.get(path) && !out.contains(path) {
            out.push(path.clone());
        }
    }
    out
}

/// A managed name: `<instance-id>-<n>` or `<group-id>-<n>`, exactly.
pub fn is_owned_name(name: &str) -> bool {
    let Some((id, n)) = name.rsplit_once('-') else {
        return false;
    };
    let hex = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit());
    let id_ok = id
        .strip_prefix("i-")
        .or_else(|| id.strip_prefix("sg-"))
        .is_some_and(hex);
    id_ok && !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())
}

/// Owned, placed and unique, checked on the running rulebase; one line per breach.
pub fn structure(sim: &RunningSimulator, tag: &str) -> Vec<String> {
    let rules = sim.running_rules("vsys1");
    let names: Vec<&str> = rules.iter().filter_map(|r| r.entry_name()).collect();
    let mut out = vec![];
    let mut seen = std::collections::BTreeSet::new();
    for name in &names {
        if !seen.insert(*name) {
            out.push(format!("unique: rule name {name} appears twice"));
        }
    }
    let managed: Vec<usize> = (0..rules.len())
        .filter(|i| tagged(&rules[*i], tag))
        .collect();
    for i in &managed {
        if !is_owned_name(names[*i]) {
            out.push(format!(
                "owned: managed rule {} has a foreign name",
                names[*i]
            ));
        }
    }
    if let (Some(first), Some(bottom)) = (
        managed.first(),
        names.iter().position(|n| *n == BOTTOM_RULE),
    ) {
        let contiguous = managed.iter().enumerate().all(|(k, i)| *i == first + k);
        if !contiguous || first + managed.len() != bottom {
            out.push(format!(
                "placed: managed rules not directly above {BOTTOM_RULE}: {names:?}"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::is_owned_name;

    #[test]
    fn owned_names_are_exact() {
        assert!(is_owned_name("i-063f65da874007cb4-1"));
        assert!(is_owned_name("sg-0a9b7e3ea1d1d784f-12"));
        assert!(!is_owned_name("ops-bastion-ssh"));
        assert!(!is_owned_name("i-xyz-1"));
        assert!(!is_owned_name("sg-0a9b-"));
    }
}
