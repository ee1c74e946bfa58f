//! Full-sync planning at scale: 5,000 instances, 500 groups of 20 permissions each.
//!
//! `cold`: nothing managed yet (every rule is created). `converged`: the firewall already holds
//! the result of the cold plan (the plan is empty). Before measuring, each case prints the
//! allocations and bytes one plan makes, and the process's peak resident memory.

use criterion::{Criterion, criterion_group, criterion_main};
use model::{
    Attachment, CidrSource, IngressPermission, Instance, InstanceId, InstanceState,
    NetworkInterface, PortRange, Protocol, Provenance, Route, RouteDestination, RouteState,
    RouteTable, RouteTableAssociation, RouteTargets, SecurityGroup, Settings, SubnetId, Topology,
    Vpc, VpcId,
};
use planner::testing::InMemoryFirewall;
use planner::{Operation, PolicyAnswers, RuleAction, Scope, plan_candidates};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::net::Ipv4Addr;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const INSTANCES: u32 = 5_000;
const GROUPS: u32 = 500;
const PERMISSIONS: u32 = 20;

fn topology() -> Topology {
    let vpc = VpcId::new("vpc-1");
    let mut topology = Topology {
        vpcs: vec![Vpc {
            id: vpc.clone(),
            cidr_blocks: vec!["10.0.0.0/16".parse().expect("cidr")],
        }],
        route_tables: vec![RouteTable {
            id: "rtb-main".into(),
            vpc_id: vpc.clone(),
            associations: vec![RouteTableAssociation {
                id: "rtbassoc-main".into(),
                main: true,
                subnet_id: None,
                gateway_id: None,
            }],
            routes: vec![Route {
                destination: RouteDestination::Cidr("0.0.0.0/0".parse().expect("cidr")),
                targets: RouteTargets {
                    instance_id: Some("i-f00".into()),
                    ..RouteTargets::default()
                },
                state: RouteState::Active,
            }],
        }],
        ..Topology::default()
    };
    for g in 0..GROUPS {
        let ingress = (0..PERMISSIONS)
            .map(|p| {
                let protocol = match p % 4 {
                    0 => Protocol::Tcp {
                        ports: PortRange::single([22, 443, 80, 3306][(p / 4 % 4) as usize]),
                    },
                    1 => Protocol::Tcp {
                        ports: PortRange::single(8000 + (g * 20 + p) as u16 % 1000),
                    },
                    2 => Protocol::Udp {
                        ports: PortRange::new(10_000, 10_000 + p as u16).expect("ordered"),
                    },
                    _ => Protocol::Tcp {
                        ports: PortRange::single(9000 + p as u16),
                    },
                };
                let source = |i: u32| CidrSource {
                    cidr: format!("198.{}.{}.0/24", 18 + i % 2, (g + p + i) % 250)
                        .parse()
                        .expect("cidr"),
                    description: None,
                };
                IngressPermission {
                    protocol,
                    ipv4_ranges: (0..1 + p % 2).map(source).collect(),
                    ipv6_ranges: Vec::new(),
                    prefix_lists: Vec::new(),
                    groups: Vec::new(),
                }
            })
            .collect();
        topology.security_groups.push(SecurityGroup {
            id: format!("sg-{g:x}").into(),
            name: String::new(),
            vpc_id: Some(vpc.clone()),
            ingress,
        });
    }
    for i in 0..INSTANCES {
        let id = InstanceId::new(format!("i-{i:x}"));
        topology.instances.push(Instance {
            id: id.clone(),
            state: InstanceState::Running,
            vpc_id: Some(vpc.clone()),
        });
        let groups = [i % GROUPS, (i * 7 + 3) % GROUPS];
        topology.network_interfaces.push(NetworkInterface {
            id: format!("eni-{i:x}").into(),
            vpc_id: vpc.clone(),
            subnet_id: SubnetId::new("subnet-1"),
            attachment: Some(Attachment {
                instance_id: id,
                attachment_id: None,
                device_index: Some(0),
            }),
            private_ipv4: vec![Ipv4Addr::new(10, 0, (i / 250) as u8, (i % 250) as u8 + 1)],
            ipv6: Vec::new(),
            security_groups: groups.iter().map(|g| format!("sg-{g:x}").into()).collect(),
        });
    }
    topology
}

fn converged(cold: &InMemoryFirewall, plan: &planner::Plan) -> InMemoryFirewall {
    // Applying 100k+ creates one by one is quadratic in the model; place them in one go.
    let mut rules = Vec::new();
    let mut services = Vec::new();
    for op in &plan.operations {
        match op {
            Operation::CreateRule { rule, .. } => rules.push(rule.to_observed()),
            Operation::CreateService { service, .. } => services.push(service.to_observed()),
            _ => {}
        }
    }
    rules.extend(cold.rules.iter().cloned());
    InMemoryFirewall::new(rules, services)
}

fn plan_once(
    topology: &Topology,
    settings: &Settings,
    scope: &Scope,
    firewall: &InMemoryFirewall,
) -> planner::Plan {
    let candidates = plan_candidates(planner::PlanInput {
        topology,
        settings,
        scope,
        rules: &firewall.rules,
        services: &firewall.services,
        objects: &firewall.objects,
    })
    .expect("plan");
    // The firewall holds no unmanaged rule above the bottom rule: nothing is shadowed.
    candidates.finish(&PolicyAnswers::new())
}

fn report(label: &str, run: impl FnOnce() -> planner::Plan) {
    let region = Region::new(GLOBAL);
    let plan = run();
    let stats = region.change();
    eprintln!(
        "{label}: {} operations; {} allocations, {} MiB allocated in one plan; peak RSS {}",
        plan.operations.len(),
        stats.allocations,
        stats.bytes_allocated / (1024 * 1024),
        peak_rss()
    );
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "unknown".into())
}

fn full_sync(c: &mut Criterion) {
    let topology = topology();
    let settings = Settings::new("i-f00", "Clean up", "untrust", "trust").expect("settings");
    let scope = Scope::everything(Provenance::sync("sync"));
    let cold = InMemoryFirewall::new(
        vec![InMemoryFirewall::catch_all("Clean up", RuleAction::Deny)],
        Vec::new(),
    );
    let plan = plan_once(&topology, &settings, &scope, &cold);
    let warm = converged(&cold, &plan);
    report("cold", || plan_once(&topology, &settings, &scope, &cold));
    report("converged", || {
        plan_once(&topology, &settings, &scope, &warm)
    });
    assert!(plan_once(&topology, &settings, &scope, &warm).is_empty());

    let mut group = c.benchmark_group("full_sync_5000_instances");
    group.sample_size(10);
    group.bench_function("cold", |b| {
        b.iter(|| plan_once(&topology, &settings, &scope, &cold))
    });
    group.bench_function("converged", |b| {
        b.iter(|| plan_once(&topology, &settings, &scope, &warm))
    });
    group.finish();
}

criterion_group!(benches, full_sync);
criterion_main!(benches);
