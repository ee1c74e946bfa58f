//! The machine the figures were taken on, read from /proc: cores, memory, CPU model, kernel.

use std::path::Path;
use std::process::Command;

pub fn describe() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpu = first_value("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown CPU".into());
    let memory = first_value("/proc/meminfo", "MemTotal")
        .and_then(|kib| kib.trim_end_matches(" kB").trim().parse::<u64>().ok())
        .map_or_else(
            || "unknown memory".to_owned(),
            |kib| format!("{:.1} GiB RAM", kib as f64 / 1024.0 / 1024.0),
        );
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    format!("{cores} cores ({cpu}), {memory}, Linux {kernel}")
}

/// `Python 3.11.7`, or `None`.
pub fn python_version(python: &Path) -> Option<String> {
    let output = Command::new(python).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn first_value(file: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim() == key)
        .map(|(_, value)| value.trim().to_owned())
}
