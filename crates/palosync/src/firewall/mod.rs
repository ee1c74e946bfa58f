//! The executor's side of the firewall: read what is there, ask policy-match questions, write
//! one plan as one atomic batch, and commit once, scoped to palosync's own administrator.
//!
//! This module does IO through the `panos` client and nothing else; what to write is decided
//! by the planner. It must never write an entry the plan does not name.

pub mod mapping;

use crate::config::{FirewallConfig, TlsChoice};
use futures::stream::{self, StreamExt, TryStreamExt};
use panos::{
    ApiKey, CommitOutcome, CommitRequest, CommitScope, ConfigAction, ConfigEntry, Location,
    Position, SecurityRule, ServiceObject, Tag,
};
use planner::{
    DeviceObjects, ObservedRule, ObservedService, Operation, Plan, PolicyAnswers, PolicyMatchQuery,
};
use serde::Serialize;
use std::time::Duration;

/// A commit takes seconds to minutes on a device; polling every 2 s costs little and ends the
/// wait close to the job's end.
pub const DEFAULT_JOB_POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Actions per multi-config request. A rule entry is about 1 KB of XML and triples when
/// form-encoded: 200 keeps a request near 0.6 MB, well under the ~2 MB request bodies that web
/// front ends (and the simulator) accept, so a first sync of thousands of instances still writes.
pub const MAX_ACTIONS_PER_BATCH: usize = 200;

/// Policy-match questions in flight at once; the client caps all requests at 5 as well.
const POLICY_MATCH_CONCURRENCY: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    #[error("firewall settings: {0}")]
    Setup(String),
    #[error("reading the firewall's rulebase failed: {0}")]
    Read(#[source] panos::Error),
    #[error("policy-match check failed: {0}")]
    PolicyMatch(#[source] panos::Error),
    #[error(
        "writing the plan failed after {applied} of {total} actions; nothing was committed: {source}"
    )]
    Write {
        /// Actions of earlier batches, already in the candidate (the next run completes them).
        applied: usize,
        total: usize,
        #[source]
        source: panos::Error,
    },
    #[error("commit failed: {0}")]
    Commit(#[source] panos::Error),
}

impl FirewallError {
    /// The Lambda `errorType` for this failure.
    pub fn error_type(&self) -> &'static str {
        let cause = match self {
            FirewallError::Setup(_) => return "ConfigInvalid",
            FirewallError::Commit(panos::Error::JobFailed { .. }) => return "CommitFailed",
            FirewallError::Read(e)
            | FirewallError::PolicyMatch(e)
            | FirewallError::Write { source: e, .. }
            | FirewallError::Commit(e) => e,
        };
        match cause {
            panos::Error::Authentication { .. } => "FirewallAuthenticationFailed",
            panos::Error::LockHeld { .. } => "FirewallLocked",
            panos::Error::Transport { .. } | panos::Error::HttpStatus { .. } => {
                "FirewallUnreachable"
            }
            _ => "FirewallError",
        }
    }
}

/// What the firewall holds now, in the planner's terms.
#[derive(Debug, Clone)]
pub struct FirewallState {
    /// Every security rule of the vsys, in evaluation order.
    pub rules: Vec<ObservedRule>,
    pub services: Vec<ObservedService>,
    /// Everything else that decides what a rule matches or who refers to an object.
    pub objects: DeviceObjects,
    /// Whether the managed tag object exists; rules cannot reference it otherwise.
    pub managed_tag_exists: bool,
}

/// How the commit ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum CommitReport {
    Committed {
        job_id: u64,
        warnings: Vec<String>,
    },
    NothingToCommit,
    /// The deadline came first; the job goes on and the next invocation sees its outcome.
    StillRunning {
        job_id: u64,
    },
}

#[derive(Debug)]
pub struct Firewall {
    client: panos::Client,
    location: Location,
    vsys: String,
    commit_scope: CommitScope,
}

impl Firewall {
    pub fn connect(config: &FirewallConfig, key: ApiKey) -> Result<Self, FirewallError> {
        Self::connect_polling(config, key, DEFAULT_JOB_POLL_INTERVAL)
    }

    /// As [`Firewall::connect`], polling commit jobs every `job_poll` (a simulator commits in
    /// milliseconds; a real device in seconds to minutes).
    pub fn connect_polling(
        config: &FirewallConfig,
        key: ApiKey,
        job_poll: Duration,
    ) -> Result<Self, FirewallError> {
        let tls = match &config.tls {
            TlsChoice::Verified { ca_file } => panos::TlsOptions::Verified {
                ca_file: ca_file.clone(),
            },
            TlsChoice::Pinned { sha256 } => panos::TlsOptions::Pinned(
                sha256
                    .parse()
                    .map_err(|e: panos::Error| FirewallError::Setup(e.to_string()))?,
            ),
            TlsChoice::Insecure => panos::TlsOptions::Insecure,
        };
        let client = panos::Client::builder(config.url.clone())
            .api_key(key)
            .tls(tls)
            .job_poll_interval(job_poll)
            .build()
            .map_err(|e| FirewallError::Setup(e.to_string()))?;
        let commit_scope = match (&config.admin, config.full_commit) {
            (_, true) => CommitScope::Full,
            (Some(admin), false) => CommitScope::PartialAdmins(vec![admin.clone()]),
            (None, false) => {
                return Err(FirewallError::Setup(
                    "PANOS_ADMIN is required for a partial commit".into(),
                ));
            }
        };
        Ok(Self {
            client,
            location: Location::vsys(config.vsys.clone()),
            vsys: config.vsys.clone(),
            commit_scope,
        })
    }

    pub fn stats(&self) -> panos::ClientStats {
        self.client.stats()
    }

    /// Rules, services and tags of the candidate configuration, read concurrently.
    pub async fn read_state(&self, managed_tag: &str) -> Result<FirewallState, FirewallError> {
        let (rules, services, tags) = tokio::try_join!(
            self.client.list::<SecurityRule>(&self.location),
            self.client.list::<ServiceObject>(&self.location),
            self.client.list::<Tag>(&self.location),
        )
        .map_err(FirewallError::Read)?;
        let objects = DeviceObjects {
            unreadable_services: services
                .iter()
                .filter(|s| mapping::observed_service(s).is_none())
                .map(mapping::unreadable_service)
                .collect(),
            ..DeviceObjects::default()
        };
        Ok(FirewallState {
            rules: rules.iter().map(mapping::observed_rule).collect(),
            services: services
                .iter()
                .filter_map(mapping::observed_service)
                .collect(),
            objects,
            managed_tag_exists: tags.iter().any(|t| t.name == managed_tag),
        })
    }

    /// Ask the firewall each question once, a few at a time.
    pub async fn answer(
        &self,
        queries: &[PolicyMatchQuery],
    ) -> Result<PolicyAnswers, FirewallError> {
        stream::iter(queries.iter().cloned())
            .map(|query| async move {
                let asked = mapping::policy_query(&query, &self.vsys);
                let answer = self.client.policy_match(&asked).await?;
                Ok::<_, panos::Error>((query, mapping::policy_answer(&answer)))
            })
            .buffer_unordered(POLICY_MATCH_CONCURRENCY)
            .try_collect::<Vec<_>>()
            .await
            .map(PolicyAnswers::from_iter)
            .map_err(FirewallError::PolicyMatch)
    }

    /// Write the plan in order (the tag first when missing) as atomic multi-config batches of
    /// at most [`MAX_ACTIONS_PER_BATCH`] actions: one batch for any ordinary event, several for
    /// a first sync of a large estate. Nothing is committed here; if a batch fails, the earlier
    /// ones stay in the candidate uncommitted and the next run's plan completes them.
    /// Returns the number of actions written.
    pub async fn apply(
        &self,
        plan: &Plan,
        create_tag: Option<&str>,
    ) -> Result<usize, FirewallError> {
        let actions = self.actions(plan, create_tag);
        let mut applied = 0;
        for batch in actions.chunks(MAX_ACTIONS_PER_BATCH) {
            self.client
                .multi_config_strict(batch)
                .await
                .map_err(|source| FirewallError::Write {
                    applied,
                    total: actions.len(),
                    source,
                })?;
            applied += batch.len();
        }
        Ok(applied)
    }

    fn actions(&self, plan: &Plan, create_tag: Option<&str>) -> Vec<ConfigAction> {
        let location = &self.location;
        let mut actions = Vec::with_capacity(plan.operations.len() + 1);
        if let Some(tag) = create_tag {
            let mut entry = Tag::new(tag);
            entry.comments = Some("managed by palosync".to_owned());
            actions.push(ConfigAction::Set {
                xpath: Tag::container(location),
                element: entry.to_entry(),
            });
        }
        for operation in &plan.operations {
            actions.push(match operation {
                Operation::CreateService { service, .. } => ConfigAction::Set {
                    xpath: ServiceObject::container(location),
                    element: mapping::service_object(service).to_entry(),
                },
                Operation::CreateRule { rule, .. } => ConfigAction::Set {
                    xpath: SecurityRule::container(location),
                    element: mapping::security_rule(rule).to_entry(),
                },
                Operation::ReplaceRule { rule, .. } => ConfigAction::Edit {
                    xpath: SecurityRule::xpath(location, &rule.name),
                    element: mapping::security_rule(rule).to_entry(),
                },
                Operation::DeleteRule { name, .. } => ConfigAction::Delete {
                    xpath: SecurityRule::xpath(location, name),
                },
                Operation::MoveAboveBottom {
                    name, bottom_rule, ..
                } => ConfigAction::Move {
                    xpath: SecurityRule::xpath(location, name),
                    position: Position::Before(bottom_rule.clone()),
                },
                Operation::DeleteService { name, .. } => ConfigAction::Delete {
                    xpath: ServiceObject::xpath(location, name),
                },
            });
        }
        actions
    }

    pub async fn system_info(&self) -> Result<panos::SystemInfo, FirewallError> {
        self.client.system_info().await.map_err(FirewallError::Read)
    }

    /// Whether the vsys holds an entry `name` in `container` (`zone`, `profile-group`, …).
    pub async fn has_vsys_entry(
        &self,
        container: &'static str,
        name: &str,
    ) -> Result<bool, FirewallError> {
        let xpath = self.location.base().child(container).entry(name);
        Ok(self
            .client
            .get(&xpath)
            .await
            .map_err(FirewallError::Read)?
            .is_some())
    }

    pub async fn has_rule(&self, name: &str) -> Result<bool, FirewallError> {
        Ok(self
            .client
            .get(&self.location.security_rule(name))
            .await
            .map_err(FirewallError::Read)?
            .is_some())
    }

    /// Whether the candidate holds uncommitted changes (for example a previous invocation's
    /// batch whose commit failed or ran past its deadline).
    pub async fn has_pending_changes(&self) -> Result<bool, FirewallError> {
        self.client
            .pending_changes()
            .await
            .map_err(FirewallError::Read)
    }

    /// One commit, polled until it ends or `budget` runs out. A FAIL job is an error carrying
    /// the device's lines.
    pub async fn commit(
        &self,
        description: &str,
        budget: Duration,
    ) -> Result<CommitReport, FirewallError> {
        let request = CommitRequest {
            scope: self.commit_scope.clone(),
            description: Some(description.to_owned()),
            force: false,
        };
        match self
            .client
            .commit_and_wait(&request, budget)
            .await
            .map_err(FirewallError::Commit)?
        {
            CommitOutcome::Committed(job) => Ok(CommitReport::Committed {
                job_id: job.id.0,
                warnings: job.warnings,
            }),
            CommitOutcome::NothingToCommit => Ok(CommitReport::NothingToCommit),
            CommitOutcome::StillRunning(id) => Ok(CommitReport::StillRunning { job_id: id.0 }),
        }
    }
}
