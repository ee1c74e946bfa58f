//! Every behaviour of the original aws-lambda-paloalto, against moto and the simulated
//! firewall, through the path the Lambda takes: an EventBridge event, a fresh read of AWS, a
//! plan, one batch, one partial commit. Each test checks the committed (running) rulebase.

mod support;

use serde_json::json;
use support::moto::{cidr, tcp};
use support::*;

fn members(rule: &panos::SecurityRule) -> String {
    format!(
        "{} -> {} {}/{}",
        rule.source.join(","),
        rule.destination.join(","),
        rule.application.join(","),
        rule.service.join(",")
    )
}

fn instances(ids: &[&str]) -> serde_json::Value {
    let items: Vec<_> = ids.iter().map(|id| json!({ "instanceId": id })).collect();
    json!({ "instancesSet": { "items": items } })
}

fn permission(group: &str, port: u16, source: &str) -> serde_json::Value {
    json!({ "groupId": group, "ipPermissions": { "items": [{
        "ipProtocol": "tcp", "fromPort": port, "toPort": port,
        "ipRanges": { "items": [{ "cidrIp": source }] } }] } })
}

#[tokio::test]
async fn start_instances_adds_instance_named_rules_for_in_scope_interfaces_only() {
    let mut h = Harness::new("us-east-2").await;
    let operator_before = h.operator_rule().await;
    let (web1, pub1) = (h.vpc.web1.clone(), h.vpc.pub1.clone());

    let (report, result) = h.event("StartInstances", instances(&[&web1, &pub1])).await;
    result.expect("start reconciles");

    let managed = h.managed_rules().await;
    let described: Vec<_> = managed.iter().map(members).collect();
    assert_eq!(
        described,
        [format!("any -> {} ssl/application-default", h.vpc.web1_ip)]
    );
    assert!(
        managed[0].name.starts_with(&format!("{web1}-")),
        "{}",
        managed[0].name
    );
    // pub1 routes to the internet gateway; 22 from 10.0.0.0/16 is the VPC itself
    // (internal); 8080 comes from a group: none of them opens anything.
    assert!(!described.iter().any(|d| d.contains(&h.vpc.pub1_ip)));

    // Placed directly above the bottom rule, below the operator's rule.
    let names: Vec<_> = h
        .running_rules()
        .await
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(
        names,
        [
            OPERATOR_RULE.to_owned(),
            managed[0].name.clone(),
            "Clean up".to_owned()
        ]
    );
    assert_eq!(
        h.operator_rule().await,
        operator_before,
        "operator rule untouched"
    );
    assert_eq!(
        h.sim.stats().commits_enqueued,
        2,
        "the seed's commit and ours"
    );
    assert!(report.aws_calls.values().sum::<u64>() > 0);
}

#[tokio::test]
async fn authorize_adds_group_rules_and_revoke_and_stop_remove_every_allowance_they_backed() {
    let mut h = Harness::new("us-west-1").await;
    let (web1, group) = (h.vpc.web1.clone(), h.vpc.web_group.clone());
    h.event("StartInstances", instances(&[&web1]))
        .await
        .1
        .expect("start");

    h.ec2
        .authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(tcp(8443).ip_ranges(cidr("198.51.100.0/24")).build())
        .send()
        .await
        .expect("authorize in moto");
    h.event(
        "AuthorizeSecurityGroupIngress",
        permission(&group, 8443, "198.51.100.0/24"),
    )
    .await
    .1
    .expect("authorize reconciles");
    let managed = h.managed_rules().await;
    let by_group: Vec<_> = managed
        .iter()
        .filter(|r| r.name.starts_with(&group))
        .collect();
    assert_eq!(by_group.len(), 1, "{managed:#?}");
    assert_eq!(
        members(by_group[0]),
        format!("198.51.100.0/24 -> {} any/tcp_8443", h.vpc.web1_ip)
    );

    // The original left the per-instance rule for 443 behind on revoke; palosync removes it.
    h.ec2
        .revoke_security_group_ingress()
        .group_id(&group)
        .ip_permissions(tcp(443).ip_ranges(cidr("0.0.0.0/0")).build())
        .send()
        .await
        .expect("revoke in moto");
    h.event(
        "RevokeSecurityGroupIngress",
        permission(&group, 443, "0.0.0.0/0"),
    )
    .await
    .1
    .expect("revoke reconciles");
    let remaining: Vec<_> = h.managed_rules().await.iter().map(members).collect();
    assert_eq!(
        remaining,
        [format!("198.51.100.0/24 -> {} any/tcp_8443", h.vpc.web1_ip)]
    );

    h.ec2
        .stop_instances()
        .instance_ids(&web1)
        .send()
        .await
        .expect("stop in moto");
    h.event("StopInstances", instances(&[&web1]))
        .await
        .1
        .expect("stop reconciles");
    assert!(h.managed_rules().await.is_empty());
    assert!(
        !h.sim.running_config_xml().contains("tcp_8443"),
        "unused service removed"
    );
}

#[tokio::test]
async fn the_same_payload_twice_writes_and_commits_once() {
    let h = Harness::new("eu-west-3").await;
    let web1 = h.vpc.web1.clone();
    let payload = palosync::demo::api_call_event("StartInstances", "alice", 1, instances(&[&web1]));
    let bytes = payload.to_string().into_bytes();

    h.payload(&bytes).await.1.expect("first delivery");
    let after_first = h.sim.stats();
    let (second, result) = h.payload(&bytes).await;
    result.expect("second delivery");
    let after_second = h.sim.stats();

    let execution = second.execution.expect("reconciled");
    assert!(execution.plan.is_empty());
    assert_eq!(execution.commit, None);
    assert_eq!(after_second.commits_enqueued, after_first.commits_enqueued);
    assert_eq!(
        after_second.by_action.get("multi-config"),
        after_first.by_action.get("multi-config"),
        "no write the second time"
    );
}

#[tokio::test]
async fn traffic_an_operator_rule_already_allows_gets_no_rule() {
    let mut h = Harness::new("eu-south-1").await;
    let group = h.vpc.web_group.clone();
    let web1 = h.vpc.web1.clone();
    h.event("StartInstances", instances(&[&web1]))
        .await
        .1
        .expect("start");
    let before = h.managed_rules().await;

    let bastion = format!("{BASTION}/32");
    h.ec2
        .authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(tcp(22).ip_ranges(cidr(&bastion)).build())
        .send()
        .await
        .expect("authorize in moto");
    let (report, result) = h
        .event(
            "AuthorizeSecurityGroupIngress",
            permission(&group, 22, &bastion),
        )
        .await;
    result.expect("reconciles");

    let execution = report.execution.expect("reconciled");
    assert_eq!(execution.plan.shadowed.len(), 1, "{:#?}", execution.plan);
    assert_eq!(execution.plan.shadowed[0].rule, OPERATOR_RULE);
    // The operator rule names the bastion literally: decided from the rulebase, nothing asked.
    assert_eq!(execution.policy_match_queries, 0);
    assert_eq!(h.managed_rules().await, before, "no managed rule was added");
}
