//! Issue 12's device-side safety items, each reproduced against moto and the simulator with a
//! second administrator (`bob`): a refused object delete (item 1), another admin's pending
//! changes and full commits (item 3), a key that belongs to someone else (item 4), and plans
//! written in several batches while the device honours `strict-transactional` (item 9).

mod support;

use palosync::firewall::{CommitReport, FirewallError, Revert};
use panos::{Location, ServiceGroup};
use planner::{
    Explanation, Operation, Plan, PortProtocol, RuleAction, RuleContent, ServiceContent,
};
use serde_json::json;
use std::time::{Duration, Instant};
use support::moto::{cidr, tcp};
use support::*;

fn start(instance: &str) -> serde_json::Value {
    json!({ "instancesSet": { "items": [{ "instanceId": instance }] } })
}

fn permission(group: &str, port: u16, source: &str) -> serde_json::Value {
    json!({ "groupId": group, "ipPermissions": { "items": [{
        "ipProtocol": "tcp", "fromPort": port, "toPort": port,
        "ipRanges": { "items": [{ "cidrIp": source }] } }] } })
}

async fn authorize(h: &mut Harness, port: u16, source: &str) {
    let group = h.vpc.web_group.clone();
    h.ec2
        .authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(tcp(i32::from(port)).ip_ranges(cidr(source)).build())
        .send()
        .await
        .expect("authorize in moto");
}

async fn revoke(h: &mut Harness, port: u16, source: &str) {
    let group = h.vpc.web_group.clone();
    h.ec2
        .revoke_security_group_ingress()
        .group_id(&group)
        .ip_permissions(tcp(i32::from(port)).ip_ranges(cidr(source)).build())
        .send()
        .await
        .expect("revoke in moto");
}

/// Bob stages (does not commit) an allow-all rule above the bottom rule.
async fn bob_stages_allow_all(h: &Harness, name: &str) {
    let rule = palosync::demo::operator_rule(name, "untrust", "trust", "any", "any");
    h.bob()
        .create(&Location::vsys("vsys1"), &rule)
        .await
        .expect("bob stages a rule");
}

fn running_names(h: &Harness) -> Vec<String> {
    running_rule_names(&h.sim)
}

fn service_names(xml: &str) -> bool {
    xml.contains("tcp_8443")
}

const CLIENTS: &str = "198.51.100.0/24";

// ---- item 1 ---------------------------------------------------------------------------------

/// The executor alone: a plan that deletes a rule and, as cleanup, the service object an
/// operator's service group still uses. The rule delete lands; the service is a leftover.
#[tokio::test]
async fn a_refused_service_delete_no_longer_wedges_revokes() {
    let mut h = Harness::new("eu-central-2").await;
    authorize(&mut h, 8443, CLIENTS).await;
    let group = h.vpc.web_group.clone();
    h.event(
        "AuthorizeSecurityGroupIngress",
        permission(&group, 8443, CLIENTS),
    )
    .await
    .1
    .expect("authorize reconciles");
    let rule = h
        .managed_rules()
        .await
        .into_iter()
        .find(|r| r.service.iter().any(|s| s == "tcp_8443"))
        .expect("a managed rule uses tcp_8443");

    let bob = h.bob();
    bob.create(
        &Location::vsys("vsys1"),
        &ServiceGroup::new("web-ports", &["tcp_8443"]),
    )
    .await
    .expect("bob's group uses palosync's service");
    bob.commit_and_wait(
        &panos::CommitRequest::partial_for(BOB),
        Duration::from_secs(10),
    )
    .await
    .expect("bob commits");

    let plan = Plan {
        operations: vec![Operation::DeleteRule {
            name: rule.name.clone(),
            why: Explanation::default(),
        }],
        cleanup: vec![Operation::DeleteService {
            name: "tcp_8443".into(),
            why: Explanation::default(),
        }],
        ..Plan::default()
    };
    let firewall = h.firewall();
    let session = firewall
        .begin_write(Instant::now() + Duration::from_secs(30))
        .await
        .expect("the key is admin's");
    let written = firewall
        .apply(&plan, None, &session.key_user, false)
        .await
        .expect("the rule delete is not wedged by the refused service delete");
    firewall.end_write(session).await.expect("lock released");
    assert_eq!(written.actions, 1, "{written:?}");
    assert_eq!(written.leftovers.len(), 1, "{written:?}");
    let leftover = &written.leftovers[0];
    assert_eq!(
        (leftover.kind, leftover.name.as_str()),
        ("service", "tcp_8443")
    );
    assert!(
        leftover
            .lines
            .iter()
            .any(|l| l.contains("cannot be deleted")),
        "the device's reason is reported: {leftover:?}"
    );
    let committed = firewall
        .commit("test", Duration::from_secs(10))
        .await
        .expect("the rule change commits");
    assert!(matches!(committed, CommitReport::Committed { .. }));
    assert!(
        !running_names(&h).contains(&rule.name),
        "revoked rule is gone"
    );
    assert!(service_names(&h.sim.running_config_xml()), "service kept");
}

/// Through the Lambda path: a revoke while an operator's service group still uses
/// palosync's service object lands and commits, every time, and the object is left (and, when
/// attempted, reported) until the group lets go of it.
#[tokio::test]
async fn a_revoke_lands_while_an_operator_group_still_uses_its_service() {
    let mut h = Harness::new("eu-south-2").await;
    authorize(&mut h, 8443, CLIENTS).await;
    let group = h.vpc.web_group.clone();
    h.event(
        "AuthorizeSecurityGroupIngress",
        permission(&group, 8443, CLIENTS),
    )
    .await
    .1
    .expect("authorize reconciles");
    let bob = h.bob();
    bob.create(
        &Location::vsys("vsys1"),
        &ServiceGroup::new("web-ports", &["tcp_8443"]),
    )
    .await
    .expect("bob's group");
    bob.commit_and_wait(
        &panos::CommitRequest::partial_for(BOB),
        Duration::from_secs(10),
    )
    .await
    .expect("bob commits");

    revoke(&mut h, 8443, CLIENTS).await;
    for attempt in 0..2 {
        let (report, result) = h
            .event(
                "RevokeSecurityGroupIngress",
                permission(&group, 8443, CLIENTS),
            )
            .await;
        result.unwrap_or_else(|e| panic!("revoke {attempt} reconciles: {e}"));
        let execution = report.execution.expect("reconciled");
        assert!(
            execution.leftovers.iter().all(|l| l.name == "tcp_8443"),
            "{:?}",
            execution.leftovers
        );
        assert!(
            h.managed_rules()
                .await
                .iter()
                .all(|r| !r.service.iter().any(|s| s == "tcp_8443")),
            "the revoked permission is no longer allowed (attempt {attempt})"
        );
    }
    assert!(
        service_names(&h.sim.running_config_xml()),
        "bob's group keeps it"
    );

    bob.delete_entry::<ServiceGroup>(&Location::vsys("vsys1"), "web-ports")
        .await
        .expect("bob drops the group");
    bob.commit_and_wait(
        &panos::CommitRequest::partial_for(BOB),
        Duration::from_secs(10),
    )
    .await
    .expect("bob commits");
    let (report, result) = h.sync().await;
    result.expect("sync");
    assert!(report.execution.expect("ran").leftovers.is_empty());
    assert!(
        !service_names(&h.sim.running_config_xml()),
        "the leftover is retried and goes"
    );
}

// ---- item 3 ---------------------------------------------------------------------------------

#[tokio::test]
async fn full_commit_does_not_push_another_admins_pending_rule() {
    let mut h = Harness::new("ap-south-2").await;
    let mut config = h.app.config.firewall.clone();
    config.full_commit = true;
    h.reconnect(&config, palosync::firewall::MAX_ACTIONS_PER_BATCH);
    let web1 = h.vpc.web1.clone();
    h.event("StartInstances", start(&web1))
        .await
        .1
        .expect("first run commits fully, nobody else pending");
    bob_stages_allow_all(&h, "bob-allow-all").await;
    let commits = h.sim.stats().commits_enqueued;

    // Nothing to do: no commit, bob's rule stays his.
    let (report, result) = h.event("StartInstances", start(&web1)).await;
    result.expect("nothing to do is a success");
    assert!(report.execution.expect("ran").commit.is_none());
    assert_eq!(h.sim.stats().commits_enqueued, commits);
    assert!(!running_names(&h).contains(&"bob-allow-all".to_owned()));

    // Something to do: refused before writing, naming bob, retryable.
    authorize(&mut h, 8443, CLIENTS).await;
    let group = h.vpc.web_group.clone();
    let (_, result) = h
        .event(
            "AuthorizeSecurityGroupIngress",
            permission(&group, 8443, CLIENTS),
        )
        .await;
    let error = result.expect_err("a full commit would push bob's rule");
    assert_eq!(
        error.error_type(),
        "OtherAdminsHavePendingChanges",
        "{error}"
    );
    assert!(error.to_string().contains(BOB), "{error}");
    assert_eq!(h.sim.stats().commits_enqueued, commits);
    assert!(!running_names(&h).contains(&"bob-allow-all".to_owned()));
    assert!(
        !service_names(&h.sim.candidate_config_xml()),
        "nothing was written"
    );
}

#[tokio::test]
async fn a_run_with_nothing_to_do_commits_nothing_of_another_admins() {
    let mut h = Harness::new("ap-southeast-3").await;
    let web1 = h.vpc.web1.clone();
    h.event("StartInstances", start(&web1))
        .await
        .1
        .expect("start");
    bob_stages_allow_all(&h, "bob-allow-all").await;
    let commits = h.sim.stats().commits_enqueued;
    let (report, result) = h.event("StartInstances", start(&web1)).await;
    result.expect("nothing to do");
    assert!(report.execution.expect("ran").commit.is_none());
    assert_eq!(h.sim.stats().commits_enqueued, commits, "no commit at all");
    assert!(!running_names(&h).contains(&"bob-allow-all".to_owned()));
}

// ---- item 4 ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_key_of_another_admin_is_refused() {
    let mut h = Harness::new("me-central-1").await;
    let mut config = h.app.config.firewall.clone();
    config.admin = Some(BOB.to_owned());
    h.reconnect(&config, palosync::firewall::MAX_ACTIONS_PER_BATCH);
    bob_stages_allow_all(&h, "bob-staged").await;
    let web1 = h.vpc.web1.clone();
    let (_, result) = h.event("StartInstances", start(&web1)).await;
    let error = result.expect_err("admin's key with PANOS_ADMIN=bob");
    assert_eq!(error.error_type(), "FirewallAdminMismatch", "{error}");
    let message = error.to_string();
    assert!(
        message.contains("administrator admin") && message.contains("PANOS_ADMIN=bob"),
        "names both users: {message}"
    );
    assert!(!running_names(&h).contains(&"bob-staged".to_owned()));
    assert!(h.managed_rules().await.is_empty());
    assert!(
        !candidate_rule_names(&h.sim)
            .iter()
            .any(|n| n.starts_with(&web1)),
        "nothing written"
    );
    assert!(
        h.admin.config_locks().await.expect("locks").is_empty(),
        "the lock taken to learn the key's user is released"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_refuses_a_key_of_another_admin() {
    let sim = start_simulator().await;
    let snapshot =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/snapshot.json");
    let run = |admin: &str| {
        let mut command = palosync_command(&sim, FIREWALL_INSTANCE);
        command
            .env("PANOS_ADMIN", admin)
            .arg("--topology")
            .arg(&snapshot)
            .arg("check");
        tokio::task::spawn_blocking(move || command.output().expect("palosync runs"))
    };
    let wrong = run(BOB).await.expect("join");
    let text = String::from_utf8_lossy(&wrong.stdout).into_owned();
    assert!(!wrong.status.success(), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("PANOS_ADMIN is the key's user"))
        .unwrap_or_else(|| panic!("an identity check: {text}"));
    assert!(
        line.starts_with("FAIL") && line.contains("admin") && line.contains("PANOS_ADMIN=bob"),
        "{line}"
    );
    let right = run(ADMIN).await.expect("join");
    let text = String::from_utf8_lossy(&right.stdout).into_owned();
    assert!(right.status.success(), "{text}");
    assert!(
        text.contains("ok   PANOS_ADMIN is the key's user") && text.contains("belongs to admin"),
        "{text}"
    );
    sim.shutdown().await;
}

// ---- item 9 ---------------------------------------------------------------------------------

#[tokio::test]
async fn multi_batch_writes_survive_strict_transactional() {
    let mut h = Harness::new("il-central-1").await;
    let config = h.app.config.firewall.clone();
    h.reconnect(&config, 3);
    for port in [8443, 9443, 10443] {
        authorize(&mut h, port, CLIENTS).await;
    }
    let (report, result) = h.sync().await;
    result.expect("a multi-batch sync");
    let execution = report.execution.expect("ran");
    assert!(execution.batches > 1, "{} batches", execution.batches);
    assert!(!execution.strict_batch);
    let managed = h.managed_rules().await;
    for port in [8443, 9443, 10443] {
        assert!(
            managed
                .iter()
                .any(|r| r.service.contains(&format!("tcp_{port}"))),
            "tcp_{port} reached the running config: {managed:#?}"
        );
    }
    let names = running_names(&h);
    assert_eq!(
        names.last().map(String::as_str),
        Some("Clean up"),
        "{names:?}"
    );
    assert_eq!(
        names.first().map(String::as_str),
        Some(OPERATOR_RULE),
        "{names:?}"
    );
}

#[tokio::test]
async fn a_failed_commits_pending_rule_survives_the_next_runs_write() {
    let mut h = Harness::new("ca-west-1").await;
    let web1 = h.vpc.web1.clone();
    h.sim.inject_faults(panos_sim::FaultPlan {
        fail_commits: 1,
        ..Default::default()
    });
    let (_, result) = h.event("StartInstances", start(&web1)).await;
    result.expect_err("the commit fails; the rule stays pending in the candidate");

    // The next run writes one small batch: a strict one would first revert the pending rule.
    authorize(&mut h, 8443, CLIENTS).await;
    let group = h.vpc.web_group.clone();
    let (report, result) = h
        .event(
            "AuthorizeSecurityGroupIngress",
            permission(&group, 8443, CLIENTS),
        )
        .await;
    result.expect("authorize reconciles");
    assert!(!report.execution.expect("ran").strict_batch);
    let managed = h.managed_rules().await;
    assert!(
        managed.iter().any(|r| r.name.starts_with(&web1)),
        "the earlier run's rule was committed, not reverted: {managed:#?}"
    );
    assert!(
        managed
            .iter()
            .any(|r| r.service.iter().any(|s| s == "tcp_8443"))
    );
}

fn service(port: u16) -> Operation {
    Operation::CreateService {
        service: ServiceContent {
            name: format!("tcp_{port}"),
            protocol: PortProtocol::Tcp,
            ports: model::PortRange::single(port),
            tags: vec!["palosync".into()],
        },
        why: Explanation::default(),
    }
}

#[tokio::test]
async fn a_failed_later_batch_leaves_nothing_of_the_plan_behind() {
    let mut h = Harness::new("ap-southeast-4").await;
    bob_stages_allow_all(&h, "bob-staged").await;
    let config = h.app.config.firewall.clone();
    h.reconnect(&config, 2);
    let broken = RuleContent {
        name: format!("{}-1", h.vpc.web_group),
        from_zones: vec!["no-such-zone".into()],
        to_zones: vec!["trust".into()],
        sources: vec!["any".into()],
        destinations: vec![h.vpc.web1_ip.clone()],
        applications: vec!["any".into()],
        services: vec!["tcp_8443".into()],
        action: RuleAction::Allow,
        profile_group: None,
        tags: vec!["palosync".into()],
        description: "refused by the device".into(),
    };
    let plan = Plan {
        operations: vec![
            service(8443),
            service(9443),
            Operation::CreateRule {
                rule: Box::new(broken.clone()),
                why: Explanation::default(),
            },
            Operation::MoveAboveBottom {
                name: broken.name.clone(),
                bottom_rule: "Clean up".into(),
                why: Explanation::default(),
            },
        ],
        ..Plan::default()
    };
    let firewall = h.firewall();
    let session = firewall
        .begin_write(Instant::now() + Duration::from_secs(30))
        .await
        .expect("admin's key");
    let result = firewall
        .apply(&plan, Some("palosync"), &session.key_user, false)
        .await;
    firewall.end_write(session).await.expect("released");
    match result {
        Err(FirewallError::Write {
            applied: 3,
            total: 5,
            revert,
            ..
        }) => assert_eq!(
            *revert,
            Revert::Reverted {
                admin: ADMIN.to_owned()
            }
        ),
        other => panic!("expected a reverted write, got {other:?}"),
    }
    let candidate = h.sim.candidate_config_xml();
    assert!(
        !candidate.contains("tcp_8443") && !candidate.contains("tcp_9443"),
        "batch 1 was reverted"
    );
    assert!(
        candidate_rule_names(&h.sim).contains(&"bob-staged".to_owned()),
        "bob's own pending rule is not palosync's to revert"
    );
}
