//! Parsing and filtering a large CloudTrail log file: palosync's streaming parser
//! (`events::parse_log_file`) against what the original did (`gzip` + `json.loads` of the whole
//! file + a loop over `Records`), each in its own child process so that each peak RSS (VmHWM)
//! is that parse's alone. Same file, same machine, same run.

#[path = "../../events/tests/support/synthetic_log.rs"]
mod synthetic_log;

use anyhow::{Context, Result, bail};
use events::{EventFilter, parse_log_file};
use flate2::{Compression, write::GzEncoder};
use serde_json::{Value, json};
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use synthetic_log::SyntheticLog;

pub const MIB: u64 = 1024 * 1024;
/// Records we act on (StartInstances); the rest are the usual bulk of a trail.
const RELEVANT: u64 = 1_000;
const ORIGINAL_SCRIPT: &str = include_str!("baselines/original_logparse.py");

/// One parse: seconds spent parsing, and the process's peak resident memory.
#[derive(Debug, Clone, Copy)]
pub struct Parse {
    pub seconds: f64,
    pub peak_rss_kib: u64,
}

/// The generated files, removed on drop.
#[derive(Debug)]
pub struct LogFiles {
    dir: PathBuf,
    pub plain: PathBuf,
    pub gzip: PathBuf,
    /// Bytes of JSON (the plain file's size).
    pub json_bytes: u64,
    pub gzip_bytes: u64,
    pub records: u64,
}

impl Drop for LogFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn generate(size_mib: u64) -> Result<LogFiles> {
    let dir = std::env::temp_dir().join(format!("palosync-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let plain = dir.join("log.json");
    let gzip = dir.join("log.json.gz");
    let mut log = SyntheticLog::new(size_mib * MIB, RELEVANT);
    let json_bytes = io::copy(&mut log, &mut BufWriter::new(File::create(&plain)?))?;
    let mut encoder = GzEncoder::new(BufWriter::new(File::create(&gzip)?), Compression::default());
    io::copy(&mut File::open(&plain)?, &mut encoder)?;
    encoder.finish()?;
    Ok(LogFiles {
        gzip_bytes: std::fs::metadata(&gzip)?.len(),
        records: log.records(),
        dir,
        plain,
        gzip,
        json_bytes,
    })
}

/// The child side (`bench parse-log FILE`): parse, print one JSON line.
pub fn parse_in_this_process(path: &Path) -> Result<()> {
    let started = Instant::now();
    let ingest = parse_log_file(File::open(path)?, &EventFilter::any())?;
    let seconds = started.elapsed().as_secs_f64();
    if ingest.triggers.len() as u64 != RELEVANT {
        bail!(
            "expected {RELEVANT} triggers, found {}",
            ingest.triggers.len()
        );
    }
    println!(
        "{}",
        json!({"seconds": seconds, "peak_rss_kib": peak_rss_kib()?, "kept": ingest.triggers.len()})
    );
    Ok(())
}

pub fn palosync_parse(path: &Path) -> Result<Parse> {
    let me = std::env::current_exe()?;
    child_parse(Command::new(me).arg("parse-log").arg(path))
}

pub fn original_parse(python: &Path, script: &Path, path: &Path) -> Result<Parse> {
    child_parse(Command::new(python).arg(script).arg(path))
}

/// Writes the original's parsing loop where Python can run it.
pub fn write_original_script(dir: &Path) -> Result<PathBuf> {
    let script = dir.join("original_logparse.py");
    std::fs::write(&script, ORIGINAL_SCRIPT)?;
    Ok(script)
}

fn child_parse(command: &mut Command) -> Result<Parse> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let line: Value = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("{command:?} printed no JSON line"))?;
    let kept = line["kept"].as_u64().unwrap_or(0);
    if kept != RELEVANT {
        bail!("{command:?} kept {kept} records, expected {RELEVANT}");
    }
    Ok(Parse {
        seconds: line["seconds"].as_f64().context("seconds")?,
        peak_rss_kib: line["peak_rss_kib"].as_u64().context("peak_rss_kib")?,
    })
}

pub fn peak_rss_kib() -> Result<u64> {
    status_kib("VmHWM")
}

/// A `kB` figure of `/proc/self/status` (`VmHWM`, `VmRSS`).
pub fn status_kib(field: &str) -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next())
        .with_context(|| format!("no {field} in /proc/self/status"))?;
    Ok(kib.parse()?)
}
