//! Full-sync planning at scale: 5,000 instances, 500 groups of 20 permissions each (the
//! estate of `planner::testing::estate`).
//!
//! `cold`: nothing managed yet (every rule is created). `converged`: the firewall already holds
//! the result of the cold plan (the plan is empty). `groups_*`: the same in group mode. Before measuring, each case prints the
//! allocations and bytes one plan makes, and the process's peak resident memory.

use criterion::{Criterion, criterion_group, criterion_main};
use model::{PolicyMode, Provenance, Settings, Topology};
use planner::testing::InMemoryFirewall;
use planner::testing::estate::estate;
use planner::{Operation, PolicyAnswers, RuleAction, Scope, plan_candidates};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const INSTANCES: u32 = 5_000;
const GROUPS: u32 = 500;
const PERMISSIONS: u32 = 20;

fn topology() -> Topology {
    estate(INSTANCES, GROUPS, PERMISSIONS)
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
    let groups = settings.clone().with_mode(PolicyMode::Groups);
    let group_plan = plan_once(&topology, &groups, &scope, &cold);
    let mut warm_groups = cold.clone();
    warm_groups
        .apply(&group_plan)
        .expect("the firewall accepts the plan");
    report("groups cold", || {
        plan_once(&topology, &groups, &scope, &cold)
    });
    report("groups converged", || {
        plan_once(&topology, &groups, &scope, &warm_groups)
    });
    let again = plan_once(&topology, &groups, &scope, &warm_groups);
    assert!(again.is_empty() && again.registrations.is_empty());

    let mut group = c.benchmark_group("full_sync_5000_instances");
    group.sample_size(10);
    group.bench_function("cold", |b| {
        b.iter(|| plan_once(&topology, &settings, &scope, &cold))
    });
    group.bench_function("converged", |b| {
        b.iter(|| plan_once(&topology, &settings, &scope, &warm))
    });
    group.bench_function("groups_cold", |b| {
        b.iter(|| plan_once(&topology, &groups, &scope, &cold))
    });
    group.bench_function("groups_converged", |b| {
        b.iter(|| plan_once(&topology, &groups, &scope, &warm_groups))
    });
    group.finish();
}

criterion_group!(benches, full_sync);
criterion_main!(benches);
