//! The demo's second act, and the tally behind its summary: the same firewall in group mode.

use super::{DemoError, WEB, api_call_event, print_step, set_web_state, snapshot_source};
use crate::app::{App, Work};
use crate::firewall::CommitReport;
use crate::report::Report;
use model::{InstanceState, PolicyMode, Topology};
use serde_json::json;
use std::io::Write;
use std::time::{Duration, Instant};

/// Act two: the same firewall in group mode. One sync turns the address rules into a rule per
/// permission whose destination is the group's dynamic address group; then the web server stops
/// and starts again, each only a User-ID registration: no commit.
pub(super) async fn group_act(
    out: &mut impl Write,
    app: &mut App,
    topology: &mut Topology,
    tally: &mut Tally,
) -> Result<(), DemoError> {
    writeln!(
        out,
        "\nAct two: group mode (PALOSYNC_MODE=groups), the web server running again."
    )?;
    app.config.policy = app.config.policy.clone().with_mode(PolicyMode::Groups);
    set_web_state(topology, InstanceState::Running);
    let steps: [(&str, Option<(&str, InstanceState)>); 3] = [
        (
            "one sync switches modes: a rule per permission, members in a dynamic address group",
            None,
        ),
        (
            "alice stops the web server (StopInstances)",
            Some(("StopInstances", InstanceState::Stopped)),
        ),
        (
            "alice starts it again (StartInstances)",
            Some(("StartInstances", InstanceState::Running)),
        ),
    ];
    for (number, (title, event)) in steps.into_iter().enumerate() {
        writeln!(out, "\n{}. {title}", number + 6)?;
        let work = match event {
            None => Work::Everything(model::Provenance::sync("demo")),
            Some((event_name, state)) => {
                set_web_state(topology, state);
                let request = json!({"instancesSet": {"items": [{"instanceId": WEB}]}});
                let payload = api_call_event(event_name, "alice", 100 + number, request);
                let bytes = payload.to_string();
                Work::Ingest(events::parse_payload(
                    bytes.as_bytes(),
                    &app.event_filter(),
                )?)
            }
        };
        app.topology = snapshot_source(topology);
        let deadline = Instant::now() + Duration::from_secs(30);
        let (report, result) = app.run("demo", work, false, deadline).await;
        print_step(out, &report)?;
        tally.group_rules += rule_changes(&report);
        tally.registrations += report
            .execution
            .as_ref()
            .map_or(0, |e| e.plan.registrations.len());
        result?;
    }
    Ok(())
}

/// What the story cost, for the summary.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub address_rules: usize,
    pub address_commits: usize,
    pub group_rules: usize,
    pub registrations: usize,
}

pub(super) fn rule_changes(report: &Report) -> usize {
    report
        .operations()
        .iter()
        .filter(|op| {
            matches!(
                op,
                planner::Operation::CreateRule { .. }
                    | planner::Operation::ReplaceRule { .. }
                    | planner::Operation::DeleteRule { .. }
            )
        })
        .count()
}

pub(super) fn committed(report: &Report) -> bool {
    matches!(report.commit(), Some(CommitReport::Committed { .. }))
}
