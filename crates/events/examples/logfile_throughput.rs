//! Measures parsing a large CloudTrail log file: throughput and peak resident memory.
//!
//! Generates a log of SIZE_MB (default 100) MiB, plain and gzip, in a temporary directory
//! (1,000 StartInstances records we act on, the rest other services', read-only and
//! not-acted-on EC2 records), then parses each file in a fresh child process so that each
//! peak RSS (VmHWM) is that parse's alone.
//!
//! `cargo run --release -p events --example logfile_throughput [-- SIZE_MB]`

#[path = "../tests/support/synthetic_log.rs"]
mod synthetic_log;

use events::{EventFilter, parse_log_file};
use flate2::{Compression, write::GzEncoder};
use std::error::Error;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;
use std::process::Command;
use std::time::Instant;
use synthetic_log::SyntheticLog;

const MIB: u64 = 1024 * 1024;
const RELEVANT: u64 = 1_000;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, path, uncompressed] = args.as_slice()
        && flag == "--parse"
    {
        return parse_and_report(Path::new(path), uncompressed.parse()?);
    }
    let size_mib: u64 = args
        .get(1)
        .map(|size| size.parse())
        .transpose()?
        .unwrap_or(100);
    let dir = std::env::temp_dir().join(format!("palosync-events-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let plain = dir.join("log.json");
    let gzip = dir.join("log.json.gz");

    let mut log = SyntheticLog::new(size_mib * MIB, RELEVANT);
    let uncompressed = io::copy(&mut log, &mut BufWriter::new(File::create(&plain)?))?;
    let mut encoder = GzEncoder::new(BufWriter::new(File::create(&gzip)?), Compression::default());
    io::copy(
        &mut SyntheticLog::new(size_mib * MIB, RELEVANT),
        &mut encoder,
    )?;
    encoder.finish()?;
    println!(
        "generated {} records, {uncompressed} bytes ({:.1} MiB) plain, {} bytes gzip",
        log.records(),
        uncompressed as f64 / MIB as f64,
        std::fs::metadata(&gzip)?.len()
    );

    let me = std::env::current_exe()?;
    for path in [&plain, &gzip] {
        let status = Command::new(&me)
            .arg("--parse")
            .arg(path)
            .arg(uncompressed.to_string())
            .status()?;
        if !status.success() {
            return Err(format!("parsing {} failed: {status}", path.display()).into());
        }
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn parse_and_report(path: &Path, uncompressed: u64) -> Result<(), Box<dyn Error>> {
    let baseline = peak_rss_kib()?;
    let started = Instant::now();
    let ingest = parse_log_file(File::open(path)?, &EventFilter::any())?;
    let seconds = started.elapsed().as_secs_f64();
    let peak = peak_rss_kib()?;
    println!(
        "{}: {:.2} s, {:.0} MiB/s of JSON, {} triggers, {} skips listed, {} tallied; \
         peak RSS {} KiB ({} KiB before parsing)",
        path.file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("log"),
        seconds,
        uncompressed as f64 / MIB as f64 / seconds,
        ingest.triggers.len(),
        ingest.skips.len(),
        ingest.tallied_skips(),
        peak,
        baseline
    );
    Ok(())
}

fn peak_rss_kib() -> Result<u64, Box<dyn Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .ok_or("no VmHWM in /proc/self/status")?;
    Ok(kib.parse()?)
}
