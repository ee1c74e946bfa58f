//! palosync as the Lambda runs it, driven in-process through `App::run`: parse the payload,
//! read the topology (a snapshot here, so AWS costs nothing and is not measured), read the
//! firewall, plan, ask the shadow questions, write one batch, commit once.
//!
//! Two deliveries of the same burst: one SQS batch of all 50 events (one invocation), and 50
//! separate EventBridge invocations with AWS changing between them.

use crate::burst::Burst;
use crate::device::{ADMIN, API_KEY, BOTTOM_RULE, Costs, Device, Usage};
use crate::topology::FIREWALL_INSTANCE;
use anyhow::{Context, Result, bail};
use aws::{ScopeOptions, Snapshot, SnapshotInventory};
use model::{InstanceId, PolicyMode, Provenance, Topology};
use palosync::app::{App, TopologySource, Work};
use palosync::config::{Config, RawSettings};
use palosync::firewall::Firewall;
use std::time::{Duration, Instant};

/// Long enough for 50 commits of the default 10 s.
const RUN_BUDGET: Duration = Duration::from_secs(3600);

pub fn config(url: &str, mode: PolicyMode) -> Result<Config> {
    let mut raw = RawSettings::default();
    for (setting, value) in [
        ("panos_url", url),
        ("panos_api_key", API_KEY),
        ("panos_admin", ADMIN),
        ("panos_bottom_rule", BOTTOM_RULE),
        ("panos_untrust_zone", "untrust"),
        ("panos_trust_zone", "trust"),
        ("panos_profile_group", "default"),
        ("firewall_instance_id", FIREWALL_INSTANCE),
        ("aws_region", "us-east-1"),
        ("aws_account_id", "111122223333"),
    ] {
        raw.set(setting, value.to_owned());
    }
    let mut config = Config::validate(&raw)?;
    config.policy = config.policy.clone().with_mode(mode);
    Ok(config)
}

pub fn snapshot_source(topology: &Topology) -> TopologySource {
    let scope = ScopeOptions {
        firewall_instance_id: Some(InstanceId::new(FIREWALL_INSTANCE)),
        extra_route_targets: vec![],
    };
    let snapshot = Snapshot::new(topology.clone(), Some("us-east-1".to_owned()), &scope);
    TopologySource::Snapshot(Box::new(SnapshotInventory::from_snapshot(snapshot)))
}

/// An app against `device` in `mode` whose firewall client polls commit jobs every `poll`.
pub fn app(device: &Device, topology: &Topology, mode: PolicyMode, poll: Duration) -> Result<App> {
    let config = config(&device.url(), mode)?;
    let firewall = Firewall::connect_polling(
        &device.url(),
        &config.firewall,
        panos::ApiKey::new(API_KEY),
        poll,
    )?;
    Ok(App::from_parts(config, firewall, snapshot_source(topology)))
}

/// One invocation; any error or failed message is a failed benchmark.
pub async fn invoke(app: &App, work: Work) -> Result<palosync::report::Report> {
    let (report, result) = app
        .run("bench", work, false, Instant::now() + RUN_BUDGET)
        .await;
    result.context("palosync run failed")?;
    if !report.failed_messages.is_empty() {
        bail!("messages failed: {:?}", report.failed_messages);
    }
    Ok(report)
}

/// Bring a fresh device to the burst's starting point with one free sync.
pub async fn warm_up(device: &Device, burst: &Burst, mode: PolicyMode) -> Result<()> {
    device.set_costs(Costs::FREE);
    let app = app(device, &burst.initial, mode, Costs::FREE.poll)?;
    invoke(&app, Work::Everything(Provenance::sync("bench warm-up"))).await?;
    Ok(())
}

/// All 50 events in one SQS batch, AWS already in its final state: one invocation.
pub async fn batch(
    device: &Device,
    burst: &Burst,
    mode: PolicyMode,
    costs: Costs,
) -> Result<Usage> {
    let app = app(device, &burst.final_topology(), mode, costs.poll)?;
    let payload = burst.sqs_batch().to_string();
    device.set_costs(costs);
    let before = device.stats();
    let started = Instant::now();
    let ingest = events::parse_payload(payload.as_bytes(), &app.event_filter())?;
    invoke(&app, Work::Ingest(ingest)).await?;
    let usage = Usage::between(&before, &device.stats(), started.elapsed());
    device.set_costs(Costs::FREE);
    Ok(usage)
}

/// One invocation per event, AWS changing before each as it did in reality.
pub async fn per_event(
    device: &Device,
    burst: &Burst,
    mode: PolicyMode,
    costs: Costs,
) -> Result<Usage> {
    let mut app = app(device, &burst.initial, mode, costs.poll)?;
    let payloads: Vec<String> = burst
        .events
        .iter()
        .map(|e| e.eventbridge().to_string())
        .collect();
    let topologies: Vec<Topology> = (0..burst.events.len())
        .map(|last| burst.topology_after(last))
        .collect();
    device.set_costs(costs);
    let before = device.stats();
    let started = Instant::now();
    for (payload, topology) in payloads.iter().zip(&topologies) {
        app.topology = snapshot_source(topology);
        let ingest = events::parse_payload(payload.as_bytes(), &app.event_filter())?;
        invoke(&app, Work::Ingest(ingest)).await?;
    }
    let usage = Usage::between(&before, &device.stats(), started.elapsed());
    device.set_costs(Costs::FREE);
    Ok(usage)
}
