//! Instance start to enforced: one StartInstances event, delivered as the Lambda gets it (an
//! SQS batch of one EventBridge event), on the burst's estate with a realistic commit. What a
//! user waits for between starting an instance and its traffic being allowed.
//!
//! Address mode writes the instance's rules and waits for its commit; group mode registers the
//! instance's address with its groups' tags (the fast path in `palosync::membership`: no
//! configuration read, write or commit); the original writes its instance-named rules and runs
//! a full commit. "Enforced" is when the strategy's invocation returns: after the commit job
//! was seen finished (so up to one poll interval late) or after the User-ID message was
//! answered. The harness then asks the simulator, at zero cost and outside the measurement,
//! whether the new member's traffic is allowed, and it must have been denied before.

use crate::burst::Burst;
use crate::burst_runs::legacy_setup;
use crate::device::{Costs, Device, Usage};
use crate::legacy::Legacy;
use crate::palosync_strategy;
use crate::topology::{instance_id, set_state};
use anyhow::{Result, bail};
use model::{InstanceId, InstanceState, PolicyMode, Topology};
use palosync::app::Work;
use panos::{PolicyMatch, PolicyMatchQuery, RuleAction};
use serde_json::json;
use std::net::IpAddr;
use std::time::Instant;

/// The instance that starts: stopped before the burst, in groups 4 and 1, which already have
/// running members (so group mode needs no new address group: the common case).
const STARTING: u32 = 14;
/// A source group 4's office SSH permission allows (203.0.113.64/28).
const OFFICE: [u8; 4] = [203, 0, 113, 65];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartStrategy {
    Palosync(PolicyMode),
    Legacy,
}

impl StartStrategy {
    pub const ALL: [StartStrategy; 3] = [
        StartStrategy::Palosync(PolicyMode::Groups),
        StartStrategy::Palosync(PolicyMode::Addresses),
        StartStrategy::Legacy,
    ];

    pub fn label(self) -> &'static str {
        match self {
            StartStrategy::Palosync(PolicyMode::Groups) => "palosync groups (a registration)",
            StartStrategy::Palosync(PolicyMode::Addresses) => "palosync addresses (rules, commit)",
            StartStrategy::Legacy => "legacy (the original's algorithm)",
        }
    }
}

/// The estate before and after the start.
fn topologies() -> (Topology, Topology, InstanceId) {
    let before = Burst::generate().initial;
    let id = instance_id(STARTING);
    let mut after = before.clone();
    set_state(&mut after, &id, InstanceState::Running);
    (before, after, id)
}

/// The event as the Lambda receives it from SQS: a batch of one EventBridge event.
fn sqs_payload(id: &InstanceId) -> String {
    let request = json!({"instancesSet": {"items": [{"instanceId": id.as_str()}]}});
    let eventbridge = palosync::demo::api_call_event("StartInstances", "alice", 0, request);
    json!({"Records": [{
        "messageId": "5fea7756-0ea4-451a-a703-000000000001",
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": eventbridge.to_string(),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:111122223333:palosync-events",
        "awsRegion": "us-east-1"
    }]})
    .to_string()
}

/// One start, measured on a fresh device brought to the estate by the strategy itself.
pub async fn run(strategy: StartStrategy, costs: Costs) -> Result<Usage> {
    let (before, after, id) = topologies();
    let device = Device::start().await?;
    let usage = match strategy {
        StartStrategy::Palosync(mode) => {
            let warm = palosync_strategy::app(&device, &before, mode, Costs::FREE.poll)?;
            let sync = Work::Everything(model::Provenance::sync("bench warm-up"));
            palosync_strategy::invoke(&warm, sync).await?;
            ensure_denied(&device, &after, &id).await?;
            let app = palosync_strategy::app(&device, &after, mode, costs.poll)?;
            let payload = sqs_payload(&id);
            measured(&device, costs, async {
                let ingest = events::parse_payload(payload.as_bytes(), &app.event_filter())?;
                palosync_strategy::invoke(&app, Work::Ingest(ingest)).await?;
                Ok(())
            })
            .await?
        }
        StartStrategy::Legacy => {
            legacy_setup(&device, &before).await?;
            ensure_denied(&device, &after, &id).await?;
            let legacy = Legacy::new(crate::device::client(&device.url(), costs.poll)?);
            let record = json!({"eventName": "StartInstances", "requestParameters":
                {"instancesSet": {"items": [{"instanceId": id.as_str()}]}}});
            measured(&device, costs, legacy.handle_record(&record, &after)).await?
        }
    };
    let allowed = verdict(&device, &after, &id).await?;
    device.shutdown().await;
    if !allowed {
        bail!(
            "{}: the started instance's traffic is still denied",
            strategy.label()
        );
    }
    Ok(usage)
}

/// `work` with the injected costs on, counted by the simulator.
async fn measured(
    device: &Device,
    costs: Costs,
    work: impl std::future::Future<Output = Result<()>>,
) -> Result<Usage> {
    device.set_costs(costs);
    let before = device.stats();
    let started = Instant::now();
    work.await?;
    let usage = Usage::between(&before, &device.stats(), started.elapsed());
    device.set_costs(Costs::FREE);
    Ok(usage)
}

async fn ensure_denied(device: &Device, topology: &Topology, id: &InstanceId) -> Result<()> {
    if verdict(device, topology, id).await? {
        bail!("the instance's traffic is allowed before it starts: the scenario measures nothing");
    }
    Ok(())
}

/// Whether SSH from group 4's office to the instance's first address is allowed now.
async fn verdict(device: &Device, topology: &Topology, id: &InstanceId) -> Result<bool> {
    let destination = topology
        .network_interfaces
        .iter()
        .find(|n| n.attached_instance() == Some(id))
        .and_then(|n| n.private_ipv4.first())
        .ok_or_else(|| anyhow::anyhow!("{id} has an address"))?;
    let query = PolicyMatchQuery {
        from: "untrust".to_owned(),
        to: "trust".to_owned(),
        source: IpAddr::from(OFFICE),
        destination: IpAddr::V4(*destination),
        protocol: 6,
        destination_port: Some(22),
        application: Some("ssh".to_owned()),
        source_user: None,
        vsys: None,
    };
    let client = crate::device::client(&device.url(), Costs::FREE.poll)?;
    Ok(match client.policy_match(&query).await? {
        PolicyMatch::Match { action, .. } => action.as_ref().is_some_and(RuleAction::allows),
        PolicyMatch::NoMatch => false,
    })
}
