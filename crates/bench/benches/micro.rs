//! Micro-benchmarks of the burst's CPU-side work, without any firewall: parsing the 50-event
//! SQS batch, and planning the whole batch against an in-memory firewall. The harness binary
//! (`cargo run --profile bench -p bench -- all`) measures the end-to-end figures.

// Shared with the harness binary, which uses parts this benchmark does not.
#[allow(dead_code, unused_imports)]
#[path = "../src/burst.rs"]
mod burst;
#[allow(dead_code)]
#[path = "../src/topology.rs"]
mod topology;

use burst::Burst;
use criterion::{Criterion, criterion_group, criterion_main};
use events::{EventFilter, parse_payload};
use planner::testing::InMemoryFirewall;
use planner::{PolicyAnswers, RuleAction, Scope, plan_candidates};

fn burst_cpu(c: &mut Criterion) {
    let burst = Burst::generate();
    let payload = burst.sqs_batch().to_string();
    let filter = EventFilter::any();
    let topology = burst.final_topology();
    let settings =
        model::Settings::new(topology::FIREWALL_INSTANCE, "Clean up", "untrust", "trust")
            .expect("valid settings");
    let ingest = parse_payload(payload.as_bytes(), &filter).expect("the batch parses");
    let scope = Scope::new(
        ingest
            .triggers
            .into_iter()
            .map(|t| (t.key, t.provenance))
            .collect(),
    );
    let firewall = InMemoryFirewall::new(
        vec![InMemoryFirewall::catch_all("Clean up", RuleAction::Deny)],
        Vec::new(),
    );

    let mut group = c.benchmark_group("burst_of_50");
    group.bench_function("parse_sqs_batch", |b| {
        b.iter(|| parse_payload(payload.as_bytes(), &filter).expect("parses"))
    });
    group.bench_function("plan_batch", |b| {
        b.iter(|| {
            plan_candidates(planner::PlanInput {
                topology: &topology,
                settings: &settings,
                scope: &scope,
                rules: &firewall.rules,
                services: &firewall.services,
                objects: &firewall.objects,
            })
            .expect("plans")
            .finish(&PolicyAnswers::new())
        })
    });
    group.finish();
}

criterion_group!(benches, burst_cpu);
criterion_main!(benches);
