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

/// An estate of `count` running instances behind the firewall, all in one group open to the
/// world on 443.
fn estate(count: usize) -> model::Topology {
    use model::*;
    let vpc = VpcId::new("vpc-0e57a7e000000001");
    let subnet = SubnetId::new("subnet-0e57a7e000000001");
    let group = GroupId::new("sg-0e57a7e000000001");
    let mut topology = Topology {
        vpcs: vec![Vpc {
            id: vpc.clone(),
            cidr_blocks: vec!["10.0.0.0/16".parse().unwrap()],
        }],
        subnets: vec![Subnet {
            id: subnet.clone(),
            vpc_id: vpc.clone(),
            ipv4_cidr: Some("10.0.0.0/17".parse().unwrap()),
            ipv6_cidrs: vec![],
        }],
        route_tables: vec![RouteTable {
            id: RouteTableId::new("rtb-0e57a7e000000001"),
            vpc_id: vpc.clone(),
            associations: vec![RouteTableAssociation {
                id: AssociationId::new("rtbassoc-0e57a7e000000001"),
                main: true,
                subnet_id: None,
                gateway_id: None,
            }],
            routes: vec![Route {
                destination: RouteDestination::Cidr("0.0.0.0/0".parse().unwrap()),
                targets: RouteTargets {
                    instance_id: Some(InstanceId::new(FIREWALL_INSTANCE)),
                    ..RouteTargets::default()
                },
                state: RouteState::Active,
            }],
        }],
        security_groups: vec![SecurityGroup {
            id: group.clone(),
            name: "web".into(),
            vpc_id: Some(vpc.clone()),
            ingress: vec![IngressPermission {
                protocol: Protocol::Tcp {
                    ports: PortRange::single(443),
                },
                ipv4_ranges: vec![CidrSource {
                    cidr: "0.0.0.0/0".parse().unwrap(),
                    description: None,
                }],
                ipv6_ranges: vec![],
                prefix_lists: vec![],
                groups: vec![],
            }],
        }],
        ..Topology::default()
    };
    for n in 0..count {
        let instance = InstanceId::new(format!("i-0e57a7e{n:010x}"));
        topology.instances.push(Instance {
            id: instance.clone(),
            state: InstanceState::Running,
            vpc_id: Some(vpc.clone()),
        });
        topology.network_interfaces.push(NetworkInterface {
            id: EniId::new(format!("eni-0e57a7e{n:010x}")),
            vpc_id: vpc.clone(),
            subnet_id: subnet.clone(),
            attachment: Some(Attachment {
                instance_id: instance,
                attachment_id: None,
                device_index: Some(0),
            }),
            private_ipv4: vec![std::net::Ipv4Addr::new(
                10,
                0,
                (n / 250) as u8,
                (n % 250 + 4) as u8,
            )],
            ipv6: vec![],
            security_groups: vec![group.clone()],
        });
    }
    topology
}

// Regression: a first sync of a large estate was one multi-config request too large for the
// device's web server (HTTP 413), so it could never be written.
#[tokio::test]
async fn a_large_first_sync_is_written_in_several_batches_and_committed_once() {
    let sim = start_simulator().await;
    let firewall = firewall(&sim);
    let execution = sync(&firewall, &estate(300)).await;

    // The tag, 300 rules, 300 moves: four requests of at most 200 actions, one commit.
    assert_eq!(execution.actions_written, 601);
    let stats = sim.stats();
    assert_eq!(stats.by_action.get("multi-config"), Some(&4));
    assert_eq!(stats.commits_enqueued, 1);
    let running = running_rule_names(&sim);
    assert_eq!(running.len(), 301);
    assert_eq!(running.last().map(String::as_str), Some("Clean up"));
    assert!(sync(&firewall, &estate(300)).await.plan.is_empty());
    sim.shutdown().await;
}
