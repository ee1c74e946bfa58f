//! Device-style validation of configuration objects, as PAN-OS does it at `set`/`edit` time
//! (unknown elements, bad keywords, malformed addresses and ports, dangling references, name
//! lengths, names already in use) and at commit time (required fields, `negate` with `any`,
//! exactly one address type), producing PAN-OS style ` a -> b -> c …` message lines.
//!
//! Applications are not checked against an App-ID catalogue (the simulator has none); log
//! forwarding profiles, schedules and security profiles are accepted by name.
//! This module must never change a tree.

use std::collections::HashMap;

use crate::netaddr::{is_fqdn, parse_literal, parse_netmask, parse_ports, parse_range};
use crate::objects::{
    ObjectIndex, ObjectKind, ScopeRef, all_objects, display_path, kind_at, scope_of,
};
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
const ADDRESS_TYPES: &[&str] = &["ip-netmask", "ip-range", "ip-wildcard", "fqdn"];
const DESCRIPTION_MAX: usize = 1024;

/// Collects the message lines for one object.
struct Report {
    label: String,
    lines: Vec<String>,
}

impl Report {
    fn field(&mut self, field: &str, problem: String) {
        self.lines
            .push(format!(" {} -> {field} {problem}", self.label));
    }
    fn field_invalid(&mut self, field: &str) {
        self.lines
            .push(format!(" {} -> {field} is invalid", self.label));
    }
    fn unexpected(&mut self, child: &str) {
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
        ObjectKind::Address => check_address(entry, &ctx, &mut report),
        ObjectKind::AddressGroup => check_address_group(entry, &ctx, &mut report),
        ObjectKind::Service => check_service(entry, &ctx, &mut report),
        ObjectKind::ServiceGroup => check_service_group(entry, &ctx, &mut report),
        ObjectKind::Tag => check_tag(entry, &mut report),
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

struct Ctx<'a, 'b> {
    index: &'a ObjectIndex<'b>,
    scope: &'a ScopeRef,
    stage: Stage,
    sw_major: u32,
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

fn keyword(r: &mut Report, field: &str, value: &str, allowed: &[&str]) {
    if !allowed.contains(&value) {
        r.field(field, format!("'{value}' is not an allowed keyword"));
        r.field_invalid(field);
    }
}

/// Reports each member that `exists` rejects as `'x' is not a valid reference`.
fn refs(r: &mut Report, field: &str, members: &[&str], exists: impl Fn(&str) -> bool) {
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

fn service_exists(index: &ObjectIndex<'_>, name: &str) -> bool {
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

fn check_address(addr: &Element, ctx: &Ctx<'_, '_>, r: &mut Report) {
    let mut types = Vec::new();
    for child in addr.children.iter() {
        let n = child.name.as_str();
        match n {
            "ip-netmask" => {
                if parse_netmask(&child.text).is_none() {
                    r.field(n, format!("{} is an invalid ipv4/v6 address", child.text));
                    r.field_invalid(n);
                }
            }
            "ip-range" => {
                if parse_range(&child.text).is_none() {
                    r.field(
                        n,
                        format!("{} is an invalid ipv4/v6 address range", child.text),
                    );
                    r.field_invalid(n);
                }
            }
            "fqdn" => {
                if !is_fqdn(&child.text) {
                    r.field(n, format!("'{}' is not a valid fqdn", child.text));
                    r.field_invalid(n);
                }
            }
            "ip-wildcard" | "description" | "tag" | "disable-override" => {}
            other => r.unexpected(other),
        }
        if ADDRESS_TYPES.contains(&n) {
            types.push(n);
        }
    }
    refs(r, "tag", &addr.members("tag"), |t| ctx.index.has("tag", t));
    if ctx.stage == Stage::Commit {
        match types.as_slice() {
            [] => r.lines.push(format!(
                " {} is missing one of ip-netmask, ip-range, ip-wildcard or fqdn",
                r.label
            )),
            [_] => {}
            [a, b, ..] => r.lines.push(format!(
                " {} Node {a} and {b} are mutually exclusive",
                r.label
            )),
        }
    }
}

fn check_address_group(group: &Element, ctx: &Ctx<'_, '_>, r: &mut Report) {
    for child in group.children.iter() {
        match child.name.as_str() {
            "static" | "dynamic" | "description" | "tag" | "disable-override" => {}
            other => r.unexpected(other),
        }
    }
    refs(r, "static", &group.members("static"), |m| {
        ctx.index.has("address", m) || ctx.index.has("address-group", m)
    });
    refs(r, "tag", &group.members("tag"), |t| ctx.index.has("tag", t));
}

fn check_service(svc: &Element, ctx: &Ctx<'_, '_>, r: &mut Report) {
    for child in svc.children.iter() {
        match child.name.as_str() {
            "protocol" | "description" | "tag" | "disable-override" => {}
            other => r.unexpected(other),
        }
    }
    refs(r, "tag", &svc.members("tag"), |t| ctx.index.has("tag", t));
    let Some(protocol) = svc.child("protocol") else {
        if ctx.stage == Stage::Commit {
            r.lines.push(format!(" {} is missing 'protocol'", r.label));
        }
        return;
    };
    for proto in protocol.children.iter() {
        let p = proto.name.as_str();
        if !matches!(p, "tcp" | "udp" | "sctp") {
            r.unexpected(p);
            continue;
        }
        for field in proto.children.iter() {
            match field.name.as_str() {
                "port" | "source-port" => {
                    if parse_ports(&field.text).is_none() {
                        r.lines.push(format!(
                            " {} -> protocol -> {p} -> {} '{}' is not a valid port",
                            r.label, field.name, field.text
                        ));
                        r.lines.push(format!(
                            " {} -> protocol -> {p} -> {} is invalid",
                            r.label, field.name
                        ));
                    }
                }
                "override" => {}
                other => r.unexpected(other),
            }
        }
        if ctx.stage == Stage::Commit && proto.child("port").is_none() {
            r.lines
                .push(format!(" {} -> protocol -> {p} is missing 'port'", r.label));
        }
    }
    if protocol.children.len() > 1 {
        r.lines.push(format!(
            " {} -> protocol has more than one of tcp, udp, sctp",
            r.label
        ));
    }
}

fn check_service_group(group: &Element, ctx: &Ctx<'_, '_>, r: &mut Report) {
    for child in group.children.iter() {
        match child.name.as_str() {
            "members" | "tag" => {}
            other => r.unexpected(other),
        }
    }
    refs(r, "members", &group.members("members"), |m| {
        service_exists(ctx.index, m)
    });
    refs(r, "tag", &group.members("tag"), |t| ctx.index.has("tag", t));
}

fn check_tag(tag: &Element, r: &mut Report) {
    for child in tag.children.iter() {
        match child.name.as_str() {
            "color" => {
                let ok = child
                    .text
                    .strip_prefix("color")
                    .and_then(|n| n.parse::<u32>().ok())
                    .is_some_and(|n| (1..=42).contains(&n));
                if !ok {
                    r.field(
                        "color",
                        format!("'{}' is not an allowed keyword", child.text),
                    );
                    r.field_invalid("color");
                }
            }
            "comments" | "disable-override" => {}
            other => r.unexpected(other),
        }
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
        let found = node.position(|c| {
            c.name == el.name
                && c.entry_name() == el.entry_name()
                && (el.name != "member" || c.text == el.text)
        });
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
pub fn check_objects(
    root: &Element,
    paths: &[NodePath],
    stage: Stage,
    sw_major: u32,
) -> Vec<String> {
    let mut indexes: HashMap<NodePath, ObjectIndex<'_>> = HashMap::new();
    let mut lines = Vec::new();
    for path in paths {
        let Some(scope) = scope_of(root, path) else {
            continue;
        };
        let index = indexes
            .entry(scope.path.clone())
            .or_insert_with(|| ObjectIndex::build(root, &scope));
        lines.extend(check_object(root, path, index, stage, sw_major));
    }
    lines
}

/// Commit-time validation of the whole configuration.
pub fn commit_problems(root: &Element, sw_major: u32) -> Vec<String> {
    let kinds = [
        ObjectKind::Tag,
        ObjectKind::Address,
        ObjectKind::AddressGroup,
        ObjectKind::Service,
        ObjectKind::ServiceGroup,
        ObjectKind::SecurityRule,
    ];
    let paths: Vec<NodePath> = kinds.iter().flat_map(|k| all_objects(root, *k)).collect();
    check_objects(root, &paths, Stage::Commit, sw_major)
}
