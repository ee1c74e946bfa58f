//! The op commands that read User-ID state back: `show object registered-ip` (all, by tag, by
//! address, paged) and `show object dynamic-address-group` (one group or all, members resolved
//! against the current registrations and the running configuration).
//!
//! Shapes (sources in docs/simulator-fidelity.md):
//! - registered-ip: `<result><entry ip="10.0.0.1" from_agent="0" persistent="1"><tag><member>t
//!   </member></tag></entry>…<count>N</count></result>`, entries in address order, each with all
//!   its tags; `<start-point>` is 1-based and `<limit>` caps the page, so a client reads until a
//!   page holds fewer than `limit` entries (pan-os-python, pango) [code]; `count` is the number of
//!   entries in this answer [?]; `<all><option>count</option></all>` answers only
//!   `<count>N</count>` of all matches [code: pan-os-php].
//! - dynamic-address-group (local, shared and Panorama-pushed groups): `<result><dyn-addr-grp><entry><vsys>vsys1</vsys><group-name>G
//!   </group-name><filter>…</filter><member-list><entry name="H-1" type="address-object"/><entry
//!   name="10.0.0.1" type="registered-ip"/></member-list></entry>…` (shared groups have no
//!   `<vsys>`) [code: a device capture quoted in a PowerShell client].
//!
//! This module must never change state.

use std::net::IpAddr;

use crate::dag::{self, TagFilter};
use crate::failure::{ApiFailure, code};
use crate::objects::ObjectIndex;
use crate::registrations::Registered;
use crate::response::Reply;
use crate::state::SimState;
use crate::xml::{Element, escape};

fn invalid(field: &str, value: &str) -> ApiFailure {
    ApiFailure::new(
        code::INVALID_COMMAND,
        format!(" show -> object -> registered-ip -> {field} '{value}' is invalid"),
    )
}

fn target_vsys(vsys: Option<&str>) -> &str {
    vsys.filter(|v| !v.is_empty() && *v != "shared")
        .unwrap_or("vsys1")
}

/// The `show object <what>` element of the command.
fn object_query<'a>(cmd: &'a Element, what: &str) -> Result<&'a Element, ApiFailure> {
    cmd.descend(&["object", what])
        .ok_or_else(|| ApiFailure::malformed("Malformed Request"))
}

/// `show object registered-ip …`.
pub fn show_registered_ip(
    state: &SimState,
    cmd: &Element,
    vsys: Option<&str>,
) -> Result<Reply, ApiFailure> {
    let query = object_query(cmd, "registered-ip")?;
    let tag = query
        .child("tag")
        .and_then(|t| t.child("entry"))
        .and_then(|e| e.entry_name());
    let ip = match query.child_text("ip").map(str::trim) {
        None => None,
        Some(text) => Some(text.parse::<IpAddr>().map_err(|_| invalid("ip", text))?),
    };
    let number = |field: &str| -> Result<Option<usize>, ApiFailure> {
        match query.child_text(field).map(str::trim) {
            None => Ok(None),
            Some(text) => match text.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(Some(n)),
                _ => Err(invalid(field, text)),
            },
        }
    };
    let limit = number("limit")?;
    let start = number("start-point")?.unwrap_or(1);
    let selected: Vec<(&IpAddr, &Registered)> = state
        .registrations
        .vsys(target_vsys(vsys))
        .into_iter()
        .flatten()
        .filter(|(addr, reg)| ip.is_none_or(|i| i == **addr) && tag.is_none_or(|t| reg.has_tag(t)))
        .collect();
    let count_only = query
        .child("all")
        .and_then(|a| a.child_text("option"))
        .is_some_and(|o| o.trim() == "count");
    if count_only {
        return Ok(Reply::ok(format!(
            "<response status=\"success\"><result><count>{}</count></result></response>",
            selected.len()
        )));
    }
    let page = selected
        .into_iter()
        .skip(start - 1)
        .take(limit.unwrap_or(usize::MAX));
    let mut inner = String::new();
    let mut n = 0;
    for (addr, reg) in page {
        n += 1;
        let mut tags = Element::new("tag");
        for t in reg.tags.keys() {
            tags.push(Element::leaf("member", t.clone()));
        }
        Element::new("entry")
            .with_attr("ip", addr.to_string())
            .with_attr("from_agent", "0")
            .with_attr("persistent", if reg.persistent { "1" } else { "0" })
            .with_child(tags)
            .write_xml(&mut inner);
    }
    Ok(Reply::ok(format!(
        "<response status=\"success\"><result>{inner}<count>{n}</count></result></response>"
    )))
}

/// `show object dynamic-address-group name G | all`.
pub fn show_dynamic_address_group(
    state: &SimState,
    cmd: &Element,
    vsys: Option<&str>,
) -> Result<Reply, ApiFailure> {
    let query = object_query(cmd, "dynamic-address-group")?;
    let wanted = query.child_text("name").map(str::trim);
    if wanted.is_none() && query.child("all").is_none() {
        return Err(ApiFailure::new(
            code::INVALID_COMMAND,
            " show -> object -> dynamic-address-group is incomplete: name or all expected",
        ));
    }
    let vsys = target_vsys(vsys);
    let root = &state.store.running;
    let index = ObjectIndex::for_vsys(root, vsys).ok_or_else(|| {
        ApiFailure::new(
            code::INVALID_COMMAND,
            format!("{vsys} is invalid name.Current target-vsys is {vsys}"),
        )
    })?;
    let registered = state.registrations.vsys(vsys);
    let local = crate::objects::local_vsys(root, vsys).and_then(|v| v.child("address-group"));
    let shared = root.descend(&["shared", "address-group"]);
    // Groups Panorama pushed (see crate::push) list after the local ones of the same scope.
    let pushed = root.child("panorama");
    let pushed_vsys = pushed
        .and_then(|p| p.child("vsys"))
        .and_then(|v| v.entry("entry", vsys))
        .and_then(|v| v.child("address-group"));
    let pushed_shared = pushed.and_then(|p| p.descend(&["shared", "address-group"]));
    let mut seen = std::collections::HashSet::new();
    let mut out = String::from("<dyn-addr-grp>");
    let holders = [
        (local, true),
        (pushed_vsys, true),
        (shared, false),
        (pushed_shared, false),
    ];
    for (holder, in_vsys) in holders {
        for group in holder.into_iter().flat_map(|h| h.children_named("entry")) {
            let Some(name) = group.entry_name() else {
                continue;
            };
            if wanted.is_some_and(|w| w != name) || !seen.insert(name) {
                continue;
            }
            let (Some(filter_el), Some(filter)) = (
                group.descend(&["dynamic", "filter"]),
                dag::group_filter(group),
            ) else {
                continue;
            };
            out.push_str("<entry>");
            if in_vsys {
                out.push_str(&format!("<vsys>{}</vsys>", escape(vsys)));
            }
            out.push_str(&format!(
                "<group-name>{}</group-name><filter>{}</filter>",
                escape(name),
                escape(&filter_el.text)
            ));
            out.push_str(&member_list(&filter, &index, registered));
            out.push_str("</entry>");
        }
    }
    out.push_str("</dyn-addr-grp>");
    Ok(Reply::ok(format!(
        "<response cmd=\"status\" status=\"success\"><result>{out}</result></response>"
    )))
}

fn member_list(
    filter: &TagFilter,
    index: &ObjectIndex<'_>,
    registered: Option<&crate::registrations::VsysRegistrations>,
) -> String {
    let members = dag::members(filter, index, registered);
    let mut list = Element::new("member-list");
    for obj in &members.objects {
        list.push(
            Element::named("entry", obj.entry_name().unwrap_or_default())
                .with_attr("type", "address-object"),
        );
    }
    for ip in &members.registered {
        list.push(Element::named("entry", ip.to_string()).with_attr("type", "registered-ip"));
    }
    list.to_xml()
}
