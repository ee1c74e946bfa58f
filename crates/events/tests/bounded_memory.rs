//! Scenario: a trail delivers a log file of tens of MB, almost all of it other services' and
//! read-only records. Parsing it must stream: peak memory may depend on the few records we act
//! on, never on the number of irrelevant ones.
//!
//! Peak resident memory (VmHWM, Linux) only rises, so the test parses a small log first and
//! then one twenty times larger with the same relevant records, and bounds the rise. This file
//! holds one test so that no other test shares the process.

mod support;

use events::{EventFilter, Ingest, parse_log_file};
use flate2::{Compression, read::GzEncoder};
use support::synthetic_log::SyntheticLog;

const MIB: u64 = 1024 * 1024;
const RELEVANT: u64 = 50;
/// Itemising each irrelevant record as a skip (~150 bytes) would exceed this several times over,
/// and buffering the file would exceed it by an order of magnitude.
const ALLOWED_RISE_KIB: u64 = 2 * 1024;

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc/self/status");
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .expect("VmHWM line");
    line.split_whitespace()
        .nth(1)
        .and_then(|kib| kib.parse().ok())
        .expect("VmHWM value in kB")
}

fn parse(log: impl std::io::Read) -> Ingest {
    parse_log_file(log, &EventFilter::any()).expect("synthetic log parses")
}

#[test]
fn peak_memory_does_not_grow_with_irrelevant_records() {
    let small = parse(SyntheticLog::new(2 * MIB, RELEVANT));
    let small_gzip = parse(GzEncoder::new(
        SyntheticLog::new(2 * MIB, RELEVANT),
        Compression::fast(),
    ));
    let before = peak_rss_kib();

    let large = parse(SyntheticLog::new(40 * MIB, RELEVANT));
    let after_plain = peak_rss_kib();
    let large_gzip = parse(GzEncoder::new(
        SyntheticLog::new(40 * MIB, RELEVANT),
        Compression::fast(),
    ));
    let after_gzip = peak_rss_kib();

    for ingest in [&small, &small_gzip, &large, &large_gzip] {
        assert_eq!(ingest.triggers.len() as u64, RELEVANT);
        assert!(ingest.skips.is_empty());
    }
    assert_eq!(small, small_gzip);
    assert_eq!(large, large_gzip);
    let irrelevant = |ingest: &Ingest| ingest.skips.len() as u64 + ingest.tallied_skips();
    assert!(
        irrelevant(&large) > 15 * irrelevant(&small),
        "the large log has many more irrelevant records ({} vs {})",
        irrelevant(&large),
        irrelevant(&small)
    );
    eprintln!(
        "peak RSS: {before} KiB after 2 MiB logs, {after_plain} KiB after 40 MiB plain, \
         {after_gzip} KiB after 40 MiB gzip ({} irrelevant records)",
        irrelevant(&large)
    );
    assert!(
        after_gzip.saturating_sub(before) < ALLOWED_RISE_KIB,
        "peak RSS rose from {before} KiB to {after_plain} KiB (plain) and {after_gzip} KiB (gzip)"
    );
}
