//! Peak memory of planning the full-sync estate in each policy mode: each plan in its own
//! child process (this binary, `plan-estate`), which reports its own peak RSS (VmHWM), as the
//! log-parse scenario does. A Lambda's memory setting caps that figure.

use crate::fleet::{self, FleetSize};
use crate::logparse::{peak_rss_kib, status_kib};
use anyhow::{Context, Result, bail};
use model::PolicyMode;
use serde_json::{Value, json};
use std::process::Command;

/// What one child measured.
#[derive(Debug, Clone, Copy)]
pub struct PlanMemory {
    /// Peak RSS of the whole process, topology generation included.
    pub peak_kib: u64,
    /// RSS just before planning (the topology and the process itself).
    pub before_kib: u64,
    pub seconds: f64,
    pub operations: usize,
}

pub fn mode_name(mode: PolicyMode) -> &'static str {
    mode.as_str()
}

fn parse_mode(name: &str) -> Result<PolicyMode> {
    match name {
        "groups" => Ok(PolicyMode::Groups),
        "addresses" => Ok(PolicyMode::Addresses),
        other => bail!("unknown mode {other:?}"),
    }
}

/// The child's side: generate the estate, plan it, print one JSON line.
pub fn plan_in_this_process(mode: &str, instances: u32, groups: u32) -> Result<()> {
    let mode = parse_mode(mode)?;
    let topology = fleet::topology(FleetSize {
        instances,
        groups,
        permissions: 20,
    });
    let before = status_kib("VmRSS")?;
    let plan = fleet::plan_alone(&topology, mode)?;
    println!(
        "{}",
        json!({"peak_rss_kib": peak_rss_kib()?, "before_kib": before,
               "seconds": plan.elapsed.as_secs_f64(), "operations": plan.operations})
    );
    Ok(())
}

/// The parent's side: one child per measurement.
pub fn measure(mode: PolicyMode, size: FleetSize) -> Result<PlanMemory> {
    let output = Command::new(std::env::current_exe()?)
        .args(["plan-estate", mode_name(mode)])
        .arg(size.instances.to_string())
        .arg(size.groups.to_string())
        .output()?;
    if !output.status.success() {
        bail!(
            "plan-estate {} failed: {}",
            mode_name(mode),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let line: Value = serde_json::from_slice(&output.stdout)?;
    let number = |key: &str| {
        line[key]
            .as_f64()
            .with_context(|| format!("{key} in {line}"))
    };
    Ok(PlanMemory {
        peak_kib: number("peak_rss_kib")? as u64,
        before_kib: number("before_kib")? as u64,
        seconds: number("seconds")?,
        operations: number("operations")? as usize,
    })
}
