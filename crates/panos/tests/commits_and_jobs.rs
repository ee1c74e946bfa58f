//! Commits against the simulator: OK, FAIL, nothing to commit, a partial commit that leaves
//! another admin's change pending, and job polling bounded by a deadline.

mod support;

use std::time::Duration;

use panos::{
    CommitOutcome, CommitRequest, CommitScope, CommitStarted, ConfigEntry, Error, JobId,
    JobOutcome, JobResult, RequestKind, Tag,
};
use support::*;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn partial_commit_of_our_changes_finishes_ok() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let loc = vsys1();
    client.create(&loc, &managed_tag()).await.expect("tag");
    assert!(client.pending_changes().await.expect("pending"));

    let outcome = client
        .commit_and_wait(&CommitRequest::partial_for("admin"), WAIT)
        .await
        .expect("commit succeeds");
    let CommitOutcome::Committed(job) = outcome else {
        panic!("expected a committed job, got {outcome:?}");
    };
    assert_eq!(job.result, JobResult::Ok);
    assert!(!job.details.is_empty(), "the device's lines are kept");
    assert!(
        client
            .show(&Tag::xpath(&loc, MANAGED_TAG))
            .await
            .expect("show")
            .is_some()
    );
    assert!(!client.pending_changes().await.expect("pending"));
    assert_eq!(client.stats().count(RequestKind::Commit), 1);
}

#[tokio::test]
async fn nothing_to_commit_starts_no_job() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    assert_eq!(
        client
            .commit(&CommitRequest::partial_for("admin"))
            .await
            .expect("commit"),
        CommitStarted::NothingToCommit
    );
    let full = CommitRequest {
        scope: CommitScope::Full,
        description: None,
        force: false,
        device_groups: Vec::new(),
    };
    assert_eq!(
        client.commit_and_wait(&full, WAIT).await.expect("commit"),
        CommitOutcome::NothingToCommit
    );
}

#[tokio::test]
async fn forced_full_commit_with_description_runs_a_job() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let forced = CommitRequest {
        scope: CommitScope::Full,
        description: Some("palosync drift repair".into()),
        force: true,
        device_groups: Vec::new(),
    };
    let CommitStarted::Job(id) = client.commit(&forced).await.expect("commit") else {
        panic!("force commits even without changes");
    };
    let JobOutcome::Finished(job) = client.wait_for_job(id, WAIT).await.expect("poll") else {
        panic!("job should finish within {WAIT:?}");
    };
    assert_eq!(job.result, JobResult::Ok);
    assert_eq!(job.description.as_deref(), Some("palosync drift repair"));
}

#[tokio::test]
async fn partial_commit_leaves_another_admins_change_pending() {
    let sim = start_sim().await;
    let ours = admin_client(&sim);
    let bob = bob_client(&sim).await;
    let loc = vsys1();
    bob.create(&loc, &Tag::new("bobs-tag"))
        .await
        .expect("bob's change");
    ours.create(&loc, &managed_tag()).await.expect("our change");

    let outcome = ours
        .commit_and_wait(&CommitRequest::partial_for("admin"), WAIT)
        .await
        .expect("commit");
    assert!(
        matches!(outcome, CommitOutcome::Committed(_)),
        "{outcome:?}"
    );

    assert!(
        ours.show(&Tag::xpath(&loc, MANAGED_TAG))
            .await
            .expect("show")
            .is_some()
    );
    assert_eq!(
        ours.show(&Tag::xpath(&loc, "bobs-tag"))
            .await
            .expect("show"),
        None,
        "bob's change must not be pushed by our partial commit"
    );
    assert!(
        ours.get(&Tag::xpath(&loc, "bobs-tag"))
            .await
            .expect("get")
            .is_some()
    );
    assert!(
        ours.pending_changes().await.expect("pending"),
        "bob's change is still pending"
    );
}

#[tokio::test]
async fn failed_commit_job_is_a_failure_with_the_device_lines() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    client.create(&vsys1(), &managed_tag()).await.expect("tag");
    inject_faults(&sim, r#"{"fail_commits": 1}"#).await;

    match client
        .commit_and_wait(&CommitRequest::partial_for("admin"), WAIT)
        .await
    {
        Err(Error::JobFailed { details, .. }) => {
            assert!(
                details.iter().any(|l| l.contains("injected failure")),
                "{details:?}"
            );
        }
        other => panic!("a FAIL job must not look like success: {other:?}"),
    }
    assert!(
        client.pending_changes().await.expect("pending"),
        "a failed commit leaves the change pending"
    );

    let CommitStarted::Job(id) = client
        .commit(&CommitRequest::partial_for("admin"))
        .await
        .expect("second commit")
    else {
        panic!("the change is still pending, so a job starts");
    };
    let JobOutcome::Finished(job) = client.wait_for_job(id, WAIT).await.expect("poll") else {
        panic!("job should finish");
    };
    assert_eq!(
        job.result,
        JobResult::Ok,
        "only the next commit was told to fail"
    );
}

#[tokio::test]
async fn job_wait_returns_still_running_at_the_deadline() {
    let sim = sim_builder()
        .commit_delay(Duration::from_millis(1500))
        .start()
        .await
        .expect("simulator");
    let client = admin_client(&sim);
    client.create(&vsys1(), &managed_tag()).await.expect("tag");
    let CommitStarted::Job(id) = client
        .commit(&CommitRequest::partial_for("admin"))
        .await
        .expect("commit")
    else {
        panic!("a change is pending");
    };
    assert_eq!(
        client
            .wait_for_job(id, Duration::from_millis(200))
            .await
            .expect("poll"),
        JobOutcome::StillRunning(id)
    );
    let JobOutcome::Finished(job) = client.wait_for_job(id, WAIT).await.expect("poll") else {
        panic!("job should finish within {WAIT:?}");
    };
    assert_eq!(job.result, JobResult::Ok);
    assert!(
        client.stats().count(RequestKind::Op) >= 2,
        "the job was polled"
    );
}

#[tokio::test]
async fn unknown_job_is_not_found() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    assert!(matches!(
        client.job(JobId(4242)).await,
        Err(Error::ObjectNotFound { .. })
    ));
}
