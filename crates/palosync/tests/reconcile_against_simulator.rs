//! The executor against a simulated firewall: the example topology synced, then the original
//! Lambda's behaviours (start, authorize, stop, revoke) as scoped reconciles, each checked in
//! the committed (running) rulebase.

mod support;

use model::{InstanceState, Provenance, ReconcileKey};
use palosync::executor::{ExecuteOptions, Execution, reconcile};
use palosync::firewall::{CommitReport, Firewall};
use planner::Scope;
use std::time::{Duration, Instant};
use support::*;

fn options() -> ExecuteOptions {
    ExecuteOptions {
        dry_run: false,
        deadline: Instant::now() + Duration::from_secs(30),
    }
}

async fn sync(firewall: &Firewall, topology: &model::Topology) -> Execution {
    reconcile(
        firewall,
        &settings(),
        topology,
        &Scope::everything(Provenance::sync("sync")),
        options(),
    )
    .await
    .expect("sync succeeds")
}

fn provenance(event: &str) -> Provenance {
    Provenance {
        event_name: event.to_owned(),
        event_id: Some("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".to_owned()),
        principal_arn: Some("arn:aws:iam::111122223333:user/alice".to_owned()),
        ..Provenance::default()
    }
}

#[tokio::test]
async fn a_full_sync_commits_the_example_topology_once_above_the_bottom_rule() {
    let sim = start_simulator().await;
    let firewall = firewall(&sim);

    let first = sync(&firewall, &example_topology()).await;
    assert!(first.actions_written > 0);
    assert!(matches!(first.commit, Some(CommitReport::Committed { .. })));
    assert_eq!(sim.stats().commits_enqueued, 1);

    let running = running_rule_names(&sim);
    assert_eq!(running.last().map(String::as_str), Some("Clean up"));
    let managed: Vec<_> = running
        .iter()
        .filter(|n| n.as_str() != "Clean up")
        .collect();
    assert!(!managed.is_empty());
    assert!(
        managed.iter().all(|n| n.starts_with("sg-")),
        "a sync names rules after groups: {managed:?}"
    );
    let running_xml = sim.running_config_xml();
    for expected in [
        "10.0.10.25",
        "10.0.10.26",
        "10.0.11.40",
        "tcp_8443",
        "tcp_8080-8081",
    ] {
        assert!(
            running_xml.contains(expected),
            "{expected} missing from running config"
        );
    }
    for never in ["10.0.0.10", "10.0.1.10", "5432"] {
        assert!(
            !running_xml.contains(&format!(">{never}<")),
            "{never} must not be allowed"
        );
    }

    // Idempotent: the same sync again writes nothing and commits nothing.
    let second = sync(&firewall, &example_topology()).await;
    assert!(second.plan.is_empty(), "{:#?}", second.plan.operations);
    assert_eq!(second.actions_written, 0);
    assert_eq!(second.commit, None);
    assert_eq!(sim.stats().commits_enqueued, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn stopping_an_instance_removes_every_allowance_to_it_in_one_commit() {
    let sim = start_simulator().await;
    let firewall = firewall(&sim);
    let mut topology = example_topology();
    sync(&firewall, &topology).await;
    assert!(sim.running_config_xml().contains("10.0.10.25"));

    let web = model::InstanceId::new(WEB_INSTANCE);
    topology
        .instances
        .iter_mut()
        .filter(|i| i.id == web)
        .for_each(|i| i.state = InstanceState::Stopped);
    let stop = reconcile(
        &firewall,
        &settings(),
        &topology,
        &Scope::single(ReconcileKey::Instance(web), provenance("StopInstances")),
        options(),
    )
    .await
    .expect("stop reconciles");
    assert!(stop.actions_written > 0);
    assert_eq!(sim.stats().commits_enqueued, 2);
    let running = sim.running_config_xml();
    assert!(!running.contains("10.0.10.25"));
    assert!(!running.contains("10.0.10.26"));
    assert!(
        running.contains("10.0.11.40"),
        "other instances are untouched"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_dry_run_plans_but_writes_nothing() {
    let sim = start_simulator().await;
    let firewall = firewall(&sim);
    let before = sim.candidate_config_xml();
    let execution = reconcile(
        &firewall,
        &settings(),
        &example_topology(),
        &Scope::everything(Provenance::sync("plan")),
        ExecuteOptions {
            dry_run: true,
            ..options()
        },
    )
    .await
    .unwrap();
    assert!(!execution.plan.is_empty());
    assert_eq!(execution.actions_written, 0);
    assert_eq!(sim.candidate_config_xml(), before);
    assert_eq!(sim.stats().commits_enqueued, 0);
    sim.shutdown().await;
}
