//! The full-sync scenario: 5,000 instances behind the firewall, 500 security groups of 20
//! permissions each, every instance in one or two groups. Measured in each policy mode twice:
//! the planner alone (pure, in memory, nothing managed yet) and end to end through `App::run`
//! against the simulator (read, plan, shadow checks, registrations, batches, one commit).

use crate::device::{BOTTOM_RULE, Costs, Device, Usage};
use crate::palosync_strategy;
use crate::topology::{add_group, add_instance, behind_firewall, permission, tcp};
use anyhow::Result;
use model::{InstanceState, PolicyMode, PortRange, Protocol, Provenance, Settings, Topology};
use palosync::app::Work;
use planner::testing::InMemoryFirewall;
use planner::{Operation, PolicyAnswers, RuleAction, Scope, plan_candidates};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct FleetSize {
    pub instances: u32,
    pub groups: u32,
    pub permissions: u32,
}

impl FleetSize {
    pub const FULL: FleetSize = FleetSize {
        instances: 5_000,
        groups: 500,
        permissions: 20,
    };
}

pub fn topology(size: FleetSize) -> Topology {
    let mut topology = behind_firewall();
    for g in 0..size.groups {
        let ingress = (0..size.permissions)
            .map(|p| {
                let protocol = match p % 4 {
                    0 => tcp([22, 443, 80, 3306][(p / 4 % 4) as usize]),
                    1 => tcp(8000 + ((g * 20 + p) % 1000) as u16),
                    2 => Protocol::Udp {
                        ports: PortRange::new(10_000, 10_000 + p as u16)
                            .expect("from <= to by construction"),
                    },
                    _ => tcp(9000 + p as u16),
                };
                let cidrs: Vec<String> = (0..1 + p % 2)
                    .map(|i| format!("198.{}.{}.0/24", 18 + i % 2, (g + p + i) % 250))
                    .collect();
                permission(protocol, &cidrs)
            })
            .collect();
        add_group(&mut topology, g, ingress);
    }
    for i in 0..size.instances {
        let mut groups = vec![i % size.groups];
        if i % 2 == 0 {
            groups.push((i * 7 + 3) % size.groups);
        }
        groups.dedup();
        add_instance(&mut topology, i, InstanceState::Running, 1, &groups);
    }
    topology
}

/// What one plan of the whole fleet holds.
#[derive(Debug, Clone, Copy)]
pub struct PlanShape {
    pub operations: usize,
    pub rules: usize,
    pub address_groups: usize,
    pub registrations: usize,
    pub queries: usize,
    pub elapsed: Duration,
}

/// The policy settings the harness plans with, in `mode`.
pub fn settings(mode: PolicyMode) -> Result<Settings> {
    Ok(Settings::new(
        crate::topology::FIREWALL_INSTANCE,
        BOTTOM_RULE,
        "untrust",
        "trust",
    )?
    .with_mode(mode))
}

/// The planner alone in `mode`, against a firewall that holds only the bottom rule.
pub fn plan_alone(topology: &Topology, mode: PolicyMode) -> Result<PlanShape> {
    let settings = settings(mode)?;
    let scope = Scope::everything(Provenance::sync("bench"));
    let firewall = InMemoryFirewall::new(
        vec![InMemoryFirewall::catch_all(BOTTOM_RULE, RuleAction::Deny)],
        Vec::new(),
    );
    let started = Instant::now();
    let candidates = plan_candidates(planner::PlanInput {
        topology,
        settings: &settings,
        scope: &scope,
        rules: &firewall.rules,
        services: &firewall.services,
        objects: &firewall.objects,
    })?;
    let queries = candidates.queries().len();
    // Nothing managed exists and no operator rule allows these flows: every answer is "no".
    let plan = candidates.finish(&PolicyAnswers::new());
    let elapsed = started.elapsed();
    let count =
        |wanted: fn(&Operation) -> bool| plan.operations.iter().filter(|o| wanted(o)).count();
    Ok(PlanShape {
        operations: plan.operations.len(),
        rules: count(|op| matches!(op, Operation::CreateRule { .. })),
        address_groups: count(|op| matches!(op, Operation::CreateAddressGroup { .. })),
        registrations: plan.registrations.register.len(),
        queries,
        elapsed,
    })
}

/// One end-to-end sync: the firewall work, and what the device holds afterwards.
#[derive(Debug, Clone, Copy)]
pub struct SyncRun {
    pub usage: Usage,
    pub registered: usize,
}

/// End to end: one `sync` in `mode` through `App::run` against a fresh simulated firewall.
pub async fn sync_end_to_end(
    topology: &Topology,
    mode: PolicyMode,
    costs: Costs,
) -> Result<SyncRun> {
    let device = Device::start().await?;
    let app = palosync_strategy::app(&device, topology, mode, costs.poll)?;
    device.set_costs(costs);
    let before = device.stats();
    let started = Instant::now();
    palosync_strategy::invoke(&app, Work::Everything(Provenance::sync("bench"))).await?;
    let usage = Usage::between(&before, &device.stats(), started.elapsed());
    let registered = device.registered_addresses();
    device.shutdown().await;
    Ok(SyncRun { usage, registered })
}
