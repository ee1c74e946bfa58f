//! The operator's commands through the real binary, offline: the topology comes from the
//! bundled snapshot (`--topology`), the firewall is a simulator this test runs.

mod support;

use std::process::{Command, Output};
use support::*;

/// `palosync ARGS` offline on the bundled snapshot against `sim`.
async fn palosync(sim: &panos_sim::RunningSimulator, args: &[&str]) -> Output {
    palosync_offline(sim, &[], args).await
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_writes_nothing_and_sync_commits_once() {
    let sim = start_simulator().await;
    let before = sim.candidate_config_xml();

    let plan = palosync(&sim, &["plan", "--output", "json"]).await;
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&plan)).expect("one JSON report");
    assert_eq!(report["dry_run"], true);
    let operations = report["execution"]["plan"]["operations"]
        .as_array()
        .expect("operations")
        .len();
    assert!(operations > 0);
    assert_eq!(sim.candidate_config_xml(), before, "plan wrote nothing");

    let sync = palosync(&sim, &["sync"]).await;
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    let table = stdout(&sync);
    assert!(
        table.contains(&format!("operations: {operations}")),
        "{table}"
    );
    assert!(table.contains("commit: job"), "{table}");
    assert_eq!(sim.stats().commits_finished, 1);

    let again = palosync(&sim, &["sync"]).await;
    assert!(
        stdout(&again).contains("operations: 0"),
        "{}",
        stdout(&again)
    );
    assert_eq!(
        sim.stats().commits_enqueued,
        1,
        "nothing to change, no commit"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_payload_is_accepted_by_handle_dry_run() {
    let sim = start_simulator().await;
    for example in [
        "eventbridge-start-instances.json",
        "eventbridge-authorize-ingress.json",
        "eventbridge-instance-state-change.json",
        "sqs-batch.json",
        "cloudtrail-log.json",
        "schedule.json",
    ] {
        let path = examples().join(example);
        let output = palosync(&sim, &["handle", "--dry-run", path.to_str().unwrap()]).await;
        assert!(
            output.status.success(),
            "{example}: {}{}",
            stdout(&output),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout(&output).contains("(dry run)"), "{example}");
    }
    // The log file's failed call and its STS record are skipped, each with a reason.
    let log = examples().join("cloudtrail-log.json");
    let output = palosync(
        &sim,
        &[
            "handle",
            "--dry-run",
            "--output",
            "json",
            log.to_str().unwrap(),
        ],
    )
    .await;
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("report");
    let skipped = report["skipped_events"].as_array().map_or(0, Vec::len)
        + report["skipped_records"].as_array().map_or(0, Vec::len);
    assert!(skipped >= 2, "{report}");
    assert_eq!(sim.stats().commits_enqueued, 0, "dry runs never commit");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_notification_without_aws_is_a_clear_error() {
    let sim = start_simulator().await;
    let path = examples().join("s3-notification.json");
    let output = palosync(&sim, &["handle", "--dry-run", path.to_str().unwrap()]).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "one clear line: {stderr}");
    assert!(stderr.contains("s3://"), "{stderr}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_each_prerequisite() {
    let sim = start_simulator().await;
    let output = palosync(&sim, &["check"]).await;
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    for line in [
        "ok   firewall reachable, API key accepted",
        "ok   PANOS_UNTRUST_ZONE",
        "ok   PANOS_PROFILE_GROUP",
        "ok   PANOS_BOTTOM_RULE",
        "ok   AWS topology readable",
    ] {
        assert!(text.contains(line), "missing {line:?}:\n{text}");
    }

    let wrong = palosync(&sim, &["check", "--panos-bottom-rule", "no such rule"]).await;
    assert!(!wrong.status.success());
    assert!(
        stdout(&wrong).contains("FAIL PANOS_BOTTOM_RULE"),
        "{}",
        stdout(&wrong)
    );
    sim.shutdown().await;
}

#[test]
fn missing_settings_name_the_variable_and_help_needs_none() {
    let help = Command::new(env!("CARGO_BIN_EXE_palosync"))
        .env_clear()
        .arg("--help")
        .output()
        .expect("runs");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("handle"));

    let output = Command::new(env!("CARGO_BIN_EXE_palosync"))
        .env_clear()
        .arg("sync")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(
            "palosync: settings for `palosync sync`: FIREWALL_INSTANCE_ID is required"
        ),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_writes_the_topology_palosync_sees_and_plan_reads_it_back() {
    let h = Harness::new("ap-east-1").await;
    // snapshot reads AWS only: the firewall's instance id, and nothing of PAN-OS.
    let mut command = Command::new(env!("CARGO_BIN_EXE_palosync"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("FIREWALL_INSTANCE_ID", &h.vpc.firewall)
        .env("AWS_REGION", "ap-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", testkit::moto_endpoint())
        .arg("snapshot");
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .expect("join");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let snapshot = stdout(&output);
    let parsed: serde_json::Value = serde_json::from_str(&snapshot).expect("snapshot is JSON");
    assert_eq!(parsed["version"], 1);
    assert!(
        snapshot.contains(&h.vpc.web1),
        "the app instance is in the snapshot"
    );

    let file = std::env::temp_dir().join(format!("palosync-snapshot-{}.json", std::process::id()));
    std::fs::write(&file, &snapshot).expect("write snapshot");
    // plan writes nothing, so it needs no PANOS_ADMIN.
    let mut plan = palosync_command(&h.sim, &h.vpc.firewall);
    plan.env_remove("PANOS_ADMIN")
        .arg("--topology")
        .arg(&file)
        .args(["plan", "--output", "json"]);
    let output = tokio::task::spawn_blocking(move || plan.output().expect("runs"))
        .await
        .expect("join");
    let _ = std::fs::remove_file(file);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("report");
    let operations = report["execution"]["plan"]["operations"].to_string();
    assert!(
        operations.contains(&h.vpc.web1_ip),
        "offline plan from the snapshot: {operations}"
    );
}

/// `handle` takes the records of a CloudTrail log file as a bare JSON array, and as the output of
/// `aws cloudtrail lookup-events` (each record a JSON string in `CloudTrailEvent`), with the same
/// result as the log file itself (issue 12, item 11).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handle_reads_a_record_array_and_lookup_events_output_as_the_log_file() {
    let sim = start_simulator().await;
    let log_path = examples().join("cloudtrail-log.json");
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&log_path).expect("read log")).expect("log parses");
    let records = log["Records"].as_array().expect("Records").clone();
    let lookup = serde_json::json!({ "Events": records.iter().map(|record| serde_json::json!({
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "CloudTrailEvent": record.to_string(),
    })).collect::<Vec<_>>() });
    let dir = std::env::temp_dir().join(format!("palosync-handle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let array_path = dir.join("records.json");
    let lookup_path = dir.join("lookup-events.json");
    std::fs::write(&array_path, serde_json::to_vec(&records).unwrap()).unwrap();
    std::fs::write(&lookup_path, serde_json::to_vec(&lookup).unwrap()).unwrap();

    let mut keys = Vec::new();
    for path in [&log_path, &array_path, &lookup_path] {
        let args = ["handle", "--dry-run", "--output", "json"];
        let output = palosync(&sim, &[&args[..], &[path.to_str().unwrap()]].concat()).await;
        assert!(
            output.status.success(),
            "{}: {}",
            path.display(),
            stdout(&output)
        );
        let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("report");
        keys.push(report["keys"].clone());
    }
    assert!(!keys[0].as_array().expect("keys").is_empty(), "{keys:?}");
    assert_eq!(keys[0], keys[1], "bare array");
    assert_eq!(keys[0], keys[2], "lookup-events output");
    let _ = std::fs::remove_dir_all(&dir);
    sim.shutdown().await;
}

/// Each command asks only for what it uses (issue 16, item 4): a writing command without
/// PANOS_ADMIN is refused with the variable and the command named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writing_command_without_panos_admin_names_what_is_missing() {
    let sim = start_simulator().await;
    let mut command = palosync_command(&sim, FIREWALL_INSTANCE);
    command
        .env_remove("PANOS_ADMIN")
        .arg("--topology")
        .arg(examples().join("snapshot.json"))
        .arg("sync");
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .expect("join");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("settings for `palosync sync`: PANOS_ADMIN is required"),
        "{stderr}"
    );
    assert_eq!(sim.stats().commits_enqueued, 0);
    sim.shutdown().await;
}
