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
    if req.param("action") == Some("all") {
        return crate::commit_all::enqueue(state, req, admin, now);
    }
    if let Some(action) = req.param("action").filter(|a| *a != "partial") {
        return Err(ApiFailure::new(
            code::INVALID_COMMAND,
            format!("commit action '{action}' is not supported on a firewall"),
        ));
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
}
