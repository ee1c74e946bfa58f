//! `type=op` commands a firewall client needs: system info, jobs, pending changes and the admins
//! who made them, locks, security-policy-match, config show, revert (all, or one admin's
//! changes), validate, clock, and (in [`crate::tag_ops`]) registered IPs and dynamic groups.
//!
//! This module must never change configuration except through the store's revert.

use std::net::IpAddr;
use std::time::{Instant, SystemTime};

use crate::api::ApiRequest;
use crate::failure::{ApiFailure, code};
use crate::jobs::JobKind;
use crate::locks::LockKind;
use crate::policy_match::{MatchQuery, RuleHit, evaluate_with_registrations};
use crate::response::{self, Reply};
use crate::state::{SimState, Stats};
use crate::xml::{Element, escape};
use crate::{clock, tag_ops};

/// The words of the command's spine (`show jobs id`), used for dispatch and statistics.
fn spine(cmd: &Element) -> Vec<&str> {
    let mut words = vec![cmd.name.as_str()];
    let mut node = cmd;
    while let [only] = node.children.as_slice() {
        node = only;
        words.push(node.name.as_str());
        if words.len() == 3 {
            break;
        }
    }
    words
}

pub fn op(
    state: &mut SimState,
    req: &ApiRequest,
    admin: &str,
    now: Instant,
) -> Result<Reply, ApiFailure> {
    let raw = req
        .param("cmd")
        .ok_or_else(|| ApiFailure::malformed("Missing parameter cmd"))?;
    let cmd = Element::parse(raw).map_err(|_| ApiFailure::malformed("Malformed Request"))?;
    let words = spine(&cmd);
    Stats::count(&mut state.stats.by_op, &words.join(" "));
    let scope = req.param("vsys").unwrap_or("shared").to_string();
    let ok = |body: String| Ok(Reply::ok(body));
    match words.as_slice() {
        ["show", "system", "info"] => ok(response::op_result(&system_info(state))),
        ["show", "jobs", ..] => show_jobs(state, &cmd, now),
        ["show", "clock", ..] => ok(response::op_text(&clock::ctime(SystemTime::now()))),
        ["check", "pending-changes", ..] => {
            ok(response::op_text(if state.store.pending_changes() {
                "yes"
            } else {
                "no"
            }))
        }
        ["show", "config-locks", ..] => {
            ok(response::op_result(&state.locks.show(LockKind::Config)))
        }
        ["show", "commit-locks", ..] => {
            ok(response::op_result(&state.locks.show(LockKind::Commit)))
        }
        ["request", "config-lock" | "commit-lock", ..] => lock_request(state, &cmd, admin, &scope),
        ["show", "config", "list"] => list_changes(state, &cmd),
        ["show", "config", ..] => show_config(state, &cmd),
        ["revert", "config", ..] => revert_config(state, &cmd, admin),
        ["load", "config", ..] => {
            let from = cmd.descend(&["config", "from"]).map(|f| f.text.as_str());
            if from != Some("running-config.xml") {
                return Err(ApiFailure::new(
                    code::INVALID_COMMAND,
                    "only running-config.xml can be loaded",
                ));
            }
            state.store.revert();
            ok(response::result(
                None,
                "<msg><line>Config loaded from running-config.xml</line></msg>",
            ))
        }
        ["validate", ..] => {
            let snapshot = state.store.candidate().clone();
            let id = state
                .jobs
                .enqueue(admin, "", JobKind::Validate { snapshot }, now);
            state.advance(now);
            ok(response::result(
                Some(code::SUCCESS_READ),
                &format!(
                    "<msg><line>Validate job enqueued with jobid {id}</line></msg><job>{id}</job>"
                ),
            ))
        }
        ["test", "security-policy-match", ..] => policy_match(state, &cmd, req.param("vsys")),
        ["show", "object", "registered-ip"] => {
            tag_ops::show_registered_ip(state, &cmd, req.param("vsys"))
        }
        ["show", "devicegroups", ..] => crate::devicegroups::show_devicegroups(state),
        ["show", "devices", ..] => crate::devicegroups::show_devices(
            state,
            cmd.descend(&["devices", "connected"]).is_some(),
        ),
        ["show", "object", "dynamic-address-group"] => {
            tag_ops::show_dynamic_address_group(state, &cmd, req.param("vsys"))
        }
        _ => Err(ApiFailure::new(
            code::INVALID_COMMAND,
            format!(" {} is unexpected", words.join(" -> ")),
        )),
    }
}

fn system_info(state: &SimState) -> Element {
    let s = &state.settings;
    let mut system = Element::new("system");
    let now = SystemTime::now();
    let fields: [(&str, String); 26] = [
        ("hostname", s.hostname.clone()),
        ("ip-address", "127.0.0.1".into()),
        ("netmask", "255.0.0.0".into()),
        ("default-gateway", "127.0.0.1".into()),
        ("mac-address", "00:50:56:00:00:01".into()),
        ("time", clock::ctime(now)),
        ("uptime", "0 days, 0:00:01".into()),
        ("devicename", s.hostname.clone()),
        ("family", "vm".into()),
        ("model", model(state).into()),
        ("serial", s.serial.clone()),
        ("vm-license", "VM-100".into()),
        ("sw-version", s.sw_version.clone()),
        ("global-protect-client-package-version", "0.0.0".into()),
        ("app-version", "8799-8509".into()),
        ("app-release-date", "2024/01/01 00:00:00 UTC".into()),
        ("av-version", "0".into()),
        ("threat-version", "8799-8509".into()),
        ("wildfire-version", "0".into()),
        ("url-filtering-version", "20240101.20000".into()),
        ("logdb-version", format!("{}.0.2", s.sw_major())),
        ("platform-family", "vm".into()),
        ("multi-vsys", "off".into()),
        ("operational-mode", "normal".into()),
        ("device-certificate-status", "None".into()),
        ("vpn-disable-mode", "off".into()),
    ];
    for (k, v) in fields {
        system.push(Element::leaf(k, v));
    }
    if state.is_panorama() {
        // Panorama answers `system-mode` [dev: panos-xml-api.md §5]; a VM in panorama mode [?].
        system.push(Element::leaf("system-mode", "panorama"));
    }
    system
}

/// `Panorama` on a Panorama, `PA-VM` on a firewall (also for `type=version`).
pub fn model(state: &SimState) -> &'static str {
    if state.is_panorama() {
        "Panorama"
    } else {
        "PA-VM"
    }
}

fn show_jobs(state: &SimState, cmd: &Element, now: Instant) -> Result<Reply, ApiFailure> {
    let jobs = cmd
        .child("jobs")
        .ok_or_else(|| ApiFailure::malformed("Malformed Request"))?;
    if let Some(id) = jobs.child_text("id") {
        let id_text = id.trim().trim_matches('"');
        let job = id_text.parse::<u32>().ok().and_then(|n| state.jobs.get(n));
        return match job {
            Some(j) => Ok(Reply::ok(response::op_result(&state.jobs.job_xml(j, now)))),
            None => Err(ApiFailure::new(
                code::OBJECT_NOT_PRESENT,
                format!("job {id_text} not found"),
            )),
        };
    }
    let mut inner = String::new();
    for j in state.jobs.all() {
        state.jobs.job_xml(j, now).write_xml(&mut inner);
    }
    Ok(Reply::ok(response::result(None, &inner)))
}

fn lock_request(
    state: &mut SimState,
    cmd: &Element,
    admin: &str,
    scope: &str,
) -> Result<Reply, ApiFailure> {
    let (kind, body) = match cmd.child("config-lock") {
        Some(b) => (LockKind::Config, b),
        None => (
            LockKind::Commit,
            cmd.child("commit-lock")
                .ok_or_else(|| ApiFailure::malformed("Malformed Request"))?,
        ),
    };
    let text = if let Some(add) = body.child("add") {
        state
            .locks
            .add(kind, admin, scope, add.child_text("comment"))?
    } else if let Some(remove) = body.child("remove") {
        state
            .locks
            .remove(kind, admin, remove.child_text("admin"), scope)?
    } else {
        return Err(ApiFailure::malformed("Malformed Request"));
    };
    Ok(Reply::ok(response::op_text(&text)))
}

/// `show config list admins` [?]: the admins with uncommitted changes,
/// `<result><admins><member>admin</member>…</admins></result>` (`<admins/>` when none).
fn list_changes(state: &SimState, cmd: &Element) -> Result<Reply, ApiFailure> {
    let what = cmd
        .descend(&["config", "list"])
        .and_then(|l| l.children.first());
    if what.map(|w| w.name.as_str()) != Some("admins") {
        return Err(ApiFailure::new(
            code::INVALID_COMMAND,
            " show -> config -> list is incomplete",
        ));
    }
    let mut admins = Element::new("admins");
    for a in state.store.admins_with_changes() {
        admins.push(Element::leaf("member", a));
    }
    Ok(Reply::ok(response::op_result(&admins)))
}

/// Whether the running config gives `admin` a role other than superuser. An admin the config
/// does not list (one added with `--admin`) counts as a superuser.
fn is_restricted(state: &SimState, admin: &str) -> bool {
    state
        .store
        .running
        .descend(&["mgt-config", "users"])
        .and_then(|users| users.entry("entry", admin))
        .and_then(|user| user.descend(&["permissions", "role-based"]))
        .is_some_and(|role| role.child_text("superuser") != Some("yes"))
}

/// `revert config` (every uncommitted change) and `revert config partial admin NAME…` (PAN-OS
/// 8.0+: only those admins' changes). Nothing to revert is success too. An admin whose role in
/// the running config is not superuser may revert only its own changes (code 16 [?]).
fn revert_config(state: &mut SimState, cmd: &Element, caller: &str) -> Result<Reply, ApiFailure> {
    let config = cmd
        .child("config")
        .ok_or_else(|| ApiFailure::malformed("Malformed Request"))?;
    let restricted = is_restricted(state, caller);
    let unauthorized = || {
        ApiFailure::new(
            code::UNAUTHORIZED,
            format!("{caller} is not authorized to revert other administrators' changes"),
        )
    };
    let Some(partial) = config.child("partial") else {
        if restricted {
            return Err(unauthorized());
        }
        state.store.revert();
        return Ok(Reply::ok(response::op_text(
            "Candidate configuration reverted",
        )));
    };
    let admins = partial.members("admin");
    if admins.is_empty() {
        return Err(ApiFailure::new(
            code::INVALID_COMMAND,
            " revert -> config -> partial -> admin is missing",
        ));
    }
    if restricted && admins.iter().any(|a| *a != caller) {
        return Err(unauthorized());
    }
    for admin in &admins {
        state.store.revert_admin(admin)?;
    }
    Ok(Reply::ok(response::op_text(&format!(
        "Changes of administrators {} reverted",
        admins.join(",")
    ))))
}

fn show_config(state: &SimState, cmd: &Element) -> Result<Reply, ApiFailure> {
    let which = cmd
        .child("config")
        .and_then(|c| c.children.first())
        .map(|c| c.name.as_str());
    let tree = match which {
        Some("running") => &state.store.running,
        Some("candidate") => state.store.candidate(),
        _ => {
            return Err(ApiFailure::new(
                code::INVALID_COMMAND,
                " show -> config is incomplete",
            ));
        }
    };
    Ok(Reply::ok(response::op_result(tree)))
}

fn policy_match(state: &SimState, cmd: &Element, vsys: Option<&str>) -> Result<Reply, ApiFailure> {
    let spm = cmd
        .child("security-policy-match")
        .ok_or_else(|| ApiFailure::malformed("Malformed Request"))?;
    let text = |n: &str| {
        spm.child_text(n)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    let ip = |n: &str| -> Result<IpAddr, ApiFailure> {
        let raw = text(n).ok_or_else(|| {
            ApiFailure::new(
                code::INVALID_COMMAND,
                format!(" test -> security-policy-match -> {n} is missing"),
            )
        })?;
        raw.parse().map_err(|_| {
            ApiFailure::new(
                code::INVALID_COMMAND,
                format!(" test -> security-policy-match -> {n} '{raw}' is not a valid IP address"),
            )
        })
    };
    let number = |n: &str| -> Result<Option<u32>, ApiFailure> {
        text(n)
            .map(|raw| {
                raw.parse::<u32>().map_err(|_| {
                    ApiFailure::new(
                        code::INVALID_COMMAND,
                        format!(" test -> security-policy-match -> {n} '{raw}' is invalid"),
                    )
                })
            })
            .transpose()
    };
    let protocol = number("protocol")?
        .filter(|p| (1..=255).contains(p))
        .ok_or_else(|| {
            ApiFailure::new(
                code::INVALID_COMMAND,
                " test -> security-policy-match -> protocol is invalid",
            )
        })?;
    let port = number("destination-port")?
        .map(|p| {
            u16::try_from(p).map_err(|_| {
                ApiFailure::new(
                    code::INVALID_COMMAND,
                    " test -> security-policy-match -> destination-port is invalid",
                )
            })
        })
        .transpose()?;
    let query = MatchQuery {
        from: text("from"),
        to: text("to"),
        source: ip("source")?,
        destination: ip("destination")?,
        protocol: protocol as u8,
        port,
        application: text("application"),
        source_user: text("source-user"),
        category: text("category"),
        show_all: text("show-all").as_deref() == Some("yes"),
    };
    let vsys = vsys.filter(|v| *v != "shared").unwrap_or("vsys1");
    let registered = state.registrations.vsys(vsys);
    let hits = evaluate_with_registrations(&state.store.running, vsys, &query, registered)
        .ok_or_else(|| {
            ApiFailure::new(
                code::INVALID_COMMAND,
                format!("{vsys} is invalid name.Current target-vsys is {vsys}"),
            )
        })?;
    let mut rules = String::from("<rules>");
    for hit in &hits {
        if state.settings.sw_major() < 9 {
            rules.push_str(&format!(
                "<entry>{}; index: {}</entry>",
                escape(&hit.name),
                hit.index
            ));
        } else {
            structured_entry(hit, &query).write_xml(&mut rules);
        }
    }
    rules.push_str("</rules>");
    Ok(Reply::ok(format!(
        "<response cmd=\"status\" status=\"success\"><result>{rules}</result></response>"
    )))
}

/// The 9.x+ `<entry name=…>` shape (including the device's `destinataion-device` typo).
fn structured_entry(hit: &RuleHit, q: &MatchQuery) -> Element {
    let field = |name: &str, fallback: &str| -> String {
        hit.rule
            .as_ref()
            .map(|r| r.members(name).join(";"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| fallback.to_string())
    };
    let to = Element::new("to").with_child(Element::leaf(
        "member",
        field("to", q.to.as_deref().unwrap_or("any")),
    ));
    let app = field("application", "any");
    let service = field("service", "any");
    Element::named("entry", hit.name.clone())
        .with_child(Element::leaf("index", hit.index.to_string()))
        .with_child(Element::leaf(
            "from",
            field("from", q.from.as_deref().unwrap_or("any")),
        ))
        .with_child(Element::leaf("source", field("source", "any")))
        .with_child(Element::leaf("source-region", "none"))
        .with_child(to)
        .with_child(Element::leaf("destination", field("destination", "any")))
        .with_child(Element::leaf("destination-region", "none"))
        .with_child(Element::leaf("user", field("source-user", "any")))
        .with_child(Element::leaf("source-device", "any"))
        .with_child(Element::leaf("destinataion-device", "any"))
        .with_child(Element::leaf("category", field("category", "any")))
        .with_child(Element::leaf(
            "application_service",
            format!("0:{app}/{service}/any/any"),
        ))
        .with_child(Element::leaf("action", hit.action.clone()))
        .with_child(Element::leaf("icmp-unreachable", "no"))
        .with_child(Element::leaf("terminal", "yes"))
}
