//! Runs of the burst, each on a fresh simulated firewall brought to the burst's starting point
//! by the strategy itself at zero cost, then measured with the injected costs switched on.

use crate::burst::Burst;
use crate::device::{Costs, Device, Usage};
use crate::legacy::Legacy;
use crate::palosync_strategy;
use anyhow::Result;
use model::{PolicyMode, Topology};
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Instant;

/// What one run measured, and what the firewall enforced afterwards.
#[derive(Debug, Clone)]
pub struct BurstRun {
    pub usage: Usage,
    pub enforced: BTreeSet<[String; 4]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Legacy,
    PalosyncBatch(PolicyMode),
    PalosyncPerEvent(PolicyMode),
}

impl Strategy {
    /// Every strategy the burst compares, in table order.
    pub const ALL: [Strategy; 5] = [
        Strategy::PalosyncBatch(PolicyMode::Groups),
        Strategy::PalosyncBatch(PolicyMode::Addresses),
        Strategy::PalosyncPerEvent(PolicyMode::Groups),
        Strategy::PalosyncPerEvent(PolicyMode::Addresses),
        Strategy::Legacy,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Strategy::Legacy => "legacy (the original's algorithm)",
            Strategy::PalosyncBatch(PolicyMode::Groups) => "palosync groups, one SQS batch of 50",
            Strategy::PalosyncBatch(PolicyMode::Addresses) => {
                "palosync addresses, one SQS batch of 50"
            }
            Strategy::PalosyncPerEvent(PolicyMode::Groups) => {
                "palosync groups, 50 separate invocations"
            }
            Strategy::PalosyncPerEvent(PolicyMode::Addresses) => {
                "palosync addresses, 50 separate invocations"
            }
        }
    }
}

pub async fn run(strategy: Strategy, burst: &Burst, costs: Costs) -> Result<BurstRun> {
    let device = Device::start().await?;
    let usage = match strategy {
        Strategy::Legacy => legacy(&device, burst, costs).await?,
        Strategy::PalosyncBatch(mode) => {
            palosync_strategy::warm_up(&device, burst, mode).await?;
            palosync_strategy::batch(&device, burst, mode, costs).await?
        }
        Strategy::PalosyncPerEvent(mode) => {
            palosync_strategy::warm_up(&device, burst, mode).await?;
            palosync_strategy::per_event(&device, burst, mode, costs).await?
        }
    };
    let enforced = device.enforced_allowances().await?;

    device.shutdown().await;
    Ok(BurstRun { usage, enforced })
}

/// The original's own rules for the instances running in `initial`, at zero cost.
pub async fn legacy_setup(device: &Device, initial: &Topology) -> Result<()> {
    device.set_costs(Costs::FREE);
    let setup = Legacy::new(crate::device::client(&device.url(), Costs::FREE.poll)?);
    for instance in initial.instances.iter() {
        if instance.state.receives_traffic() {
            let record = json!({"eventName": "StartInstances", "requestParameters":
                {"instancesSet": {"items": [{"instanceId": instance.id.as_str()}]}}});
            setup.handle_record(&record, initial).await?;
        }
    }
    Ok(())
}

/// The original: its own rules for the instances running before the burst (free), then one
/// record at a time with AWS as it was after that record.
async fn legacy(device: &Device, burst: &Burst, costs: Costs) -> Result<Usage> {
    legacy_setup(device, &burst.initial).await?;
    let legacy = Legacy::new(crate::device::client(&device.url(), costs.poll)?);
    let records: Vec<_> = burst.events.iter().map(|e| e.cloudtrail_record()).collect();
    let topologies: Vec<_> = (0..burst.events.len())
        .map(|last| burst.topology_after(last))
        .collect();
    device.set_costs(costs);
    let before = device.stats();
    let started = Instant::now();
    for (record, topology) in records.iter().zip(&topologies) {
        legacy.handle_record(record, topology).await?;
    }
    let usage = Usage::between(&before, &device.stats(), started.elapsed());
    device.set_costs(Costs::FREE);
    Ok(usage)
}
