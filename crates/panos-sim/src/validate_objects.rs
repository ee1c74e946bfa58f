//! Set-time and commit-time checks of address, address-group (including dynamic filters, refused
//! at set like any other invalid value [?]), service, service-group and tag
//! objects (the rule checks and the shared reporting live in [`crate::validate`]).
//!
//! This module must never change a tree.

use crate::dag::TagFilter;
use crate::netaddr::{is_fqdn, parse_netmask, parse_ports, parse_range};
use crate::validate::{Ctx, Report, Stage, refs, service_exists};
use crate::xml::Element;

const ADDRESS_TYPES: &[&str] = &["ip-netmask", "ip-range", "ip-wildcard", "fqdn"];

pub(crate) fn check_address(addr: &Element, ctx: &Ctx<'_, '_>, r: &mut Report) {
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

pub(crate) fn check_address_group(group: &Element, ctx: &Ctx<'_, '_>, r: &mut Report) {
    for child in group.children.iter() {
        match child.name.as_str() {
            "static" | "dynamic" | "description" | "tag" | "disable-override" => {}
            other => r.unexpected(other),
        }
    }
    refs(r, "static", &group.members("static"), |m| {
        ctx.index.has("address", m) || ctx.index.has("address-group", m)
    });
    if let Some(dynamic) = group.child("dynamic") {
        match dynamic.child("filter") {
            Some(filter) => {
                if let Err(e) = TagFilter::parse(&filter.text) {
                    r.field(
                        "dynamic -> filter",
                        format!("'{}' is not a valid tag filter: {e}", filter.text),
                    );
                    r.field_invalid("dynamic -> filter");
                }
            }
            None if ctx.stage == Stage::Commit => {
                r.lines
                    .push(format!(" {} -> dynamic is missing 'filter'", r.label));
            }
            None => {}
        }
    }
    refs(r, "tag", &group.members("tag"), |t| ctx.index.has("tag", t));
}

pub(crate) fn check_service(svc: &Element, ctx: &Ctx<'_, '_>, r: &mut Report) {
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

pub(crate) fn check_service_group(group: &Element, ctx: &Ctx<'_, '_>, r: &mut Report) {
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

pub(crate) fn check_tag(tag: &Element, r: &mut Report) {
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
