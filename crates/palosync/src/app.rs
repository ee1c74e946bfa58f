//! One configured palosync: settings, the firewalls it writes to ([`Targets`]: one, or a
//! fleet), and a source of AWS topology. Every entry point (the Lambda handler, `sync`, `plan`,
//! `handle`, the demo) goes through [`App::run`], so they behave identically; a run reads AWS
//! once and reconciles each firewall on its own ([`crate::fleet`]).

use crate::accounts::{self, Accounts, AccountsFailed, FailedAccount};
use crate::config::{ApiKeySource, Config};
use crate::executor::{ExecuteError, ExecuteOptions};
use crate::firewall::{DEFAULT_JOB_POLL_INTERVAL, Firewall, FirewallError};
use crate::fleet::{self, FleetFailed};
use crate::report::{Report, ReportedError, since};
use crate::targets::{Member, MemberError, Targets};
use aws::{FleetMember, FleetQuery, Inventory, InventoryError, SdkInventory, SnapshotInventory};
use events::{EventFilter, Ingest, Trigger};
use model::{AccountRegion, Provenance, ReadTargets, ReconcileKey};
use planner::Scope;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

/// Where the topology comes from.
#[derive(Debug)]
pub enum TopologySource {
    Aws(Box<SdkInventory>),
    /// A snapshot file: offline runs, the demo, dry runs against a copy of production.
    Snapshot(Box<SnapshotInventory>),
    /// Many accounts and regions, each read through its own inventory (`PALOSYNC_ACCOUNTS`).
    Accounts(Box<Accounts>),
}

/// What a run asked AWS, so the reread of claimed targets asks the same: the keys (one
/// account), or each place's keys (many).
#[derive(Debug, Clone, Default)]
pub(crate) struct Asked {
    keys: Vec<ReconcileKey>,
    places: accounts::Asked,
}

/// A run's read: the topology, the planner's scope, and the places that could not be read.
struct RunRead {
    topology: model::Topology,
    scope: Vec<(ReconcileKey, Provenance)>,
    asked: Asked,
    failed: Vec<FailedAccount>,
    unconfirmed: Vec<ReconcileKey>,
}

impl TopologySource {
    /// `keys` wherever they may be: with many accounts, asked of every place (`explain`,
    /// `check`), failing when one cannot be read.
    async fn topology_for(&self, keys: &[ReconcileKey]) -> Result<model::Topology, AppError> {
        match self {
            TopologySource::Aws(inventory) => Ok(inventory.topology_for(keys).await?),
            TopologySource::Snapshot(snapshot) => Ok(snapshot.topology_for(keys).await?),
            TopologySource::Accounts(accounts) => {
                let asked = accounts
                    .served()
                    .map(|at| (at.clone(), keys.to_vec()))
                    .collect();
                Ok(accounts.reread(&asked, &ReadTargets::default()).await?)
            }
        }
    }

    /// The run's keys, each read where its event came from.
    async fn read(&self, triggers: Vec<Trigger>) -> Result<RunRead, AppError> {
        let accounts = match self {
            TopologySource::Accounts(accounts) => accounts,
            TopologySource::Aws(_) | TopologySource::Snapshot(_) => {
                let mut keys: Vec<ReconcileKey> = Vec::new();
                for trigger in &triggers {
                    if !keys.contains(&trigger.key) {
                        keys.push(trigger.key.clone());
                    }
                }
                return Ok(RunRead {
                    topology: self.topology_for(&keys).await?,
                    scope: triggers
                        .into_iter()
                        .map(|t| (t.key, t.provenance))
                        .collect(),
                    asked: Asked {
                        keys,
                        places: Default::default(),
                    },
                    failed: Vec::new(),
                    unconfirmed: Vec::new(),
                });
            }
        };
        let placed = triggers
            .into_iter()
            .map(|t| (accounts::place_of(&t.provenance), t.key, t.provenance))
            .collect();
        let read = accounts.read(placed).await;
        Ok(RunRead {
            topology: read.topology,
            scope: read.scope,
            asked: Asked {
                keys: Vec::new(),
                places: read.asked,
            },
            failed: read.failed,
            unconfirmed: read.unconfirmed,
        })
    }

    pub(crate) async fn topology_for_targets(
        &self,
        asked: &Asked,
        targets: &ReadTargets,
    ) -> Result<model::Topology, AppError> {
        let keys = &asked.keys;
        match self {
            TopologySource::Aws(inventory) => {
                Ok(inventory.topology_for_targets(keys, targets).await?)
            }
            TopologySource::Snapshot(snapshot) => {
                Ok(snapshot.topology_for_targets(keys, targets).await?)
            }
            TopologySource::Accounts(accounts) => {
                Ok(accounts.reread(&asked.places, targets).await?)
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
            TopologySource::Accounts(accounts) => {
                Ok(accounts.home.read_cloudtrail_log(object, filter).await?)
            }
            TopologySource::Snapshot(_) => Err(AppError::NoS3 {
                bucket: object.bucket.clone(),
                key: object.key.clone(),
            }),
        }
    }

    /// The running members of a discovered fleet (EC2 only: a snapshot holds no tags).
    async fn discover_fleet(&self, query: &FleetQuery) -> Result<Vec<FleetMember>, AppError> {
        match self {
            TopologySource::Aws(inventory) => Ok(inventory.discover_fleet(query).await?),
            TopologySource::Accounts(accounts) => Ok(accounts.home.discover_fleet(query).await?),
            TopologySource::Snapshot(_) => Err(AppError::NoDiscovery {
                selector: query.selector.to_string(),
            }),
        }
    }

    fn calls(&self) -> BTreeMap<String, u64> {
        match self {
            TopologySource::Aws(inventory) => inventory.call_count().by_operation,
            TopologySource::Accounts(accounts) => accounts.call_count(),
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
    Firewall(#[from] FirewallError),
    #[error(transparent)]
    Member(#[from] MemberError),
    #[error(
        "the fleet is discovered from EC2 ({selector}), which a snapshot run has no access to: \
         list its firewalls with PANOS_URLS"
    )]
    NoDiscovery { selector: String },
    #[error(transparent)]
    Fleet(#[from] FleetFailed),
    #[error(transparent)]
    Accounts(#[from] AccountsFailed),
    #[error("a snapshot holds one account's topology: unset PALOSYNC_ACCOUNTS to run against it")]
    SnapshotWithAccounts,
}

impl AppError {
    /// The Lambda `errorType`: what failed, so alarms and retries can tell causes apart.
    pub fn error_type(&self) -> &'static str {
        match self {
            AppError::Execute(e) => e.error_type(),
            AppError::Inventory(InventoryError::EmptyFleet { .. }) => "FleetEmpty",
            AppError::Inventory(_) | AppError::NoS3 { .. } => "AwsReadFailed",
            AppError::NoDiscovery { .. } => "ConfigInvalid",
            AppError::Payload(_) => "InvalidPayload",
            AppError::ApiKey(_) => "ApiKeyUnavailable",
            AppError::Firewall(e) => e.error_type(),
            AppError::Member(e) => e.error_type(),
            AppError::Fleet(_) => "FleetFailed",
            AppError::Accounts(_) => "AccountsFailed",
            AppError::SnapshotWithAccounts => "ConfigInvalid",
        }
    }

    /// The Lambda `errorType`: [`AppError::error_type`], and for a fleet every failed firewall
    /// by name.
    pub fn lambda_error_type(&self) -> String {
        match self {
            AppError::Fleet(failed) => failed.lambda_error_type(),
            AppError::Accounts(failed) => failed.lambda_error_type(),
            other => other.error_type().to_owned(),
        }
    }
}

#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub targets: Targets,
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
        let targets = Targets::connect(
            &config.target,
            &config.firewall,
            panos::ApiKey::new(key),
            DEFAULT_JOB_POLL_INTERVAL,
        )?;
        let scope = config.scope_options();
        let options = aws::InventoryOptions::new(scope.clone());
        let topology = match snapshot {
            Some(_) if !config.accounts.is_empty() => return Err(AppError::SnapshotWithAccounts),
            Some(path) => TopologySource::Snapshot(Box::new(
                SnapshotInventory::from_path(path)?.with_scope(scope),
            )),
            None if !config.accounts.is_empty() => TopologySource::Accounts(Box::new(
                Accounts::new(sdk_config(&mut sdk).await, &config.accounts, options).await,
            )),
            None => TopologySource::Aws(Box::new(SdkInventory::new(
                sdk_config(&mut sdk).await,
                options,
            ))),
        };
        Ok(Self {
            config,
            targets,
            topology,
        })
    }

    /// Assemble from parts (tests and the demo bring their own firewall and topology).
    pub fn from_parts(config: Config, firewall: Firewall, topology: TopologySource) -> Self {
        Self::from_targets(config, Targets::one(firewall), topology)
    }

    /// As [`App::from_parts`], with any targets (a fleet of simulators).
    pub fn from_targets(config: Config, targets: Targets, topology: TopologySource) -> Self {
        Self {
            config,
            targets,
            topology,
        }
    }

    /// This run's firewalls: the listed ones, or the fleet as EC2 shows it now.
    pub async fn members(&self) -> Result<Vec<Member>, AppError> {
        let discovered = match self.targets.discovery() {
            Some(query) => self.topology.discover_fleet(query).await?,
            None => Vec::new(),
        };
        Ok(self.targets.members(&discovered))
    }

    /// The first firewall that can be talked to, for commands that look at one (`explain`).
    pub async fn first_firewall(&self) -> Result<std::sync::Arc<Firewall>, AppError> {
        let mut first_error = None;
        for member in self.members().await? {
            match member.firewall {
                Ok(firewall) => return Ok(firewall),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        Err(first_error.map_or_else(
            || AppError::Firewall(FirewallError::Setup("no firewall to talk to".into())),
            AppError::Member,
        ))
    }

    /// The topology for `keys`, from AWS or the snapshot.
    pub async fn topology_for(&self, keys: &[ReconcileKey]) -> Result<model::Topology, AppError> {
        self.topology.topology_for(keys).await
    }

    pub fn event_filter(&self) -> EventFilter {
        EventFilter {
            region: self.config.region.clone(),
            account: self.config.account.clone(),
            served: self.config.served(),
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
        let calls_before = self.topology.calls();
        let dry_run = dry_run || self.config.dry_run;
        let mut report = Report::new(trigger, dry_run);
        let result = self.run_into(&mut report, work, dry_run, deadline).await;
        if let Err(error) = &result {
            report.error = Some(ReportedError::of(error));
        }
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
        if triggers.is_empty() {
            return Ok(());
        }

        // Discovery first: an empty fleet fails before anything else is read.
        let members = self.members().await?;
        let read_started = Instant::now();
        let read = self.topology.read(triggers).await?;
        report
            .durations_ms
            .insert("read_aws", read_started.elapsed().as_millis() as u64);
        for (key, _) in &read.scope {
            if !report.keys.contains(key) {
                report.keys.push(key.clone());
            }
        }
        report.accounts_failed = read.failed.clone();
        let accounts_failed = (!read.failed.is_empty()).then(|| {
            let mut places: BTreeSet<AccountRegion> = read.asked.places.keys().cloned().collect();
            places.extend(read.failed.iter().map(FailedAccount::at));
            AccountsFailed {
                total: places.len(),
                others_reconciled: !read.scope.is_empty(),
                failed: read.failed,
                unconfirmed: read.unconfirmed,
            }
        });
        if !read.scope.is_empty() {
            let scope = Scope::new(read.scope);
            let options = ExecuteOptions { dry_run, deadline };
            fleet::reconcile(
                self,
                report,
                members,
                &read.topology,
                &read.asked,
                &scope,
                options,
            )
            .await?;
        }
        // The others were reconciled; fail naming the places that were not, so the event comes
        // again.
        accounts_failed.map_or(Ok(()), |failed| Err(failed.into()))
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
