//! One configured palosync: settings, a firewall session, and a source of AWS topology. Every
//! entry point (the Lambda handler, `sync`, `plan`, `handle`, the demo) goes through
//! [`App::run`], so they behave identically.

use crate::config::{ApiKeySource, Config};
use crate::executor::{self, ExecuteError, ExecuteOptions};
use crate::firewall::Firewall;
use crate::membership;
use crate::report::{Report, ReportedError, round_trips, since};
use aws::{Inventory, InventoryError, SdkInventory, SnapshotInventory};
use events::{EventFilter, Ingest, Trigger};
use model::{PolicyMode, Provenance, ReadTargets, ReconcileKey};
use planner::Scope;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// Where the topology comes from.
#[derive(Debug)]
pub enum TopologySource {
    Aws(Box<SdkInventory>),
    /// A snapshot file: offline runs, the demo, dry runs against a copy of production.
    Snapshot(Box<SnapshotInventory>),
}

impl TopologySource {
    async fn topology_for(&self, keys: &[ReconcileKey]) -> Result<model::Topology, InventoryError> {
        match self {
            TopologySource::Aws(inventory) => inventory.topology_for(keys).await,
            TopologySource::Snapshot(snapshot) => snapshot.topology_for(keys).await,
        }
    }

    async fn topology_for_targets(
        &self,
        keys: &[ReconcileKey],
        targets: &ReadTargets,
    ) -> Result<model::Topology, InventoryError> {
        match self {
            TopologySource::Aws(inventory) => inventory.topology_for_targets(keys, targets).await,
            TopologySource::Snapshot(snapshot) => {
                snapshot.topology_for_targets(keys, targets).await
            }
        }
    }

    async fn read_log(
        &self,
        object: &events::LogObjectRef,
        filter: &EventFilter,
    ) -> Result<Ingest, AppError> {
        match self {
            TopologySource::Aws(inventory) => {
                Ok(inventory.read_cloudtrail_log(object, filter).await?)
            }
            TopologySource::Snapshot(_) => Err(AppError::NoS3 {
                bucket: object.bucket.clone(),
                key: object.key.clone(),
            }),
        }
    }

    fn calls(&self) -> BTreeMap<String, u64> {
        match self {
            TopologySource::Aws(inventory) => inventory.call_count().by_operation,
            TopologySource::Snapshot(_) => BTreeMap::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Execute(#[from] ExecuteError),
    #[error("reading AWS failed: {0}")]
    Inventory(#[from] InventoryError),
    #[error("the payload could not be read: {0}")]
    Payload(#[from] events::EventsError),
    #[error(
        "s3://{bucket}/{key}: CloudTrail log objects are read from S3, which a snapshot run has no access to"
    )]
    NoS3 { bucket: String, key: String },
    #[error("the firewall API key could not be read: {0}")]
    ApiKey(#[from] aws::SecretError),
    #[error("firewall settings: {0}")]
    Firewall(#[from] crate::firewall::FirewallError),
}

impl AppError {
    /// The Lambda `errorType`: what failed, so alarms and retries can tell causes apart.
    pub fn error_type(&self) -> &'static str {
        match self {
            AppError::Execute(e) => e.error_type(),
            AppError::Inventory(_) | AppError::NoS3 { .. } => "AwsReadFailed",
            AppError::Payload(_) => "InvalidPayload",
            AppError::ApiKey(_) => "ApiKeyUnavailable",
            AppError::Firewall(e) => e.error_type(),
        }
    }
}

#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub firewall: Firewall,
    pub topology: TopologySource,
}

/// What one run was asked to do.
#[derive(Debug, Clone)]
pub enum Work {
    /// Reconcile everything (a schedule, `sync`, `plan`).
    Everything(Provenance),
    /// Whatever a payload asks for (Lambda, `handle`).
    Ingest(Ingest),
}

impl App {
    /// Build from validated settings: the API key is read once here (Secrets Manager or SSM
    /// when so configured); `snapshot` replaces AWS as the topology source.
    pub async fn new(config: Config, snapshot: Option<&Path>) -> Result<Self, AppError> {
        let mut sdk = None;
        let key = match &config.firewall.api_key {
            ApiKeySource::Inline(key) => key.clone(),
            ApiKeySource::SecretsManager(id) => {
                let source = aws::ApiKeySource::SecretsManager(id.clone());
                aws::fetch_api_key(sdk_config(&mut sdk).await, &source)
                    .await?
                    .expose()
                    .to_owned()
            }
            ApiKeySource::SsmParameter(name) => {
                let source = aws::ApiKeySource::SsmParameter(name.clone());
                aws::fetch_api_key(sdk_config(&mut sdk).await, &source)
                    .await?
                    .expose()
                    .to_owned()
            }
        };
        let firewall = Firewall::connect(&config.firewall, panos::ApiKey::new(key))?;
        let scope = aws::ScopeOptions {
            firewall_instance_id: Some(config.policy.firewall_instance_id.clone()),
            extra_route_targets: config.policy.extra_route_targets.clone(),
        };
        let topology = match snapshot {
            Some(path) => TopologySource::Snapshot(Box::new(
                SnapshotInventory::from_path(path)?.with_scope(scope),
            )),
            None => TopologySource::Aws(Box::new(SdkInventory::new(
                sdk_config(&mut sdk).await,
                aws::InventoryOptions::new(scope),
            ))),
        };
        Ok(Self {
            config,
            firewall,
            topology,
        })
    }

    /// Assemble from parts (tests and the demo bring their own firewall and topology).
    pub fn from_parts(config: Config, firewall: Firewall, topology: TopologySource) -> Self {
        Self {
            config,
            firewall,
            topology,
        }
    }

    /// The topology for `keys`, from AWS or the snapshot.
    pub async fn topology_for(&self, keys: &[ReconcileKey]) -> Result<model::Topology, AppError> {
        Ok(self.topology.topology_for(keys).await?)
    }

    pub fn event_filter(&self) -> EventFilter {
        EventFilter {
            region: self.config.region.clone(),
            account: self.config.account.clone(),
        }
    }

    /// Do `work` and report it. The report is complete even when the run fails: the error is
    /// in it, and returned as well.
    pub async fn run(
        &self,
        trigger: &str,
        work: Work,
        dry_run: bool,
        deadline: Instant,
    ) -> (Report, Result<(), AppError>) {
        let started = Instant::now();
        let trips_before = round_trips(&self.firewall.stats());
        let calls_before = self.topology.calls();
        let dry_run = dry_run || self.config.dry_run;
        let mut report = Report::new(trigger, dry_run);
        let result = self.run_into(&mut report, work, dry_run, deadline).await;
        if let Err(error) = &result {
            report.error = Some(ReportedError {
                error_type: error.error_type().to_owned(),
                message: error.to_string(),
            });
        }
        report.firewall_round_trips = since(round_trips(&self.firewall.stats()), &trips_before);
        report.aws_calls = since(self.topology.calls(), &calls_before);
        report
            .durations_ms
            .insert("total", started.elapsed().as_millis() as u64);
        (report, result)
    }

    async fn run_into(
        &self,
        report: &mut Report,
        work: Work,
        dry_run: bool,
        deadline: Instant,
    ) -> Result<(), AppError> {
        let triggers = match work {
            Work::Everything(provenance) => vec![Trigger {
                key: ReconcileKey::Everything,
                provenance,
            }],
            Work::Ingest(ingest) => self.collect(report, ingest).await?,
        };
        report.events = triggers.len();
        let mut keys: Vec<ReconcileKey> = Vec::new();
        for trigger in &triggers {
            if !keys.contains(&trigger.key) {
                keys.push(trigger.key.clone());
            }
        }
        report.keys = keys.clone();
        if keys.is_empty() {
            return Ok(());
        }

        let read_started = Instant::now();
        let topology = self.topology.topology_for(&keys).await?;
        report
            .durations_ms
            .insert("read_aws", read_started.elapsed().as_millis() as u64);

        let scope = Scope::new(
            triggers
                .into_iter()
                .map(|t| (t.key, t.provenance))
                .collect(),
        );
        let reconcile_started = Instant::now();
        let settings = &self.config.policy;
        let options = ExecuteOptions { dry_run, deadline };
        if settings.mode == PolicyMode::Groups && membership::applies(&scope) {
            let fast =
                membership::reconcile(&self.firewall, settings, &topology, &scope, options).await?;
            if let Some(execution) = fast {
                report
                    .durations_ms
                    .insert("reconcile", reconcile_started.elapsed().as_millis() as u64);
                report.execution = Some(execution);
                return Ok(());
            }
        }
        let registrations = executor::registrations_to_read(settings, &scope);
        let state = self
            .firewall
            .read_state(settings, &registrations)
            .await
            .map_err(ExecuteError::from)?;
        // Managed rules in scope may point at interfaces the keys' read does not hold (an
        // interface that left the group the event names): read them before planning, so
        // nothing is removed for lack of a read.
        let targets = executor::claimed_targets(settings, &topology, &scope, &state);
        let topology = if targets.is_empty() {
            topology
        } else {
            let reread_started = Instant::now();
            let topology = self.topology.topology_for_targets(&keys, &targets).await?;
            report.durations_ms.insert(
                "read_aws_claimed",
                reread_started.elapsed().as_millis() as u64,
            );
            report.claimed_targets = Some(targets);
            topology
        };
        let execution =
            executor::reconcile_state(&self.firewall, settings, &topology, &scope, &state, options)
                .await?;
        report
            .durations_ms
            .insert("reconcile", reconcile_started.elapsed().as_millis() as u64);
        report.execution = Some(execution);
        Ok(())
    }

    /// Every trigger of a payload, S3 log objects fetched and read in.
    async fn collect(
        &self,
        report: &mut Report,
        mut ingest: Ingest,
    ) -> Result<Vec<Trigger>, AppError> {
        let filter = self.event_filter();
        for object in std::mem::take(&mut ingest.log_objects) {
            let log = self.topology.read_log(&object, &filter).await?;
            merge(&mut ingest, log);
        }
        report.failed_messages = ingest.failed_message_ids().map(str::to_owned).collect();
        report.skipped_events = std::mem::take(&mut ingest.skips);
        report.skipped_records = std::mem::take(&mut ingest.skip_tallies);
        Ok(ingest.triggers)
    }
}

/// The SDK's configuration from its standard chain, loaded on first use only: a snapshot run
/// with an inline key never touches AWS.
async fn sdk_config(cache: &mut Option<aws_config::SdkConfig>) -> &aws_config::SdkConfig {
    let loaded = match cache.take() {
        Some(config) => config,
        None => aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await,
    };
    cache.insert(loaded)
}

/// Add a log file's findings to the payload's, an event id counting once.
fn merge(into: &mut Ingest, log: Ingest) {
    for trigger in log.triggers {
        let seen = trigger.provenance.event_id.is_some()
            && into.triggers.iter().any(|t| {
                t.provenance.event_id == trigger.provenance.event_id && t.key == trigger.key
            });
        if !seen {
            into.triggers.push(trigger);
        }
    }
    into.skips.extend(log.skips);
    into.skip_tallies.extend(log.skip_tallies);
}
