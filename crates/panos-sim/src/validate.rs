//! Device-style validation of configuration objects, as PAN-OS does it at `set`/`edit` time
//! (unknown elements, bad keywords, malformed addresses and ports, dangling references, name
//! lengths, names already in use) and at commit time (required fields, `negate` with `any`,
//! exactly one address type), producing PAN-OS style ` a -> b -> c …` message lines.
//!
//! Applications are not checked against an App-ID catalogue (the simulator has none); log
//! forwarding profiles, schedules and security profiles are accepted by name.
//! This module must never change a tree.

use std::collections::HashMap;

use crate::netaddr::parse_literal;
use crate::objects::{
    ObjectIndex, ObjectKind, ScopeRef, all_objects, display_path, kind_at, scope_of,
};
use crate::validate_objects as objects;
use crate::xml::Element;
use crate::xpath::{NodePath, node_at};

/// Whether the checks are the set-time ones or also the commit-time ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Set,
    Commit,
}

/// Services usable in rules without being defined.
pub const PREDEFINED_SERVICES: &[&str] = &["service-http", "service-https"];

const RULE_MEMBER_FIELDS: &[&str] = &[
    "to",
    "from",
    "source",
    "destination",
    "source-user",
    "category",
    "application",
    "service",
    "source-hip",
    "destination-hip",
    "hip-profiles",
    "tag",
    "source-imei",
    "source-imsi",
    "source-nw-slice",
];
const RULE_YES_NO_FIELDS: &[&str] = &[
    "icmp-unreachable",
    "log-start",
    "log-end",
    "negate-source",
    "negate-destination",
    "disabled",
];
const RULE_OTHER_FIELDS: &[&str] = &[
    "action",
    "group-tag",
    "description",
    "schedule",
    "profile-setting",
    "log-setting",
    "rule-type",
    "option",
    "qos",
    "target",
];
const ACTIONS: &[&str] = &[
    "allow",
    "deny",
    "drop",
    "reset-client",
    "reset-server",
    "reset-both",
];
const RULE_TYPES: &[&str] = &["universal", "intrazone", "interzone"];
const DESCRIPTION_MAX: usize = 1024;

/// Collects the message lines for one object.
pub(crate) struct Report {
    pub(crate) label: String,
    pub(crate) lines: Vec<String>,
}

impl Report {
    pub(crate) fn field(&mut self, field: &str, problem: String) {
        self.lines
            .push(format!(" {} -> {field} {problem}", self.label));
    }
    pub(crate) fn field_invalid(&mut self, field: &str) {
        self.lines
            .push(format!(" {} -> {field} is invalid", self.label));
    }
    pub(crate) fn unexpected(&mut self, child: &str) {
        self.lines.push(format!(" {child} unexpected here"));
    }
}

/// Checks one object entry at `path`. Returns PAN-OS message lines; empty means valid.
pub fn check_object(
    root: &Element,
    path: &[usize],
    index: &ObjectIndex<'_>,
    stage: Stage,
    sw_major: u32,
) -> Vec<String> {
    let (Some(kind), Some(entry), Some(scope)) = (
        kind_at(root, path),
        node_at(root, path),
        scope_of(root, path),
    ) else {
        return Vec::new();
    };
    let mut report = Report {
        label: display_path(root, path),
        lines: Vec::new(),
    };
    let name = entry.entry_name().unwrap_or_default();
    let max = kind.max_name_len();
    if name.chars().count() > max {
        report.lines.push(format!(
            " {} can be at most {max} characters, but current length: {}",
            report.label,
            name.chars().count()
        ));
    } else if !valid_name(name) {
        report
            .lines
            .push(format!(" {} '{name}' is not a valid name", report.label));
    }
    let ctx = Ctx {
        index,
        scope: &scope,
        stage,
        sw_major,
    };
    match kind {
        ObjectKind::SecurityRule => check_rule(entry, &ctx, &mut report),
        ObjectKind::Address => objects::check_address(entry, &ctx, &mut report),
        ObjectKind::AddressGroup => objects::check_address_group(entry, &ctx, &mut report),
        ObjectKind::Service => objects::check_service(entry, &ctx, &mut report),
        ObjectKind::ServiceGroup => objects::check_service_group(entry, &ctx, &mut report),
        ObjectKind::Tag => objects::check_tag(entry, &mut report),
        ObjectKind::Zone | ObjectKind::ProfileGroup => {}
    }
    if let Some(other) = name_clash_list(kind) {
        let local = node_at(root, &scope.path).and_then(|s| s.child(other));
        if local.is_some_and(|l| l.entry("entry", name).is_some()) {
            report
                .lines
                .push(format!(" {} '{name}' is already in use", report.label));
        }
    }
    if !report.lines.is_empty() {
        report.lines.push(format!(" {} is invalid", report.label));
    }
    report.lines
}

/// Address and address-group names share a namespace, as do services and service groups.
fn name_clash_list(kind: ObjectKind) -> Option<&'static str> {
    match kind {
        ObjectKind::Address => Some("address-group"),
        ObjectKind::AddressGroup => Some("address"),
        ObjectKind::Service => Some("service-group"),
        ObjectKind::ServiceGroup => Some("service"),
        _ => None,
    }
}

/// Letters, digits, space, `-`, `_`, `.`; starting with a letter, digit or `_`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphanumeric() || c == '_')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
}

pub(crate) struct Ctx<'a, 'b> {
    pub(crate) index: &'a ObjectIndex<'b>,
    pub(crate) scope: &'a ScopeRef,
    pub(crate) stage: Stage,
    pub(crate) sw_major: u32,
}

fn check_rule(rule: &Element, ctx: &Ctx<'_, '_>, r: &mut Report) {
    for child in rule.children.iter() {
        let n = child.name.as_str();
        let hip_ok = match n {
            "hip-profiles" => ctx.sw_major < 10,
            "source-hip" | "destination-hip" => ctx.sw_major >= 10,
            _ => true,
        };
        let known = RULE_MEMBER_FIELDS.contains(&n)
            || RULE_YES_NO_FIELDS.contains(&n)
            || RULE_OTHER_FIELDS.contains(&n);
        if !known || !hip_ok {
            r.unexpected(n);
            continue;
        }
        if RULE_MEMBER_FIELDS.contains(&n)
            && let Some(bad) = child.children.iter().find(|m| m.name != "member")
        {
            r.unexpected(&bad.name);
            continue;
        }
        if RULE_YES_NO_FIELDS.contains(&n) {
            keyword(r, n, &child.text, &["yes", "no"]);
        }
    }
    if let Some(action) = rule.child_text("action") {
        keyword(r, "action", action, ACTIONS);
    }
    if let Some(rt) = rule.child_text("rule-type") {
        keyword(r, "rule-type", rt, RULE_TYPES);
    }
    if rule
        .child_text("description")
        .is_some_and(|d| d.chars().count() > DESCRIPTION_MAX)
    {
        let len = rule
            .child_text("description")
            .map(|d| d.chars().count())
            .unwrap_or(0);
        r.field(
            "description",
            format!("can be at most {DESCRIPTION_MAX} characters, but current length: {len}"),
        );
    }
    if ctx.scope.is_vsys {
        for field in ["from", "to"] {
            refs(r, field, &rule.members(field), |z| {
                z == "any" || ctx.index.has("zone", z)
            });
        }
    }
    for field in ["source", "destination"] {
        address_members(r, field, &rule.members(field), ctx.index);
    }
    refs(r, "service", &rule.members("service"), |s| {
        matches!(s, "any" | "application-default") || service_exists(ctx.index, s)
    });
    refs(r, "tag", &rule.members("tag"), |t| ctx.index.has("tag", t));
    if let Some(gt) = rule.child_text("group-tag") {
        refs(r, "group-tag", &[gt], |t| ctx.index.has("tag", t));
    }
    if let Some(ps) = rule.child("profile-setting") {
        refs(r, "profile-setting -> group", &ps.members("group"), |g| {
            ctx.index.has("profile-group", g)
        });
    }
    if ctx.stage == Stage::Commit {
        for required in [
            "from",
            "to",
            "source",
            "destination",
            "application",
            "service",
            "action",
        ] {
            if rule
                .child(required)
                .is_none_or(|f| f.children.is_empty() && f.text.is_empty())
            {
                r.lines
                    .push(format!(" {} is missing '{required}'", r.label));
            }
        }
        let name = rule.entry_name().unwrap_or_default();
        for (flag, field) in [
            ("negate-source", "source"),
            ("negate-destination", "destination"),
        ] {
            if rule.child_text(flag) == Some("yes") && rule.members(field).contains(&"any") {
                r.lines.push(format!(
                    " Negate cannot be enabled for security rule {name} with {field} address as 'any'"
                ));
            }
        }
    }
}

pub(crate) fn keyword(r: &mut Report, field: &str, value: &str, allowed: &[&str]) {
    if !allowed.contains(&value) {
        r.field(field, format!("'{value}' is not an allowed keyword"));
        r.field_invalid(field);
    }
}

/// Reports each member that `exists` rejects as `'x' is not a valid reference`.
pub(crate) fn refs(r: &mut Report, field: &str, members: &[&str], exists: impl Fn(&str) -> bool) {
    let mut bad = false;
    for m in members {
        if !exists(m) {
            r.field(field, format!("'{m}' is not a valid reference"));
            bad = true;
        }
    }
    if bad {
        r.field_invalid(field);
    }
}

pub(crate) fn service_exists(index: &ObjectIndex<'_>, name: &str) -> bool {
    PREDEFINED_SERVICES.contains(&name)
        || index.has("service", name)
        || index.has("service-group", name)
}

/// A 2-letter upper-case country code, as PAN-OS accepts for region matching.
fn is_region_code(name: &str) -> bool {
    name.len() == 2 && name.chars().all(|c| c.is_ascii_uppercase())
}

fn address_members(r: &mut Report, field: &str, members: &[&str], index: &ObjectIndex<'_>) {
    let mut bad = false;
    for m in members {
        let ok = *m == "any"
            || parse_literal(m).is_some()
            || ["address", "address-group", "external-list", "region"]
                .iter()
                .any(|l| index.has(l, m))
            || is_region_code(m);
        if !ok {
            // PAN-OS lists every interpretation it tried for a member field.
            r.field(field, format!("'{m}' is not an allowed keyword"));
            r.field(field, format!("{m} is an invalid ipv4/v6 address"));
            r.field(field, format!("'{m}' is not a valid reference"));
            r.field(field, format!("{m} range separator('-') not found"));
            bad = true;
        }
    }
    if bad {
        r.field_invalid(field);
    }
}

/// Object entries a write into `target` with `elements` touched: the enclosing object if the
/// target is inside one, else every object the elements reach.
pub fn affected_objects(root: &Element, target: &[usize], elements: &[&Element]) -> Vec<NodePath> {
    for depth in 0..=target.len() {
        if kind_at(root, &target[..depth]).is_some() {
            return vec![target[..depth].to_vec()];
        }
    }
    let mut out = Vec::new();
    let mut at = target.to_vec();
    collect_affected(root, &mut at, elements, &mut out);
    out
}

fn collect_affected(
    root: &Element,
    at: &mut NodePath,
    elements: &[&Element],
    out: &mut Vec<NodePath>,
) {
    let Some(node) = node_at(root, at) else {
        return;
    };
    for el in elements {
        let found = match el.entry_name() {
            Some(name) => node.entry_index(&el.name, name),
            None => node.position(|c| {
                c.name == el.name
                    && c.entry_name().is_none()
                    && (el.name != "member" || c.text == el.text)
            }),
        };
        let Some(i) = found else { continue };
        at.push(i);
        if kind_at(root, at).is_some() {
            out.push(at.clone());
        } else {
            let kids: Vec<&Element> = el.children.iter().map(|c| c.as_ref()).collect();
            collect_affected(root, at, &kids, out);
        }
        at.pop();
    }
}

/// Set-time validation of the objects at `paths` (one index per scope).
/// Up to this many objects are checked without building a name index.
const FEW_OBJECTS: usize = 8;

pub fn check_objects(
    root: &Element,
    paths: &[NodePath],
    stage: Stage,
    sw_major: u32,
) -> Vec<String> {
    // A write touches a few objects: looking their references up in place is linear in the
    // lists they name; indexing the scope would be linear in the whole configuration, per write.
    let few = paths.len() <= FEW_OBJECTS;
    let mut indexes: HashMap<NodePath, ObjectIndex<'_>> = HashMap::new();
    let mut lines = Vec::new();
    for path in paths {
        let Some(scope) = scope_of(root, path) else {
            continue;
        };
        let index = indexes.entry(scope.path.clone()).or_insert_with(|| {
            if few {
                ObjectIndex::in_place(root, &scope)
            } else {
                ObjectIndex::build(root, &scope)
            }
        });
        lines.extend(check_object(root, path, index, stage, sw_major));
    }
    lines
}

/// Commit-time validation of the whole configuration, including the platform's rule capacity.
pub fn commit_problems(root: &Element, sw_major: u32, max_rules: Option<usize>) -> Vec<String> {
    let kinds = [
        ObjectKind::Tag,
        ObjectKind::Address,
        ObjectKind::AddressGroup,
        ObjectKind::Service,
        ObjectKind::ServiceGroup,
        ObjectKind::SecurityRule,
    ];
    let paths: Vec<NodePath> = kinds.iter().flat_map(|k| all_objects(root, *k)).collect();
    let mut lines = check_objects(root, &paths, Stage::Commit, sw_major);
    lines.extend(crate::capacity::rule_capacity_problems(root, max_rules));
    lines
}
