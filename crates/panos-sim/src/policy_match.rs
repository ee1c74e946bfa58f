//! `test security-policy-match`: first match over the security rulebase (Panorama pre-rules,
//! local rules, post-rules), skipping disabled rules; when nothing matches, the predefined
//! `intrazone-default` (allow) or `interzone-default` (deny). With `show-all`, every match up
//! to the first allow.
//!
//! Where the query leaves a criterion out, only rules that accept anything for it match
//! (application `any`, source-user `any`, category `any`): the simulator never claims a
//! specific rule covers traffic it was not asked about. FQDN addresses, EDLs and regions never
//! match (nothing is resolved). Dynamic address groups match their current members (see
//! [`crate::dag`]): registrations take effect without a commit.
//! This module must never change a tree or format responses.

use std::net::IpAddr;

use crate::apps::is_default_port;
use crate::dag;
use crate::netaddr::{parse_literal, parse_ports};
use crate::objects::ObjectIndex;
use crate::registrations::VsysRegistrations;
use crate::xml::Element;

/// The traffic a policy-match test describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub source: IpAddr,
    pub destination: IpAddr,
    pub protocol: u8,
    pub port: Option<u16>,
    pub application: Option<String>,
    pub source_user: Option<String>,
    pub category: Option<String>,
    pub show_all: bool,
}

/// A rule that matched, with its 1-based position in the evaluated rulebase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleHit {
    pub name: String,
    pub index: usize,
    pub action: String,
    /// The rule itself; `None` for the predefined defaults.
    pub rule: Option<Element>,
}

const MAX_GROUP_DEPTH: usize = 8;

/// The ordered security rules of `vsys` (pre-rules, local rules, post-rules).
pub fn rulebase<'a>(root: &'a Element, vsys: &str) -> Vec<&'a Element> {
    let local = root
        .child("devices")
        .and_then(|d| d.children_named("entry").next())
        .and_then(|d| d.child("vsys"))
        .and_then(|v| v.entry("entry", vsys));
    let pushed = root
        .descend(&["panorama", "vsys"])
        .and_then(|v| v.entry("entry", vsys));
    let rules_of = |holder: Option<&'a Element>, base: &str| -> Vec<&'a Element> {
        holder
            .and_then(|h| h.descend(&[base, "security", "rules"]))
            .map(|r| r.children_named("entry").collect())
            .unwrap_or_default()
    };
    let mut out = rules_of(pushed, "pre-rulebase");
    out.extend(rules_of(local, "rulebase"));
    out.extend(rules_of(pushed, "post-rulebase"));
    out
}

/// Evaluates the query with no tag registrations; `None` if the vsys does not exist.
pub fn evaluate(root: &Element, vsys: &str, q: &MatchQuery) -> Option<Vec<RuleHit>> {
    evaluate_with_registrations(root, vsys, q, None)
}

/// Evaluates the query, dynamic address groups resolving against `registered` (the vsys's
/// current registrations); `None` if the vsys does not exist.
pub fn evaluate_with_registrations(
    root: &Element,
    vsys: &str,
    q: &MatchQuery,
    registered: Option<&VsysRegistrations>,
) -> Option<Vec<RuleHit>> {
    let scope = Scope {
        index: ObjectIndex::for_vsys(root, vsys)?,
        registered,
    };
    let rules = rulebase(root, vsys);
    let mut hits = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        if rule.child_text("disabled") == Some("yes") || !rule_matches(rule, q, &scope) {
            continue;
        }
        let action = rule.child_text("action").unwrap_or("allow").to_string();
        let allows = action == "allow";
        hits.push(RuleHit {
            name: rule.entry_name().unwrap_or_default().to_string(),
            index: i + 1,
            action,
            rule: Some((*rule).clone()),
        });
        if !q.show_all || allows {
            return Some(hits);
        }
    }
    if !hits.is_empty() {
        return Some(hits);
    }
    let intrazone = matches!((&q.from, &q.to), (Some(f), Some(t)) if f == t);
    let (name, offset, action) = if intrazone {
        ("intrazone-default", 1, "allow")
    } else {
        ("interzone-default", 2, "deny")
    };
    hits.push(RuleHit {
        name: name.to_string(),
        index: rules.len() + offset,
        action: action.to_string(),
        rule: None,
    });
    Some(hits)
}

/// What names resolve against: the vsys's objects and its current tag registrations.
struct Scope<'a> {
    index: ObjectIndex<'a>,
    registered: Option<&'a VsysRegistrations>,
}

fn rule_matches(rule: &Element, q: &MatchQuery, scope: &Scope<'_>) -> bool {
    let index = &scope.index;
    let zones_ok = zone_ok(&rule.members("from"), q.from.as_deref())
        && zone_ok(&rule.members("to"), q.to.as_deref());
    let type_ok = match (rule.child_text("rule-type"), &q.from, &q.to) {
        (Some("intrazone"), Some(f), Some(t)) => f == t,
        (Some("interzone"), Some(f), Some(t)) => f != t,
        (Some("intrazone" | "interzone"), _, _) => false,
        _ => true,
    };
    zones_ok
        && type_ok
        && address_ok(rule, "source", "negate-source", q.source, scope)
        && address_ok(
            rule,
            "destination",
            "negate-destination",
            q.destination,
            scope,
        )
        && optional_ok(&rule.members("source-user"), q.source_user.as_deref())
        && optional_ok(&rule.members("category"), q.category.as_deref())
        && application_ok(
            &rule.members("application"),
            q.application.as_deref(),
            index,
        )
        && service_ok(rule, q, index)
}

fn zone_ok(members: &[&str], zone: Option<&str>) -> bool {
    members.contains(&"any") || zone.is_some_and(|z| members.contains(&z))
}

fn optional_ok(members: &[&str], wanted: Option<&str>) -> bool {
    members.is_empty() || members.contains(&"any") || wanted.is_some_and(|w| members.contains(&w))
}

fn address_ok(rule: &Element, field: &str, negate: &str, ip: IpAddr, scope: &Scope<'_>) -> bool {
    let members = rule.members(field);
    let hit = members
        .iter()
        .any(|m| address_member_matches(m, ip, &scope.index, scope.registered, 0));
    if rule.child_text(negate) == Some("yes") {
        !hit
    } else {
        hit
    }
}

fn address_member_matches(
    member: &str,
    ip: IpAddr,
    index: &ObjectIndex<'_>,
    registered: Option<&VsysRegistrations>,
    depth: usize,
) -> bool {
    if member == "any" {
        return true;
    }
    if depth > MAX_GROUP_DEPTH {
        return false;
    }
    if let Some(addr) = index.get("address", member) {
        return dag::object_contains(addr, ip);
    }
    if let Some(group) = index.get("address-group", member) {
        if group.child("static").is_some() {
            return group
                .members("static")
                .iter()
                .any(|m| address_member_matches(m, ip, index, registered, depth + 1));
        }
        return dag::group_filter(group)
            .is_some_and(|filter| dag::members(&filter, index, registered).contains(ip));
    }
    parse_literal(member).is_some_and(|span| span.contains(ip))
}

fn application_ok(members: &[&str], app: Option<&str>, index: &ObjectIndex<'_>) -> bool {
    if members.contains(&"any") {
        return true;
    }
    let Some(app) = app else {
        return false;
    };
    members.iter().any(|m| {
        *m == app
            || index
                .get("application-group", m)
                .is_some_and(|g| g.members("members").contains(&app))
    })
}

fn service_ok(rule: &Element, q: &MatchQuery, index: &ObjectIndex<'_>) -> bool {
    let apps = rule.members("application");
    rule.members("service").iter().any(|s| match *s {
        "any" => true,
        "application-default" => {
            apps.contains(&"any")
                || q.application
                    .as_deref()
                    .is_some_and(|a| is_default_port(a, q.protocol, q.port))
        }
        name => service_member_matches(name, q, index, 0),
    })
}

fn service_member_matches(
    name: &str,
    q: &MatchQuery,
    index: &ObjectIndex<'_>,
    depth: usize,
) -> bool {
    let tcp_port_in = |ranges: &[(u16, u16)]| {
        q.protocol == 6
            && q.port
                .is_some_and(|p| ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&p)))
    };
    match name {
        "service-http" => return tcp_port_in(&[(80, 80), (8080, 8080)]),
        "service-https" => return tcp_port_in(&[(443, 443)]),
        _ => {}
    }
    if depth > MAX_GROUP_DEPTH {
        return false;
    }
    if let Some(svc) = index.get("service", name) {
        let Some(protocol) = svc.child("protocol") else {
            return false;
        };
        return protocol.children.iter().any(|p| {
            let number = match p.name.as_str() {
                "tcp" => 6,
                "udp" => 17,
                "sctp" => 132,
                _ => return false,
            };
            let ports = p
                .child_text("port")
                .and_then(parse_ports)
                .unwrap_or_default();
            number == q.protocol
                && q.port
                    .is_some_and(|port| ports.iter().any(|(lo, hi)| (*lo..=*hi).contains(&port)))
        });
    }
    if let Some(group) = index.get("service-group", name) {
        return group
            .members("members")
            .iter()
            .any(|m| service_member_matches(m, q, index, depth + 1));
    }
    false
}
