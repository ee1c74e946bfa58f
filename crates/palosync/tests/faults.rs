//! Failures end an invocation with a clear, typed error, never with a half-applied change
//! committed, and the next delivery of the same event converges.

mod support;

use serde_json::json;
use support::*;

fn start(instance: &str) -> serde_json::Value {
    json!({ "instancesSet": { "items": [{ "instanceId": instance }] } })
}

#[tokio::test]
async fn an_unreachable_firewall_is_a_clear_error() {
    let mut h = Harness::new("sa-east-1").await;
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let config = settings_for(&h.sim, &h.vpc.firewall);
    let firewall =
        palosync::firewall::Firewall::connect(&url, &config.firewall, panos::ApiKey::new(API_KEY))
            .expect("client builds");
    h.app.targets = palosync::targets::Targets::one(firewall);

    let web1 = h.vpc.web1.clone();
    let (report, result) = h.event("StartInstances", start(&web1)).await;
    let error = result.expect_err("no firewall, no success");
    assert_eq!(error.error_type(), "FirewallUnreachable", "{error}");
    assert_eq!(
        report.error.as_ref().map(|e| e.error_type.as_str()),
        Some("FirewallUnreachable")
    );
    assert!(h.managed_rules().await.is_empty());
}

#[tokio::test]
async fn a_failed_commit_fails_the_invocation_and_the_retry_converges() {
    let mut h = Harness::new("ap-northeast-2").await;
    let web1 = h.vpc.web1.clone();
    h.sim.inject_faults(panos_sim::FaultPlan {
        fail_commits: 1,
        ..Default::default()
    });
    let (_, result) = h.event("StartInstances", start(&web1)).await;
    let error = result.expect_err("a FAILed commit job is a failure");
    assert_eq!(error.error_type(), "CommitFailed", "{error}");
    assert!(
        h.managed_rules().await.is_empty(),
        "nothing reached running"
    );

    // The same event again (SQS redelivers it): the candidate already holds the batch, so the
    // plan is empty, but the pending change is committed.
    let (report, result) = h.event("StartInstances", start(&web1)).await;
    result.expect("the retry succeeds");
    let execution = report.execution.expect("reconciled");
    assert!(execution.plan.is_empty());
    assert!(matches!(
        execution.commit,
        Some(palosync::firewall::CommitReport::Committed { .. })
    ));
    assert_eq!(h.managed_rules().await.len(), 1);
}

#[tokio::test]
async fn another_admins_config_lock_blocks_the_write_and_the_retry_converges() {
    let mut h = Harness::new("ap-southeast-2").await;
    let web1 = h.vpc.web1.clone();
    let bob_key = h.sim.key_of("other-admin").expect("bob has a key");
    let bob = panos::Client::builder(h.sim.url())
        .api_key(panos::ApiKey::new(bob_key))
        .build()
        .expect("bob's client");
    bob.acquire_config_lock(&panos::LockScope::Shared, "maintenance")
        .await
        .expect("bob locks");

    let (report, result) = h.event("StartInstances", start(&web1)).await;
    let error = result.expect_err("locked");
    assert_eq!(error.error_type(), "FirewallLocked", "{error}");
    assert!(
        error.to_string().contains("other-admin"),
        "names the holder: {error}"
    );
    assert!(report.error.is_some());
    assert!(h.managed_rules().await.is_empty());
    assert!(
        !h.sim.candidate_config_xml().contains(&h.vpc.web1_ip),
        "nothing half-applied in the candidate either"
    );

    bob.release_config_lock(&panos::LockScope::Shared)
        .await
        .expect("bob unlocks");
    h.event("StartInstances", start(&web1))
        .await
        .1
        .expect("the retry succeeds");
    assert_eq!(h.managed_rules().await.len(), 1);
}
