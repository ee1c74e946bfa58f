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
    let batch = row(&table, "palosync, one SQS batch");
    let per_event = row(&table, "palosync, 50 separate");
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
        table.contains("both palosync deliveries enforce exactly the same allowances"),
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
