//! `type=commit`: full, partial-by-admin and force commits in both nestings
//! (`<commit><partial/>…<force/></commit>` and `<commit><force><partial/></force></commit>`),
//! commit-lock enforcement, "There are no changes to commit." and job enqueueing.
//!
//! This module must never apply configuration itself: jobs do, when they run.

use std::time::Instant;

use crate::api::ApiRequest;
use crate::failure::{ApiFailure, code};
use crate::jobs::{CommitScope, JobKind};
use crate::response::{self, Reply};
use crate::state::SimState;
use crate::xml::Element;

/// What a `<commit>` command asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitRequest {
    pub description: String,
    /// Admins of an admin-scoped partial commit; empty for a full commit.
    pub admins: Vec<String>,
    pub force: bool,
}

impl CommitRequest {
    pub fn parse(cmd: &Element) -> Result<CommitRequest, ApiFailure> {
        if cmd.name != "commit" {
            return Err(ApiFailure::new(
                code::INVALID_COMMAND,
                format!(" {} is unexpected", cmd.name),
            ));
        }
        let force = cmd.child("force");
        // pan-python/pango nest partial and description inside <force>.
        let body = force.filter(|f| !f.children.is_empty()).unwrap_or(cmd);
        let description = body
            .child_text("description")
            .or_else(|| cmd.child_text("description"))
            .unwrap_or_default()
            .to_string();
        let admins = body
            .child("partial")
            .or_else(|| cmd.child("partial"))
            .map(|p| p.members("admin").into_iter().map(str::to_string).collect())
            .unwrap_or_default();
        Ok(CommitRequest {
            description,
            admins,
            force: force.is_some(),
        })
    }
}

pub fn commit(
    state: &mut SimState,
    req: &ApiRequest,
    admin: &str,
    now: Instant,
) -> Result<Reply, ApiFailure> {
    // pango sends `action=partial` with partial commits; `action=all` is Panorama's push.
    match req.param("action") {
        Some("all") if state.panorama.is_some() => return push(state, req, admin, now),
        Some(action) if action != "partial" => {
            return Err(ApiFailure::new(
                code::INVALID_COMMAND,
                format!("commit action '{action}' is not supported on a firewall"),
            ));
        }
        _ => {}
    }
    let cmd = req.param("cmd").unwrap_or("<commit></commit>");
    let cmd = Element::parse(cmd).map_err(|_| ApiFailure::malformed("Malformed Request"))?;
    let request = CommitRequest::parse(&cmd)?;
    state.locks.check_commit(admin)?;
    let scope = if request.admins.is_empty() {
        if !state.store.pending_changes() && !request.force && !state.jobs.commit_outstanding() {
            return Ok(nothing_to_commit());
        }
        CommitScope::Full {
            snapshot: state.store.candidate().clone(),
            seqs: state.store.all_change_seqs(),
        }
    } else {
        let changes = state.store.changes_by(&request.admins);
        if changes.is_empty() && !request.force {
            return Ok(nothing_to_commit());
        }
        CommitScope::Partial { changes }
    };
    let id = state
        .jobs
        .enqueue(admin, &request.description, JobKind::Commit(scope), now);
    state.stats.commits_enqueued += 1;
    state.advance(now);
    Ok(Reply::ok(response::result(
        Some(code::SUCCESS_READ),
        &format!("<msg><line>Commit job enqueued with jobid {id}</line></msg><job>{id}</job>"),
    )))
}

/// What a `<commit-all>` asks for: the device group, and the firewalls when narrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRequest {
    pub device_group: String,
    pub devices: Vec<String>,
    pub description: String,
}

impl PushRequest {
    /// `<commit-all><shared-policy><device-group><entry name="DG">[<devices>…]</entry>…`, or
    /// pan-python's `<shared-policy><device-group>DG</device-group>…`.
    pub fn parse(cmd: &Element) -> Result<PushRequest, ApiFailure> {
        let unexpected =
            |what: &str| ApiFailure::new(code::INVALID_COMMAND, format!(" {what} is unexpected"));
        if cmd.name != "commit-all" {
            return Err(unexpected(&cmd.name));
        }
        let Some(policy) = cmd.child("shared-policy") else {
            let other = cmd
                .children
                .first()
                .map_or("commit-all", |c| c.name.as_str());
            return Err(ApiFailure::new(
                code::INVALID_COMMAND,
                format!("commit-all {other} is not supported by panos-sim (shared-policy only)"),
            ));
        };
        let group = policy.child("device-group").ok_or_else(|| {
            ApiFailure::new(
                code::INVALID_COMMAND,
                "commit-all -> shared-policy -> device-group is missing",
            )
        })?;
        let (name, devices) = match group.child("entry") {
            Some(entry) => (
                entry.entry_name().unwrap_or_default().to_owned(),
                entry
                    .child("devices")
                    .map(|d| {
                        d.children_named("entry")
                            .filter_map(|e| e.entry_name().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            None => (group.text.trim().to_owned(), Vec::new()),
        };
        if name.is_empty() {
            return Err(ApiFailure::new(
                code::INVALID_COMMAND,
                "commit-all -> shared-policy -> device-group ->  '' needs to be at least 1 character",
            ));
        }
        Ok(PushRequest {
            device_group: name,
            devices,
            description: policy
                .child_text("description")
                .unwrap_or_default()
                .to_owned(),
        })
    }
}

/// Panorama's push: a `CommitAll` job that reaches the firewalls when it runs.
fn push(
    state: &mut SimState,
    req: &ApiRequest,
    admin: &str,
    now: Instant,
) -> Result<Reply, ApiFailure> {
    let cmd = req.param("cmd").unwrap_or("<commit-all/>");
    let cmd = Element::parse(cmd).map_err(|_| ApiFailure::malformed("Malformed Request"))?;
    let request = PushRequest::parse(&cmd)?;
    if !crate::panorama::has_device_group(&state.store.running, &request.device_group) {
        return Err(ApiFailure::new(
            code::INVALID_COMMAND,
            format!(
                "commit-all -> shared-policy -> device-group -> {} is not a valid device group [panos-sim]",
                request.device_group
            ),
        ));
    }
    state.locks.check_commit(admin)?;
    let id = state.jobs.enqueue(
        admin,
        &request.description,
        JobKind::CommitAll {
            device_group: request.device_group,
            devices: request.devices,
        },
        now,
    );
    state.stats.pushes_enqueued += 1;
    state.advance(now);
    Ok(Reply::ok(response::result(
        Some(code::SUCCESS_READ),
        &format!("<msg><line>CommitAll job enqueued with jobid {id}</line></msg><job>{id}</job>"),
    )))
}

fn nothing_to_commit() -> Reply {
    Reply::ok(response::success_msg(
        code::SUCCESS_READ,
        "There are no changes to commit.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> CommitRequest {
        CommitRequest::parse(&Element::parse(xml).expect("valid xml")).expect("commit command")
    }

    #[test]
    fn partial_and_force_in_both_nestings() {
        let flat = parse(
            "<commit><description>d</description><partial><admin><member>bob</member></admin></partial><force/></commit>",
        );
        let nested = parse(
            "<commit><force><description>d</description><partial><admin><member>bob</member></admin></partial></force></commit>",
        );
        for r in [flat, nested] {
            assert_eq!(r.admins, ["bob"]);
            assert!(r.force);
            assert_eq!(r.description, "d");
        }
        let plain = parse("<commit />");
        assert!(plain.admins.is_empty() && !plain.force);
    }

    #[test]
    fn pushes_in_pan_os_python_and_pan_python_shapes() {
        let push = |xml: &str| PushRequest::parse(&Element::parse(xml).expect("valid xml"));
        let narrowed = push(
            r#"<commit-all><shared-policy><device-group><entry name="dg1"><devices><entry name="0001"/></devices></entry></device-group><description>push</description></shared-policy></commit-all>"#,
        )
        .expect("parses");
        assert_eq!(narrowed.device_group, "dg1");
        assert_eq!(narrowed.devices, ["0001"]);
        assert_eq!(narrowed.description, "push");
        let legacy = push(
            "<commit-all><shared-policy><device-group>dg2</device-group><merge-with-candidate-cfg>no</merge-with-candidate-cfg></shared-policy></commit-all>",
        )
        .expect("parses");
        assert_eq!(legacy.device_group, "dg2");
        assert!(legacy.devices.is_empty());
        let empty = push(r#"<commit-all><shared-policy><device-group><entry name=""/></device-group></shared-policy></commit-all>"#)
            .expect_err("an empty name is refused");
        assert!(
            empty.lines[0].contains("needs to be at least 1 character"),
            "{:?}",
            empty.lines
        );
    }
}
