//! Platform capacity checked at commit: a configuration may hold at most `--max-rules` security
//! rules (PAN's "Maximum Limits Based on Memory" tiers: 1,500 / 10,000 / 20,000 / 65,000 on
//! VM-Series [doc]). The device counts every security rule it would enforce, across vsys; so
//! does the simulator. The failure text is the simulator's choice [?].
//!
//! This module must never change a tree.

use crate::objects::{ObjectKind, all_objects};
use crate::xml::Element;

/// Commit-time lines when `root` holds more security rules than `max_rules`.
pub fn rule_capacity_problems(root: &Element, max_rules: Option<usize>) -> Vec<String> {
    let Some(max) = max_rules else {
        return Vec::new();
    };
    let count = all_objects(root, ObjectKind::SecurityRule).len();
    if count <= max {
        return Vec::new();
    }
    vec![format!(
        " rulebase -> security -> rules: {count} security rules exceed the maximum of {max} supported by this platform (max-rules)"
    )]
}
