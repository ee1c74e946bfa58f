//! The harness end to end at zero injected cost (a smoke test of the measuring machinery, not a
//! benchmark): the burst runs through all three strategies and the table says what they did.

use std::process::Command;

fn bench(args: &[&str]) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(args)
        .output()
        .expect("the bench binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "bench {args:?} failed: {stderr}");
    (stdout, stderr)
}

/// The cells of the table row whose first cell starts with `label`.
fn row<'t>(table: &'t str, label: &str) -> Vec<&'t str> {
    let line = table
        .lines()
        .find(|l| l.starts_with(&format!("| {label}")))
        .unwrap_or_else(|| panic!("no row {label:?} in:\n{table}"));
    line.trim_matches('|').split('|').map(str::trim).collect()
}

#[test]
fn the_burst_commits_once_for_palosync_batch_and_per_record_for_legacy() {
    let (table, _) = bench(&["burst", "--quick", "--api-ms", "0", "--commit-ms", "0"]);
    // Columns: strategy, runs, round trips, policy matches, writes, commits, job polls, wall.
    let batch = row(&table, "palosync addresses, one SQS batch");
    let per_event = row(&table, "palosync addresses, 50 separate");
    let groups_batch = row(&table, "palosync groups, one SQS batch");
    assert_eq!(
        groups_batch[5], "1",
        "group mode commits the batch once: {groups_batch:?}"
    );
    let legacy = row(&table, "legacy");
    assert_eq!(batch[5], "1", "one commit for the whole batch: {batch:?}");
    assert_eq!(batch[4], "1", "one multi-config write: {batch:?}");
    let commits = |cells: &[&str]| cells[5].parse::<u64>().expect("a count");
    let trips = |cells: &[&str]| cells[2].parse::<u64>().expect("a count");
    assert!(commits(&per_event) > 1 && commits(&per_event) <= 50);
    assert!(
        commits(&legacy) > 1,
        "legacy commits per record: {legacy:?}"
    );
    assert!(trips(&legacy) > trips(&per_event) && trips(&per_event) > trips(&batch));
    assert!(
        table.contains("enforce exactly the same allowances"),
        "{table}"
    );
}

#[test]
fn write_puts_the_table_between_the_markers_and_keeps_the_rest() {
    let dir = std::env::temp_dir().join(format!("bench-write-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("BENCHMARKS.md");
    std::fs::write(
        &file,
        "# Title\n\n<!-- bench:results:begin -->\nold figures\n<!-- bench:results:end -->\n\nafter\n",
    )
    .expect("write");
    let file_arg = file.to_str().expect("utf-8 temp path");
    let (table, _) = bench(&[
        "burst",
        "--quick",
        "--api-ms",
        "0",
        "--commit-ms",
        "0",
        "--write",
        file_arg,
    ]);
    let written = std::fs::read_to_string(&file).expect("read back");
    assert!(written.starts_with("# Title\n"));
    assert!(written.ends_with("\n\nafter\n"));
    assert!(!written.contains("old figures"));
    assert!(written.contains(table.trim_end()));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// Cells of every row of the table under `heading`.
fn section<'t>(table: &'t str, heading: &str) -> &'t str {
    let start = table
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in:\n{table}"));
    let rest = &table[start..];
    let end = rest[3..].find("\n### ").map_or(rest.len(), |e| e + 3);
    &rest[..end]
}

#[test]
fn an_instance_start_registers_in_group_mode_and_commits_in_address_mode() {
    let (table, _) = bench(&[
        "start",
        "--quick",
        "--api-ms",
        "0",
        "--start-commit-ms",
        "0",
    ]);
    // Columns: strategy, runs, round trips, writes, User-ID messages, commits, seconds.
    let groups = row(&table, "palosync groups");
    let addresses = row(&table, "palosync addresses");
    let legacy = row(&table, "legacy");
    assert_eq!(groups[5], "0", "no commit for a registration: {groups:?}");
    assert_eq!(groups[3], "0", "no configuration write: {groups:?}");
    assert_eq!(groups[4], "1", "one User-ID message: {groups:?}");
    assert_eq!(addresses[5], "1", "{addresses:?}");
    assert_eq!(legacy[5], "1", "{legacy:?}");
}

#[test]
fn a_small_full_sync_completes_in_both_modes_with_fit_and_memory() {
    let small = [
        "--quick",
        "--instances",
        "40",
        "--groups",
        "4",
        "--api-ms",
        "0",
        "--commit-ms",
        "0",
    ];
    let (table, _) = bench(&[&["full-sync"], &small[..]].concat());
    let sync = section(&table, "### Full sync");
    assert!(!sync.contains("did not complete"), "{sync}");
    // Columns: measure, groups mode, addresses mode, ratio.
    let commits = row(sync, "end to end: commits");
    assert_eq!(&commits[1..3], ["1", "1"], "{sync}");
    let rules = row(sync, "rules planned");
    let count = |cell: &str| cell.parse::<f64>().expect("a count");
    assert!(
        count(rules[1]) < count(rules[2]),
        "group mode needs fewer rules: {sync}"
    );
    let registered = row(sync, "addresses registered on the device after");
    assert_eq!(
        registered[1], "40",
        "one address per instance registered: {sync}"
    );
    assert_eq!(registered[2], "0", "{sync}");

    let (fit, _) = bench(&[&["fit"], &small[..]].concat());
    let web = fit
        .lines()
        .filter(|l| l.starts_with("| 200 web servers"))
        .collect::<Vec<_>>();
    assert_eq!(web.len(), 2, "{fit}");
    assert!(web[0].contains("| groups | 4 | 1 | 200 | 1500 |"), "{fit}");
    assert!(
        web[1].contains("| addresses | 800 | 0 | 0 | 1500 |"),
        "{fit}"
    );

    let (memory, _) = bench(&[&["memory"], &small[..]].concat());
    let groups = row(&memory, "groups");
    let peak = groups[5].parse::<f64>().expect("MiB");
    assert!(peak > 0.0, "{memory}");
}
