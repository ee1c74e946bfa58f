//! Issue 15, items 2 and 3, against moto and the simulator: two palosync runs against one
//! firewall never interleave their writes and commits (the config lock is held through the
//! commit, and a run that finds another run's live lock waits, then plans again), and a commit
//! still running when a run reaches its deadline is found and waited for by the next run, never
//! committed over.

mod support;

use palosync::app::{AppError, Work};
use palosync::firewall::CommitReport;
use palosync::report::Report;
use std::time::{Duration, Instant};
use support::moto::{cidr, tcp};
use support::*;

async fn sync_with_deadline(
    app: &palosync::app::App,
    seconds: u64,
) -> (Report, Result<(), AppError>) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    app.run(
        "test",
        Work::Everything(model::Provenance::sync("test")),
        false,
        deadline,
    )
    .await
}

async fn open_partner_port(h: &Harness, port: i32) {
    h.ec2
        .authorize_security_group_ingress()
        .group_id(&h.vpc.web_group)
        .ip_permissions(tcp(port).ip_ranges(cidr("198.51.100.0/24")).build())
        .send()
        .await
        .expect("authorize");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_syncs_at_once_commit_once_and_the_second_plans_again_after_waiting() {
    let h = Harness::in_account_committing_in("100000000021", Duration::from_millis(1500)).await;
    let lambda = &h.app;
    let operator_cli = Harness::app_for(&h.sim, &h.sdk, &h.vpc.firewall);
    let commits = h.sim.stats().commits_enqueued;

    let first = sync_with_deadline(lambda, 30);
    let second = async {
        // Starts while the first holds the lock through its (slow) commit.
        tokio::time::sleep(Duration::from_millis(300)).await;
        sync_with_deadline(&operator_cli, 30).await
    };
    let ((first, first_result), (second, second_result)) = tokio::join!(first, second);
    first_result.unwrap_or_else(|e| panic!("first: {e}\n{}", first.to_table()));
    second_result.unwrap_or_else(|e| panic!("second: {e}\n{}", second.to_table()));

    assert_eq!(
        h.sim.stats().commits_enqueued - commits,
        1,
        "one commit between them:\n{}\n{}",
        first.to_table(),
        second.to_table()
    );
    assert!(!first.operations().is_empty(), "{}", first.to_table());
    assert!(
        second.operations().is_empty(),
        "the second planned again after the first's commit and found nothing to do:\n{}",
        second.to_table()
    );
    assert_eq!(candidate_rule_names(&h.sim), running_rule_names(&h.sim));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_cannot_get_the_lock_in_time_writes_nothing_and_says_retry() {
    let h = Harness::in_account_committing_in("100000000022", Duration::from_millis(3000)).await;
    let operator_cli = Harness::app_for(&h.sim, &h.sdk, &h.vpc.firewall);
    let first = sync_with_deadline(&h.app, 30);
    let second = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Its deadline (less the reporting margin) passes while the first still commits.
        sync_with_deadline(&operator_cli, 6).await
    };
    let ((_, first_result), (second, second_result)) = tokio::join!(first, second);
    first_result.expect("first");
    let error = second_result.expect_err("the second gives up");
    // It meets the first run either holding the lock or committing; either way it writes
    // nothing, commits nothing, and says to retry (SQS redelivers).
    assert!(
        ["FirewallBusy", "CommitStillRunning"].contains(&error.error_type()),
        "{error}\n{}",
        second.to_table()
    );
    assert!(error.to_string().contains("retry"), "{error}");
    assert!(
        !second.firewall_round_trips.contains_key("MultiConfig")
            && !second.firewall_round_trips.contains_key("Commit"),
        "{}",
        second.to_table()
    );
}

#[tokio::test]
async fn another_runs_live_lock_is_waited_for_until_the_deadline_then_busy() {
    let h = Harness::in_account_committing_in("100000000025", Duration::from_millis(20)).await;
    let live = panos::LockScope::Vsys("vsys1".into());
    h.admin
        .acquire_config_lock(&live, "palosync run 4242-1 until 99999999999")
        .await
        .expect("another run's lock");
    let (report, result) = sync_with_deadline(&h.app, 7).await;
    let error = result.expect_err("busy");
    assert_eq!(
        error.error_type(),
        "FirewallBusy",
        "{error}\n{}",
        report.to_table()
    );
    assert!(error.to_string().contains("palosync run 4242-1"), "{error}");
    assert!(!report.firewall_round_trips.contains_key("MultiConfig"));
    // The other run's lock is not ours to release.
    assert_eq!(h.admin.config_locks().await.expect("locks").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_still_running_at_the_deadline_is_awaited_by_the_next_run() {
    let h = Harness::in_account_committing_in("100000000023", Duration::from_millis(7000)).await;
    // Deadline 7 s, less the 5 s margin: the commit is still running when the run returns.
    let (report, result) = sync_with_deadline(&h.app, 7).await;
    result.expect("the run itself succeeds");
    let Some(CommitReport::StillRunning { job_id }) = report.commit().cloned() else {
        panic!("expected a commit still running:\n{}", report.to_table());
    };

    // The next event's run finds the job, waits for it, and commits its own change after it.
    open_partner_port(&h, 8443).await;
    let commits = h.sim.stats().commits_enqueued;
    let (next, result) = sync_with_deadline(&h.app, 60).await;
    result.unwrap_or_else(|e| panic!("{e}\n{}", next.to_table()));
    let execution = next.execution.as_ref().expect("execution");
    assert_eq!(
        execution
            .awaited_commits
            .iter()
            .map(|c| (c.job_id, c.result.as_str()))
            .collect::<Vec<_>>(),
        [(job_id, "OK")],
        "{}",
        next.to_table()
    );
    assert!(next.to_table().contains(&format!(
        "waited for palosync's earlier commit job {job_id}: OK"
    )));
    assert_eq!(
        h.sim.stats().commits_enqueued - commits,
        1,
        "its own commit only"
    );
    assert!(matches!(
        next.commit(),
        Some(CommitReport::Committed { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_left_by_a_killed_run_is_taken_over_once_its_time_has_passed() {
    let h = Harness::in_account_committing_in("100000000024", Duration::from_millis(20)).await;
    // A run that was killed while holding the lock: its comment's time is in the past.
    let killed = panos::LockScope::Vsys("vsys1".into());
    h.admin
        .acquire_config_lock(&killed, "palosync run 4242-1 until 1000000000")
        .await
        .expect("a stale lock");
    let started = Instant::now();
    let (report, result) = sync_with_deadline(&h.app, 30).await;
    result.unwrap_or_else(|e| panic!("{e}\n{}", report.to_table()));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no waiting for a dead run"
    );
    assert!(matches!(
        report.commit(),
        Some(CommitReport::Committed { .. })
    ));
    assert!(
        h.admin.config_locks().await.expect("locks").is_empty(),
        "released at the end"
    );
}

#[tokio::test]
async fn a_plan_made_before_another_run_committed_is_made_again_under_the_lock() {
    let h = Harness::in_account_committing_in("100000000026", Duration::from_millis(20)).await;
    let settings = &h.app.config.policy;
    let scope = planner::Scope::everything(model::Provenance::sync("test"));
    let read = palosync::executor::registrations_to_read(settings, &scope);
    // This run reads the device, then another run syncs the same change to the end.
    let stale = h
        .firewall()
        .read_state(settings, &read)
        .await
        .expect("read");
    h.sync().await.1.expect("the other run");
    let commits = h.sim.stats().commits_enqueued;

    let topology = h
        .app
        .topology_for(&[model::ReconcileKey::Everything])
        .await
        .expect("aws");
    let options = palosync::executor::ExecuteOptions {
        dry_run: false,
        deadline: Instant::now() + Duration::from_secs(30),
    };
    let execution = palosync::executor::reconcile_state(
        h.firewall(),
        settings,
        &topology,
        &scope,
        &stale,
        options,
    )
    .await
    .expect("reconcile");
    assert!(
        execution.plan.operations.is_empty(),
        "planned again from the device as it is now: {:#?}",
        execution.plan.operations
    );
    assert_eq!(execution.actions_written, 0);
    assert_eq!(h.sim.stats().commits_enqueued, commits, "nothing to commit");
}
