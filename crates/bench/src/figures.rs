//! Runs the wanted scenarios the wanted number of times and keeps every sample; rendering is
//! the report's job. Progress goes to standard error so the table on standard output stays
//! clean.

use crate::Options;
use crate::burst::Burst;
use crate::burst_runs::{self, Strategy};
use crate::coldstart::{self, StartTimes};
use crate::device::{Costs, Usage};
use crate::fleet::{self, FleetSize, PlanShape};
use crate::logparse::{self, LogFiles, Parse};
use crate::start::StartStrategy;
use anyhow::Result;
use model::PolicyMode;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Burst,
    Start,
    FullSync,
    Fit,
    Memory,
    Log,
    ColdStart,
}

#[derive(Debug, Clone)]
pub struct Wanted(Vec<Part>);

impl Wanted {
    pub fn all() -> Self {
        Self(vec![
            Part::Burst,
            Part::Start,
            Part::FullSync,
            Part::Fit,
            Part::Memory,
            Part::Log,
            Part::ColdStart,
        ])
    }
    pub fn only(part: Part) -> Self {
        Self(vec![part])
    }
    fn has(&self, part: Part) -> bool {
        self.0.contains(&part)
    }
}

#[derive(Debug, Default)]
pub struct Results {
    pub burst: Option<BurstResults>,
    pub start: Option<StartResults>,
    pub fleet: Option<FleetResults>,
    pub fit: Option<Vec<crate::fit::Fit>>,
    pub memory: Option<MemoryResults>,
    pub log: Option<LogResults>,
    pub cold_start: Option<ColdStartResults>,
    pub seconds: f64,
}

#[derive(Debug)]
pub struct BurstResults {
    pub costs: Costs,
    pub runs: Vec<(Strategy, Vec<Usage>)>,
    /// Both palosync deliveries in both modes left the firewall enforcing exactly the same
    /// allowances (a dynamic address group counted as its registered members).
    pub palosync_deliveries_agree: bool,
    /// Allowances legacy left enforced that palosync's end state does not hold, and the reverse.
    pub legacy_extra: usize,
    pub legacy_missing: usize,
}

/// The policy modes every palosync scenario runs in, in table order.
pub const MODES: [PolicyMode; 2] = [PolicyMode::Groups, PolicyMode::Addresses];

#[derive(Debug)]
pub struct FleetResults {
    pub size: FleetSize,
    pub costs: Costs,
    pub modes: Vec<ModeSync>,
}

/// The full sync in one policy mode.
#[derive(Debug)]
pub struct ModeSync {
    pub mode: PolicyMode,
    pub plans: Vec<PlanShape>,
    /// `None` when skipped; the error when the sync could not complete.
    pub end_to_end: Option<Result<Vec<fleet::SyncRun>, String>>,
}

/// Instance start to enforced, per strategy.
#[derive(Debug)]
pub struct StartResults {
    pub costs: Costs,
    pub runs: Vec<(StartStrategy, Vec<Usage>)>,
}

/// Peak RSS of planning the full-sync estate, per mode (every run).
#[derive(Debug)]
pub struct MemoryResults {
    pub size: FleetSize,
    pub modes: Vec<(PolicyMode, Vec<crate::memory::PlanMemory>)>,
}

#[derive(Debug)]
pub struct LogResults {
    pub json_bytes: u64,
    pub gzip_bytes: u64,
    pub records: u64,
    pub palosync_plain: Vec<Parse>,
    pub palosync_gzip: Vec<Parse>,
    /// `None` when no Python was found.
    pub original_plain: Option<Vec<Parse>>,
    pub original_gzip: Option<Vec<Parse>>,
    pub python: Option<PathBuf>,
}

#[derive(Debug)]
pub struct ColdStartResults {
    pub palosync: Vec<StartTimes>,
    /// (import boto3 only, as the original: plus the ec2 and s3 resources), or why skipped.
    pub python: Result<(Vec<StartTimes>, Vec<StartTimes>), String>,
    pub python_path: Option<PathBuf>,
}

pub async fn measure(options: &Options, wanted: Wanted) -> Result<Results> {
    let started = Instant::now();
    let mut results = Results::default();
    if wanted.has(Part::Burst) {
        results.burst = Some(burst(options).await?);
    }
    if wanted.has(Part::Start) {
        results.start = Some(start(options).await?);
    }
    if wanted.has(Part::FullSync) {
        results.fleet = Some(full_sync(options).await?);
    }
    if wanted.has(Part::Fit) {
        results.fit = Some(crate::fit::measure(options.fleet())?);
    }
    if wanted.has(Part::Memory) {
        results.memory = Some(memory(options)?);
    }
    if wanted.has(Part::Log) {
        results.log = Some(log(options)?);
    }
    if wanted.has(Part::ColdStart) {
        results.cold_start = Some(cold_start(options)?);
    }
    results.seconds = started.elapsed().as_secs_f64();
    Ok(results)
}

async fn burst(options: &Options) -> Result<BurstResults> {
    let burst = Burst::generate();
    let costs = options.costs();
    let mut runs = Vec::new();
    let mut ends = Vec::new();
    for strategy in Strategy::ALL {
        let count = match strategy {
            Strategy::Legacy => options.legacy_runs(),
            _ => options.runs(),
        };
        let mut samples = Vec::new();
        for run in 1..=count {
            let done = burst_runs::run(strategy, &burst, costs).await?;
            eprintln!(
                "burst: {} run {run}/{count}: {} round trips, {} commits, {:.1} s",
                strategy.label(),
                done.usage.round_trips,
                done.usage.commits,
                done.usage.wall.as_secs_f64()
            );
            samples.push(done.usage);
            if run == 1 {
                eprintln!(
                    "burst: {} enforces {} allowances",
                    strategy.label(),
                    done.enforced.len()
                );
                ends.push((strategy, done.enforced));
            }
        }
        runs.push((strategy, samples));
    }
    let end = |wanted: Strategy| {
        ends.iter()
            .find(|(s, _)| *s == wanted)
            .map(|(_, e)| e)
            .ok_or_else(|| anyhow::anyhow!("{} ran", wanted.label()))
    };
    let reference = end(Strategy::PalosyncBatch(PolicyMode::Addresses))?;
    let legacy = end(Strategy::Legacy)?;
    Ok(BurstResults {
        costs,
        runs,
        palosync_deliveries_agree: ends
            .iter()
            .filter(|(s, _)| *s != Strategy::Legacy)
            .all(|(_, e)| e == reference),
        legacy_extra: legacy.difference(reference).count(),
        legacy_missing: reference.difference(legacy).count(),
    })
}

async fn start(options: &Options) -> Result<StartResults> {
    let costs = options.start_costs();
    let count = options.runs().min(3);
    let mut runs = Vec::new();
    for strategy in StartStrategy::ALL {
        let mut samples = Vec::new();
        for run in 1..=count {
            let usage = crate::start::run(strategy, costs).await?;
            eprintln!(
                "start: {} run {run}/{count}: {} round trips, {} commits, {:.2} s",
                strategy.label(),
                usage.round_trips,
                usage.commits,
                usage.wall.as_secs_f64()
            );
            samples.push(usage);
        }
        runs.push((strategy, samples));
    }
    Ok(StartResults { costs, runs })
}

fn memory(options: &Options) -> Result<MemoryResults> {
    let size = options.fleet();
    let mut modes = Vec::new();
    for mode in MODES {
        let mut samples = Vec::new();
        for _ in 0..options.runs().min(3) {
            let m = crate::memory::measure(mode, size)?;
            eprintln!(
                "memory ({}): peak {} KiB, {:.2} s",
                mode.as_str(),
                m.peak_kib,
                m.seconds
            );
            samples.push(m);
        }
        modes.push((mode, samples));
    }
    Ok(MemoryResults { size, modes })
}

async fn full_sync(options: &Options) -> Result<FleetResults> {
    let size = options.fleet();
    let topology = fleet::topology(size);
    let costs = options.costs();
    let mut modes = Vec::new();
    for mode in MODES {
        let mut plans = Vec::new();
        for run in 1..=options.runs() {
            let plan = fleet::plan_alone(&topology, mode)?;
            eprintln!(
                "full sync ({}): planner run {run}: {} operations in {:.0} ms",
                mode.as_str(),
                plan.operations,
                plan.elapsed.as_secs_f64() * 1000.0
            );
            plans.push(plan);
        }
        let end_to_end = if options.no_sync_end_to_end {
            None
        } else {
            let budget = std::time::Duration::from_secs(options.sync_budget_s);
            Some(sync_runs(&topology, mode, costs, options.sync_runs.max(1), budget).await)
        };
        modes.push(ModeSync {
            mode,
            plans,
            end_to_end,
        });
    }
    Ok(FleetResults { size, costs, modes })
}

/// `runs` end-to-end syncs in `mode`, or why one failed.
async fn sync_runs(
    topology: &model::Topology,
    mode: PolicyMode,
    costs: Costs,
    runs: usize,
    budget: std::time::Duration,
) -> Result<Vec<fleet::SyncRun>, String> {
    let mut samples = Vec::new();
    for run in 1..=runs {
        let sync = fleet::sync_end_to_end(topology, mode, costs);
        let Ok(outcome) = tokio::time::timeout(budget, sync).await else {
            let why = format!("did not complete within the {} s budget", budget.as_secs());
            eprintln!("full sync ({}): end to end {why}", mode.as_str());
            return Err(why);
        };
        match outcome {
            Ok(done) => {
                eprintln!(
                    "full sync ({}): end to end run {run}: {} round trips, {:.1} s",
                    mode.as_str(),
                    done.usage.round_trips,
                    done.usage.wall.as_secs_f64()
                );
                samples.push(done);
            }
            Err(error) => {
                eprintln!(
                    "full sync ({}): end to end failed: {error:#}",
                    mode.as_str()
                );
                return Err(format!("{error:#}"));
            }
        }
    }
    Ok(samples)
}

fn log(options: &Options) -> Result<LogResults> {
    let files: LogFiles = logparse::generate(options.log_mib())?;
    eprintln!(
        "log: generated {} records, {} bytes of JSON, {} bytes gzip",
        files.records, files.json_bytes, files.gzip_bytes
    );
    let python = python_for_baselines(options);
    let script = match &python {
        Some(_) => Some(logparse::write_original_script(
            files.plain.parent().unwrap_or(Path::new(".")),
        )?),
        None => None,
    };
    let mut results = LogResults {
        json_bytes: files.json_bytes,
        gzip_bytes: files.gzip_bytes,
        records: files.records,
        palosync_plain: Vec::new(),
        palosync_gzip: Vec::new(),
        original_plain: python.as_ref().map(|_| Vec::new()),
        original_gzip: python.as_ref().map(|_| Vec::new()),
        python: python.clone(),
    };
    for run in 1..=options.runs() {
        results
            .palosync_plain
            .push(logparse::palosync_parse(&files.plain)?);
        results
            .palosync_gzip
            .push(logparse::palosync_parse(&files.gzip)?);
        if let (Some(python), Some(script)) = (&python, &script) {
            let plain = logparse::original_parse(python, script, &files.plain)?;
            let gzip = logparse::original_parse(python, script, &files.gzip)?;
            results.original_plain.get_or_insert_default().push(plain);
            results.original_gzip.get_or_insert_default().push(gzip);
        }
        eprintln!("log: run {run}/{} done", options.runs());
    }
    Ok(results)
}

fn cold_start(options: &Options) -> Result<ColdStartResults> {
    let binary = match &options.palosync {
        Some(path) => path.clone(),
        None => coldstart::palosync_binary()?,
    };
    let runs = options.runs().max(3);
    let mut palosync = Vec::new();
    for _ in 0..runs {
        palosync.push(coldstart::palosync(&binary)?);
    }
    let python_path = python_for_baselines(options);
    let python = match &python_path {
        None => Err("no Python 3 found".to_owned()),
        Some(python) if !coldstart::has_boto3(python) => {
            Err(format!("{} cannot import boto3", python.display()))
        }
        Some(python) => {
            let dir = std::env::temp_dir().join(format!("palosync-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let handler = dir.join("python_handler.py");
            std::fs::write(&handler, coldstart::PYTHON_HANDLER)?;
            let mut import_only = Vec::new();
            let mut original = Vec::new();
            for _ in 0..runs {
                import_only.push(coldstart::python(python, &handler, "import")?);
                original.push(coldstart::python(python, &handler, "original")?);
            }
            let _ = std::fs::remove_dir_all(&dir);
            Ok((import_only, original))
        }
    };
    eprintln!("cold start: {runs} runs each done");
    Ok(ColdStartResults {
        palosync,
        python,
        python_path,
    })
}

/// `--python`, else the test venv (`$PALOSYNC_VENV`, or one under ~/.cache/palosync with
/// boto3), else `python3` from PATH; `None` when none runs.
fn python_for_baselines(options: &Options) -> Option<PathBuf> {
    if let Some(python) = &options.python {
        return Some(python.clone());
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(venv) = std::env::var_os("PALOSYNC_VENV") {
        candidates.push(PathBuf::from(venv).join("bin/python"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        let cache = PathBuf::from(home).join(".cache/palosync");
        if let Ok(entries) = std::fs::read_dir(&cache) {
            let mut venvs: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path().join("bin/python"))
                .filter(|p| p.exists())
                .collect();
            venvs.sort();
            candidates.extend(venvs.into_iter().filter(|p| coldstart::has_boto3(p)));
        }
    }
    candidates.push(PathBuf::from("python3"));
    candidates.into_iter().find(|python| {
        std::process::Command::new(python)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}
