//! The full sync's table: one column per policy mode and their ratio, so the reader sees what
//! the same estate costs as dynamic address groups and as one rule per address.
//!
//! Rendering only: every figure comes from `figures::FleetResults`.

use crate::figures::{FleetResults, ModeSync};
use crate::fleet::SyncRun;
use crate::spread::{Spread, ratio};
use std::fmt::Write;

type Measure = fn(&ModeSync) -> Option<f64>;

/// The median of `field` over the end-to-end runs, when they completed.
fn synced(mode: &ModeSync, field: fn(&SyncRun) -> f64) -> Option<f64> {
    match &mode.end_to_end {
        Some(Ok(runs)) => Spread::of(runs.iter().map(field)).map(|s| s.median),
        _ => None,
    }
}

fn planned(mode: &ModeSync, field: fn(&crate::fleet::PlanShape) -> f64) -> Option<f64> {
    Spread::of(mode.plans.iter().map(field)).map(|s| s.median)
}

const ROWS: &[(&str, Measure, usize)] = &[
    (
        "planner alone, nothing managed yet (ms, median)",
        |m| planned(m, |p| p.elapsed.as_secs_f64() * 1000.0),
        0,
    ),
    (
        "operations planned",
        |m| planned(m, |p| p.operations as f64),
        0,
    ),
    ("rules planned", |m| planned(m, |p| p.rules as f64), 0),
    (
        "address groups planned",
        |m| planned(m, |p| p.address_groups as f64),
        0,
    ),
    (
        "registrations planned",
        |m| planned(m, |p| p.registrations as f64),
        0,
    ),
    (
        "shadow questions (policy matches) needed",
        |m| planned(m, |p| p.queries as f64),
        0,
    ),
    (
        "end to end: wall time (s)",
        |m| synced(m, |r| r.usage.wall.as_secs_f64()),
        1,
    ),
    (
        "end to end: round trips",
        |m| synced(m, |r| r.usage.round_trips as f64),
        0,
    ),
    (
        "end to end: configuration writes",
        |m| synced(m, |r| r.usage.writes as f64),
        0,
    ),
    (
        "end to end: User-ID messages",
        |m| synced(m, |r| r.usage.user_id_messages as f64),
        0,
    ),
    (
        "end to end: policy matches",
        |m| synced(m, |r| r.usage.policy_matches as f64),
        0,
    ),
    (
        "end to end: commits",
        |m| synced(m, |r| r.usage.commits as f64),
        0,
    ),
    (
        "addresses registered on the device after",
        |m| synced(m, |r| r.registered as f64),
        0,
    ),
];

pub fn render(out: &mut String, fleet: &FleetResults) {
    let s = fleet.size;
    let _ = writeln!(
        out,
        "### Full sync: {} instances, {} groups × {} permissions, from a snapshot\n\n\
         End to end against the simulator from a firewall with no managed rule, {} ms per API \
         call, {} ms commit polled every {} ms; median of the runs shown.\n",
        s.instances,
        s.groups,
        s.permissions,
        fleet.costs.api.as_millis(),
        fleet.costs.commit.as_millis(),
        fleet.costs.poll.as_millis()
    );
    let header: Vec<String> = fleet
        .modes
        .iter()
        .map(|m| format!("{} mode", m.mode.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "| measure | {} | ratio |\n|---|{}---|",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for (label, measure, decimals) in ROWS {
        let values: Vec<Option<f64>> = fleet.modes.iter().map(measure).collect();
        let cells: Vec<String> = values
            .iter()
            .map(|v| v.map_or("–".to_owned(), |v| format!("{v:.*}", decimals)))
            .collect();
        let ratio_cell = match values.as_slice() {
            [Some(groups), Some(addresses)] if *groups > 0.0 && *addresses > 0.0 => {
                ratio(*addresses, *groups)
            }
            _ => "–".to_owned(),
        };
        let _ = writeln!(out, "| {label} | {} | {ratio_cell} |", cells.join(" | "));
    }
    let _ = writeln!(out, "\nRatio: address mode / group mode.\n");
    for mode in &fleet.modes {
        match &mode.end_to_end {
            Some(Err(why)) => {
                let _ = writeln!(
                    out,
                    "End to end in {} mode did not complete: {}\n",
                    mode.mode.as_str(),
                    why.replace('|', "/")
                );
            }
            None => {
                let _ = writeln!(out, "End to end in {} mode: skipped.\n", mode.mode.as_str());
            }
            Some(Ok(_)) => {}
        }
    }
}
