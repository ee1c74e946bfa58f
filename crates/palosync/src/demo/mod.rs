//! `palosync demo`: the whole product in a few seconds with no AWS, no firewall and no network.
//! A simulated firewall runs in-process with an operator's small rulebase, the topology comes
//! from the bundled example snapshot, and a burst of CloudTrail events goes through exactly the
//! path the Lambda takes: parse, read topology, plan, shadow checks, one batch, one commit.

use crate::app::{App, AppError, TopologySource, Work};
use crate::config::{Config, RawSettings};
use crate::firewall::{CommitReport, Firewall};
use crate::report::Report;
use aws::{ScopeOptions, Snapshot, SnapshotInventory};
use model::{CidrSource, GroupId, InstanceId, InstanceState, Protocol, Topology};
use panos::{ConfigEntry, Location, Position, RuleAction, SecurityRule};
use serde_json::{Value, json};
use std::io::Write;
use std::time::{Duration, Instant};

mod act_two;

use act_two::{Tally, committed, group_act, rule_changes};

const SNAPSHOT: &str = include_str!("../../../../examples/snapshot.json");
const FIREWALL: &str = "i-07cc661e97589ca4a";
const WEB: &str = "i-063f65da874007cb4";
const WEB_GROUP: &str = "sg-0a9b7e3ea1d1d784f";
const KEY: &str = "demo-api-key";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the simulated firewall did not start: {0}")]
    Simulator(#[from] panos_sim::SimError),
    #[error("setting up the demo rulebase failed: {0}")]
    Setup(#[from] panos::Error),
    #[error("the bundled snapshot is invalid: {0}")]
    Snapshot(#[from] aws::InventoryError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Firewall(#[from] crate::firewall::FirewallError),
    #[error("{0}")]
    Run(#[from] AppError),
    #[error("bundled event: {0}")]
    Event(#[from] events::EventsError),
    #[error("writing the story failed: {0}")]
    Output(#[from] std::io::Error),
}

/// One event of the story: what happened in AWS, and the CloudTrail record it produced.
struct Step {
    title: &'static str,
    change: fn(&mut Topology),
    event_name: &'static str,
    request: Value,
}

pub async fn run(out: &mut impl Write) -> Result<(), DemoError> {
    let started = Instant::now();
    let sim = panos_sim::Simulator::builder()
        .api_key(KEY)
        .commit_delay(Duration::from_millis(200))
        .start()
        .await?;
    let admin_client = panos::Client::builder(sim.url())
        .api_key(panos::ApiKey::new(KEY))
        .job_poll_interval(Duration::from_millis(50))
        .build()?;
    let operator_rules = [
        operator_rule("outbound-web", "trust", "untrust", "any", "web-browsing"),
        operator_rule("ops-bastion-ssh", "untrust", "trust", "203.0.113.7", "ssh"),
    ];
    seed_operator_rules(&admin_client, &operator_rules, "Clean up", "admin").await?;
    let operator_rules = admin_client
        .security_rules(&Location::vsys("vsys1"))
        .await?;

    let config = demo_config(&sim.url())?;
    let firewall = Firewall::connect_polling(
        &sim.url(),
        &config.firewall,
        panos::ApiKey::new(KEY),
        Duration::from_millis(50),
    )?;
    let mut topology: Topology = aws::Snapshot::from_json(SNAPSHOT)?.topology;
    // Before the story: the web server is stopped and its group has no partner port yet.
    stop(&mut topology);
    without_partner_port(&mut topology);

    writeln!(
        out,
        "palosync demo: a simulated PAN-OS firewall at {}",
        sim.url()
    )?;
    writeln!(
        out,
        "and the example VPC of examples/snapshot.json (no AWS, no network).\n"
    )?;
    writeln!(out, "Rulebase before:")?;
    print_rulebase(out, &admin_client).await?;

    let mut app = App::from_parts(config, firewall, snapshot_source(&topology));
    let mut tally = Tally::default();
    for (number, step) in story().into_iter().enumerate() {
        (step.change)(&mut topology);
        app.topology = snapshot_source(&topology);
        writeln!(out, "\n{}. {}", number + 1, step.title)?;
        let principal = if step.event_name.contains("Instances") {
            "alice"
        } else {
            "bob"
        };
        let payload = api_call_event(step.event_name, principal, number, step.request);
        let ingest = events::parse_payload(payload.to_string().as_bytes(), &app.event_filter())?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let (report, result) = app.run("demo", Work::Ingest(ingest), false, deadline).await;
        print_step(out, &report)?;
        tally.address_rules += rule_changes(&report);
        tally.address_commits += usize::from(committed(&report));
        result?;
    }

    writeln!(out, "\nRulebase after (committed):")?;
    print_rulebase(out, &admin_client).await?;

    group_act(out, &mut app, &mut topology, &mut tally).await?;
    writeln!(out, "\nRulebase in group mode (committed):")?;
    print_rulebase(out, &admin_client).await?;
    let after = admin_client
        .security_rules(&Location::vsys("vsys1"))
        .await?;
    let untouched = operator_rules.iter().all(|rule| after.contains(rule));
    let stats = sim.stats();
    writeln!(out, "\nIn short:")?;
    writeln!(
        out,
        "  address mode: {} rule changes in {} commits; group mode: {} rule changes, {} registrations, and a stop and a start for no commit.",
        tally.address_rules, tally.address_commits, tally.group_rules, tally.registrations
    )?;
    writeln!(
        out,
        "  {} API requests, {} commits in all (one of them the operator's setup), {:.1} s.",
        stats.requests,
        stats.commits_finished,
        started.elapsed().as_secs_f64()
    )?;
    writeln!(
        out,
        "  Operator rules {}.",
        if untouched {
            "unchanged, entry for entry"
        } else {
            "CHANGED (this is a bug)"
        }
    )?;
    sim.shutdown().await;
    Ok(())
}

fn story() -> Vec<Step> {
    vec![
        Step {
            title: "alice starts the web server (StartInstances)",
            change: |t| set_web_state(t, InstanceState::Running),
            event_name: "StartInstances",
            request: json!({"instancesSet": {"items": [{"instanceId": WEB}]}}),
        },
        Step {
            title: "bob opens tcp/8443 to a partner network (AuthorizeSecurityGroupIngress)",
            change: with_partner_port,
            event_name: "AuthorizeSecurityGroupIngress",
            request: json!({"groupId": WEB_GROUP, "ipPermissions": {"items": [{
                "ipProtocol": "tcp", "fromPort": 8443, "toPort": 8443,
                "ipRanges": {"items": [{"cidrIp": "198.51.100.0/24"}]}}]}}),
        },
        Step {
            title: "bob lets the ops bastion host ssh in; an operator rule already allows that",
            change: with_bastion_ssh,
            event_name: "AuthorizeSecurityGroupIngress",
            request: json!({"groupId": WEB_GROUP, "ipPermissions": {"items": [{
                "ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                "ipRanges": {"items": [{"cidrIp": "203.0.113.7/32"}]}}]}}),
        },
        Step {
            title: "bob closes tcp/8443 again (RevokeSecurityGroupIngress)",
            change: without_partner_port,
            event_name: "RevokeSecurityGroupIngress",
            request: json!({"groupId": WEB_GROUP, "ipPermissions": {"items": [{
                "ipProtocol": "tcp", "fromPort": 8443, "toPort": 8443,
                "ipRanges": {"items": [{"cidrIp": "198.51.100.0/24"}]}}]}}),
        },
        Step {
            title: "alice stops the web server (StopInstances)",
            change: stop,
            event_name: "StopInstances",
            request: json!({"instancesSet": {"items": [{"instanceId": WEB}]}}),
        },
    ]
}

fn set_web_state(topology: &mut Topology, state: InstanceState) {
    let web = InstanceId::new(WEB);
    for instance in topology.instances.iter_mut().filter(|i| i.id == web) {
        instance.state = state;
    }
}

fn stop(topology: &mut Topology) {
    set_web_state(topology, InstanceState::Stopped);
}

fn web_ingress(topology: &mut Topology) -> &mut Vec<model::IngressPermission> {
    let group = GroupId::new(WEB_GROUP);
    &mut topology
        .security_groups
        .iter_mut()
        .find(|g| g.id == group)
        .expect("the bundled snapshot has the web group")
        .ingress
}

fn tcp_port(port: u16) -> Protocol {
    Protocol::Tcp {
        ports: model::PortRange::single(port),
    }
}

fn without_partner_port(topology: &mut Topology) {
    web_ingress(topology).retain(|p| p.protocol != tcp_port(8443));
}

fn with_partner_port(topology: &mut Topology) {
    web_ingress(topology).push(permission(tcp_port(8443), "198.51.100.0/24"));
}

fn with_bastion_ssh(topology: &mut Topology) {
    web_ingress(topology).push(permission(tcp_port(22), "203.0.113.7/32"));
}

fn permission(protocol: Protocol, cidr: &str) -> model::IngressPermission {
    model::IngressPermission {
        protocol,
        ipv4_ranges: vec![CidrSource {
            cidr: cidr.parse().expect("demo CIDRs are valid"),
            description: None,
        }],
        ipv6_ranges: vec![],
        prefix_lists: vec![],
        groups: vec![],
    }
}

fn snapshot_source(topology: &Topology) -> TopologySource {
    let scope = ScopeOptions {
        firewall_instance_id: Some(InstanceId::new(FIREWALL)),
        extra_route_targets: vec![],
    };
    let snapshot = Snapshot::new(topology.clone(), Some("us-east-1".to_owned()), &scope);
    TopologySource::Snapshot(Box::new(SnapshotInventory::from_snapshot(snapshot)))
}

fn demo_config(url: &str) -> Result<Config, crate::config::ConfigError> {
    let mut raw = RawSettings::default();
    for (setting, value) in [
        ("panos_url", url),
        ("panos_api_key", KEY),
        ("panos_admin", "admin"),
        ("panos_bottom_rule", "Clean up"),
        ("panos_untrust_zone", "untrust"),
        ("panos_trust_zone", "trust"),
        ("panos_profile_group", "default"),
        ("firewall_instance_id", FIREWALL),
        ("aws_region", "us-east-1"),
        ("aws_account_id", "111122223333"),
    ] {
        raw.set(setting, value.to_owned());
    }
    Config::validate(&raw)
}

/// An operator's own allow rule from `from` to `to` for `application` from `source`: the kind
/// of rule palosync must leave exactly as it is. The demo, the tests and the benchmarks seed them.
pub fn operator_rule(
    name: &str,
    from: &str,
    to: &str,
    source: &str,
    application: &str,
) -> SecurityRule {
    let any = || vec!["any".to_owned()];
    SecurityRule {
        name: name.to_owned(),
        from: vec![from.to_owned()],
        to: vec![to.to_owned()],
        source: vec![source.to_owned()],
        destination: any(),
        source_user: any(),
        category: any(),
        application: vec![application.to_owned()],
        service: vec!["application-default".to_owned()],
        action: Some(RuleAction::Allow),
        description: Some("operator rule".to_owned()),
        ..SecurityRule::default()
    }
}

/// Create `rules` in vsys1 directly above `bottom_rule` and commit them as `admin`.
pub async fn seed_operator_rules(
    client: &panos::Client,
    rules: &[SecurityRule],
    bottom_rule: &str,
    admin: &str,
) -> Result<(), panos::Error> {
    let vsys = Location::vsys("vsys1");
    for rule in rules {
        client.create(&vsys, rule).await?;
        client
            .move_entry(
                &SecurityRule::xpath(&vsys, &rule.name),
                &Position::Before(bottom_rule.to_owned()),
            )
            .await?;
    }
    client
        .commit_and_wait(
            &panos::CommitRequest::partial_for(admin),
            Duration::from_secs(10),
        )
        .await?;
    Ok(())
}

async fn print_rulebase(out: &mut impl Write, client: &panos::Client) -> Result<(), DemoError> {
    let rules = client.security_rules(&Location::vsys("vsys1")).await?;
    for rule in rules {
        let action = rule.action.as_ref().map_or("?", |a| a.as_str()).to_owned();
        writeln!(
            out,
            "  {:<26} {:>7} -> {:<7} from {:<32} to {:<11} {:<14} {}",
            rule.name,
            rule.from.join(","),
            rule.to.join(","),
            rule.source.join(","),
            rule.destination.join(","),
            format!("{}/{}", rule.application.join(","), rule.service.join(",")),
            action
        )?;
    }
    Ok(())
}

fn print_step(out: &mut impl Write, report: &Report) -> Result<(), DemoError> {
    for key in &report.keys {
        writeln!(out, "   reconcile {key}")?;
    }
    let Some(execution) = &report.execution else {
        return Ok(());
    };
    for op in execution
        .plan
        .operations
        .iter()
        .chain(&execution.plan.cleanup)
    {
        writeln!(out, "   - {}", op.why().text)?;
    }
    for (verb, registration) in execution.plan.registrations.listed() {
        writeln!(
            out,
            "   - {verb} {} as {}",
            registration.address,
            registration.tags.join(", ")
        )?;
    }
    for shadowed in &execution.plan.shadowed {
        writeln!(
            out,
            "   - no rule needed: {} from {} already allowed by {}",
            shadowed.allowance.destination, shadowed.allowance.source, shadowed.rule
        )?;
    }
    let commit = match &execution.commit {
        None if execution.membership_only => {
            "no commit (a registration takes effect at once)".to_owned()
        }
        Some(CommitReport::Committed { job_id, .. }) => format!("one commit (job {job_id}, OK)"),
        Some(CommitReport::StillRunning { job_id }) => format!("commit job {job_id} still running"),
        Some(CommitReport::NothingToCommit) | None => "nothing to commit".to_owned(),
    };
    let trips: u64 = report.firewall_round_trips.values().sum();
    writeln!(out, "   => {commit}; {trips} firewall round trips")?;
    Ok(())
}

/// An EventBridge "AWS API Call via CloudTrail" event as AWS delivers it, for an IAM user of
/// account 111122223333 in us-east-1; `sequence` makes the event id unique. The integration
/// tests build their payloads with it too.
pub fn api_call_event(event_name: &str, principal: &str, sequence: usize, request: Value) -> Value {
    json!({
        "version": "0",
        "id": format!("7400a4bd-d520-3e73-7dd9-{sequence:012x}"),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ec2",
        "account": "111122223333",
        "time": "2026-11-27T01:04:41Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "eventVersion": "1.10",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDAJ45Q7YFFAREXAMPLE",
                "arn": format!("arn:aws:iam::111122223333:user/{principal}"),
                "accountId": "111122223333",
                "userName": principal
            },
            "eventTime": format!("2026-11-27T01:{:02}:41Z", sequence % 60),
            "eventSource": "ec2.amazonaws.com",
            "eventName": event_name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "192.0.2.10",
            "userAgent": "aws-cli/2.22.4",
            "requestParameters": request,
            "responseElements": {"requestId": "c0ffee00-0000-4000-8000-00000000000a", "_return": true},
            "requestID": "c0ffee00-0000-4000-8000-00000000000a",
            "eventID": format!("0f1e2d3c-4b5a-6978-8796-{sequence:012x}"),
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": "111122223333",
            "eventCategory": "Management"
        }
    })
}
