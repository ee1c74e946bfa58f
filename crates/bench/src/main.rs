//! `bench`: palosync measured against the original Lambda's algorithm and the physical floor,
//! on an in-process PAN-OS simulator with injected costs, plus log parsing and cold start
//! against Python baselines run in the same process tree. Prints a Markdown table; `--write
//! FILE` also puts it between the result markers of FILE (BENCHMARKS.md).
//!
//! `cargo run --profile bench -p bench -- all [--api-ms 20] [--commit-ms 10000] [--runs 5]`
//!
//! This binary never contacts anything but 127.0.0.1; it is not run by the test command.

mod burst;
mod burst_runs;
mod coldstart;
mod device;
mod figures;
mod fit;
mod fleet;
mod fleet_report;
mod floor;
mod legacy;
mod logparse;
mod machine;
mod memory;
mod palosync_strategy;
mod report;
mod report_modes;
mod runtime_api;
mod spread;
mod start;
mod topology;

use anyhow::Result;
use clap::{Parser, Subcommand};
use device::Costs;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(name = "bench", about = "palosync benchmarks: see BENCHMARKS.md")]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Every scenario, one table.
    All(Options),
    /// 50 events over 20 instances and 5 groups: palosync vs legacy vs floor.
    Burst(Options),
    /// One StartInstances event to enforced, with a realistic commit, in each mode.
    Start(Options),
    /// Full sync of 5,000 instances / 500 groups from a snapshot, in each mode.
    FullSync(Options),
    /// Managed rule counts per mode against the device tiers.
    Fit(Options),
    /// Peak RSS of planning the full-sync estate in each mode (a child process each).
    Memory(Options),
    /// Parsing a generated CloudTrail log file against the original's Python loop.
    Log(Options),
    /// Process start to first handled event, palosync vs a Python handler importing boto3.
    ColdStart(Options),
    /// Internal: parse one log file in this process and print a JSON line.
    #[command(hide = true)]
    ParseLog { path: PathBuf },
    /// Internal: plan the full-sync estate in this process in a mode and print a JSON line.
    #[command(hide = true)]
    PlanEstate {
        mode: String,
        instances: u32,
        groups: u32,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Injected cost of every firewall API call, in milliseconds.
    #[arg(long, default_value_t = 20)]
    api_ms: u64,
    /// Injected duration of a commit, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    commit_ms: u64,
    /// Injected duration of a commit in the instance-start scenario only (a realistic
    /// device's; the other scenarios use --commit-ms).
    #[arg(long, default_value_t = 30_000)]
    start_commit_ms: u64,
    /// How often clients poll a commit job; default a fifth of the commit (2 s for 10 s, as
    /// palosync's default poll interval).
    #[arg(long)]
    poll_ms: Option<u64>,
    /// Runs per measurement (median, min and max are reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Runs of the legacy strategy in the burst (default: --runs); it is the slowest part.
    #[arg(long)]
    legacy_runs: Option<usize>,
    /// Smaller everything (1 run, 10 MiB log, 1,000-instance fleet): a smoke test.
    #[arg(long)]
    quick: bool,
    /// Instances of the full-sync estate (default 5,000; 1,000 with --quick).
    #[arg(long)]
    instances: Option<u32>,
    /// Security groups of the full-sync estate (default 500; 100 with --quick).
    #[arg(long)]
    groups: Option<u32>,
    /// Size of the generated CloudTrail log, in MiB.
    #[arg(long, default_value_t = 100)]
    log_mib: u64,
    /// Python for the baselines (default: $PALOSYNC_VENV/bin/python, a palosync test venv
    /// with boto3, else python3 from PATH).
    #[arg(long)]
    python: Option<PathBuf>,
    /// The palosync binary for the cold start (default: next to this one, built if missing).
    #[arg(long)]
    palosync: Option<PathBuf>,
    /// End-to-end full syncs per mode (each writes the whole estate into a fresh simulator).
    #[arg(long, default_value_t = 1)]
    sync_runs: usize,
    /// Wall-time budget of one end-to-end full sync, in seconds; past it the run is reported as
    /// not completed (so the whole benchmark run stays bounded).
    #[arg(long, default_value_t = 900)]
    sync_budget_s: u64,
    /// Skip the end-to-end full sync against the simulator (the planner alone still runs).
    #[arg(long)]
    no_sync_end_to_end: bool,
    /// Also write the table between the result markers of this file.
    #[arg(long)]
    write: Option<PathBuf>,
}

impl Options {
    pub fn costs(&self) -> Costs {
        let commit = Duration::from_millis(self.commit_ms);
        Costs {
            api: Duration::from_millis(self.api_ms),
            commit,
            poll: self
                .poll_ms
                .map_or(commit / 5, Duration::from_millis)
                .max(Duration::from_millis(1)),
        }
    }

    /// The costs of the instance-start scenario: `--start-commit-ms`, polled every fifth of it
    /// unless `--poll-ms` says otherwise.
    pub fn start_costs(&self) -> Costs {
        Options {
            commit_ms: self.start_commit_ms,
            ..self.clone()
        }
        .costs()
    }

    pub fn runs(&self) -> usize {
        if self.quick { 1 } else { self.runs.max(1) }
    }

    pub fn legacy_runs(&self) -> usize {
        if self.quick {
            1
        } else {
            self.legacy_runs.unwrap_or(self.runs).max(1)
        }
    }

    pub fn log_mib(&self) -> u64 {
        if self.quick { 10 } else { self.log_mib }
    }

    pub fn fleet(&self) -> fleet::FleetSize {
        let size = if self.quick {
            fleet::FleetSize {
                instances: 1_000,
                groups: 100,
                permissions: 20,
            }
        } else {
            fleet::FleetSize::FULL
        };
        fleet::FleetSize {
            instances: self.instances.unwrap_or(size.instances),
            groups: self.groups.unwrap_or(size.groups).max(1),
            ..size
        }
    }
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let (options, wanted) = match cli.scenario {
        Scenario::ParseLog { path } => return logparse::parse_in_this_process(&path),
        Scenario::PlanEstate {
            mode,
            instances,
            groups,
        } => return memory::plan_in_this_process(&mode, instances, groups),
        Scenario::Start(o) => (o, figures::Wanted::only(figures::Part::Start)),
        Scenario::Fit(o) => (o, figures::Wanted::only(figures::Part::Fit)),
        Scenario::Memory(o) => (o, figures::Wanted::only(figures::Part::Memory)),
        Scenario::All(o) => (o, figures::Wanted::all()),
        Scenario::Burst(o) => (o, figures::Wanted::only(figures::Part::Burst)),
        Scenario::FullSync(o) => (o, figures::Wanted::only(figures::Part::FullSync)),
        Scenario::Log(o) => (o, figures::Wanted::only(figures::Part::Log)),
        Scenario::ColdStart(o) => (o, figures::Wanted::only(figures::Part::ColdStart)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let results = runtime.block_on(figures::measure(&options, wanted))?;
    let table = report::render(&options, &results);
    println!("{table}");
    if let Some(path) = &options.write {
        report::write_between_markers(path, &table)?;
        eprintln!("wrote the table into {}", path.display());
    }
    Ok(())
}
