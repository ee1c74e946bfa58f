//! `type=user-id`: the uid-message of tag registrations (`<register>`, `<unregister>`), checked
//! and applied to the registered-ip database of one vsys, and the `uid-response` answers.
//!
//! Answers (see docs/simulator-fidelity.md for sources):
//! - accepted with nothing to report: `<response status="success"><result><uid-response>…` [?];
//! - accepted with benign notes, or refused: `<response status="error"><msg><line><uid-response>
//!   <version>2.0</version><payload><register><entry ip="…" message="…"/>…` — the shape
//!   pan-python parses (`msg/line/uid-response/payload/*/entry`, attributes joined as
//!   `ip: … message: …`), so `message` is the last attribute and pan-os-python's
//!   `endswith("already exists, ignore")` check sees it [code];
//! - a document that is not XML: code 18 `Malformed Request`; a uid-message of the wrong shape: an
//!   error line naming what is wrong [?].
//!
//! This module must never touch configuration.

use std::net::IpAddr;
use std::time::Instant;

use crate::api::ApiRequest;
use crate::failure::ApiFailure;
use crate::registrations::{EntryMessage, ListKind, RegistrationChange};
use crate::response::Reply;
use crate::state::SimState;
use crate::xml::Element;

/// Longest timeout a tag may carry: 30 days [doc].
pub const MAX_TAG_TIMEOUT: u32 = 2_592_000;
/// Longest tag name [?, as for tag objects].
const MAX_TAG_LEN: usize = 127;

/// Handles one `type=user-id` request.
pub fn user_id(state: &mut SimState, req: &ApiRequest, now: Instant) -> Result<Reply, ApiFailure> {
    let raw = req
        .param("cmd")
        .ok_or_else(|| ApiFailure::malformed("Missing parameter cmd"))?;
    let message = Element::parse(raw).map_err(|_| ApiFailure::malformed("Malformed Request"))?;
    let vsys = req
        .param("vsys")
        .filter(|v| !v.is_empty() && *v != "shared")
        .unwrap_or("vsys1")
        .to_string();
    if crate::objects::ObjectIndex::for_vsys(&state.store.running, &vsys).is_none() {
        return Err(ApiFailure::uncoded(format!("vsys {vsys} is invalid")));
    }
    let changes = match parse_update(&message)? {
        Ok(changes) => changes,
        Err(refusals) => return Ok(Reply::ok(uid_response(false, &refusals))),
    };
    let limits = state.settings.registration_limits;
    match state.registrations.apply(&vsys, &changes, limits, now) {
        Ok(applied) if applied.notes.is_empty() => Ok(Reply::ok(uid_response(true, &[]))),
        Ok(applied) => Ok(Reply::ok(uid_response(false, &applied.notes))),
        Err(refusals) => Ok(Reply::ok(uid_response(false, &refusals))),
    }
}

/// The changes a uid-message asks for, in document order; the inner `Err` lists entries whose
/// address, tag or timeout is invalid (the whole message is then refused).
fn parse_update(
    msg: &Element,
) -> Result<Result<Vec<RegistrationChange>, Vec<EntryMessage>>, ApiFailure> {
    if msg.name != "uid-message" {
        return Err(ApiFailure::uncoded(format!(
            "Invalid uid-message: root element is <{}>",
            msg.name
        )));
    }
    if let Some(v) = msg.child_text("version")
        && !matches!(v.trim(), "1.0" | "2.0")
    {
        return Err(ApiFailure::uncoded(format!(
            "Invalid uid-message: unsupported version {}",
            v.trim()
        )));
    }
    let kind = msg.child("type");
    if kind.map(|t| t.text.trim()) != Some("update") && kind.is_none_or(|t| t.children.is_empty()) {
        return Err(ApiFailure::uncoded(
            "Invalid uid-message: type must be update",
        ));
    }
    // pan-python's own test nests <payload> inside <type>; a device accepts it [code].
    let payload = msg
        .child("payload")
        .or_else(|| kind.and_then(|t| t.child("payload")))
        .ok_or_else(|| ApiFailure::uncoded("Invalid uid-message: missing payload"))?;
    let mut changes = Vec::new();
    let mut refusals = Vec::new();
    for list in payload.children.iter() {
        let kind = match list.name.as_str() {
            "register" => ListKind::Register,
            "unregister" => ListKind::Unregister,
            other => {
                return Err(ApiFailure::uncoded(format!(
                    "Invalid uid-message: payload -> {other} is not supported by panos-sim"
                )));
            }
        };
        for entry in list.children_named("entry") {
            match parse_entry(kind, entry) {
                Ok(change) => changes.push(change),
                Err(m) => refusals.push(m),
            }
        }
    }
    Ok(if refusals.is_empty() {
        Ok(changes)
    } else {
        Err(refusals)
    })
}

fn parse_entry(list: ListKind, entry: &Element) -> Result<RegistrationChange, EntryMessage> {
    let raw_ip = entry.attr("ip").unwrap_or_default();
    let refuse = |message: String| EntryMessage {
        list,
        ip: raw_ip.to_string(),
        message,
    };
    let ip: IpAddr = parse_host(raw_ip).ok_or_else(|| refuse("Invalid IP address".into()))?;
    let tag_list = entry.child("tag");
    let mut tags = Vec::new();
    for member in tag_list.iter().flat_map(|t| t.children_named("member")) {
        let name = member.text.trim().to_string();
        if name.is_empty() || name.chars().count() > MAX_TAG_LEN {
            return Err(refuse(format!("Invalid tag name '{name}'")));
        }
        let timeout = match member.attr("timeout") {
            None => None,
            Some(t) => match t.trim().parse::<u32>() {
                Ok(n) if n <= MAX_TAG_TIMEOUT => Some(n),
                _ => {
                    return Err(refuse(format!(
                        "Invalid timeout {t} for tag {name}: must be 0-{MAX_TAG_TIMEOUT} seconds"
                    )));
                }
            },
        };
        tags.push((name, timeout));
    }
    match list {
        ListKind::Register => {
            if tags.is_empty() {
                return Err(refuse("No tag to register".into()));
            }
            let persistent = match entry.attr("persistent") {
                None | Some("1") => true,
                Some("0") => false,
                Some(other) => return Err(refuse(format!("Invalid persistent value {other}"))),
            };
            Ok(RegistrationChange::Register {
                ip,
                persistent,
                tags,
            })
        }
        ListKind::Unregister => Ok(RegistrationChange::Unregister {
            ip,
            tags: tag_list.map(|_| tags.into_iter().map(|(t, _)| t).collect()),
        }),
    }
}

/// An IPv4 or IPv6 host, optionally written as `/32` or `/128`.
fn parse_host(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    match (ip, len) {
        (_, None) | (IpAddr::V4(_), Some("32")) | (IpAddr::V6(_), Some("128")) => Some(ip),
        _ => None,
    }
}

/// `<response status=…>` with a `uid-response` listing per-entry messages.
fn uid_response(success: bool, messages: &[EntryMessage]) -> String {
    let mut payload = String::new();
    for (kind, tag) in [
        (ListKind::Register, "register"),
        (ListKind::Unregister, "unregister"),
    ] {
        let entries: Vec<&EntryMessage> = messages.iter().filter(|m| m.list == kind).collect();
        if entries.is_empty() {
            continue;
        }
        payload.push_str(&format!("<{tag}>"));
        for m in entries {
            let mut e = Element::new("entry");
            e.set_attr("ip", m.ip.clone());
            e.set_attr("message", m.message.clone());
            e.write_xml(&mut payload);
        }
        payload.push_str(&format!("</{tag}>"));
    }
    let inner =
        format!("<uid-response><version>2.0</version><payload>{payload}</payload></uid-response>");
    if success {
        format!("<response status=\"success\"><result>{inner}</result></response>")
    } else {
        format!("<response status=\"error\"><msg><line>{inner}</line></msg></response>")
    }
}
