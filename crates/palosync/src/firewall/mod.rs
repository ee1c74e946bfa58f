//! The executor's side of the firewall: read what is there ([`read`]), ask policy-match
//! questions, verify whose key this is and hold the config lock while writing ([`session`]),
//! write the plan in batches that never leave half of it behind ([`write`]), and commit once,
//! scoped to palosync's own administrator.
//!
//! This module does IO through the `panos` client and nothing else; what to write is decided
//! by the planner. It must never write an entry the plan does not name.

pub mod continuity;
pub mod mapping;
pub mod panorama;
pub mod read;
pub mod registrations;
pub mod session;
pub mod write;

pub use continuity::AwaitedCommit;
pub use panorama::{ManagedFailure, Panorama, PushReport};
pub use registrations::{RegistrationReport, RegistrationStep};
pub use session::WriteSession;
pub use write::{LeftoverObject, Revert, Written};

use crate::capacity::{Capacity, CapacitySource};
use crate::config::{FirewallConfig, TlsChoice};
use futures::stream::{self, StreamExt, TryStreamExt};
use model::{PolicyMode, Settings};
use panos::{ApiKey, CommitOutcome, CommitRequest, CommitScope, Location, RulebaseSide};
use planner::{
    DeviceObjects, ObservedRule, ObservedService, PolicyAnswers, PolicyMatchQuery, RegistrationRead,
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
        "writing the plan failed after {applied} of {total} actions ({revert}); nothing was committed: {source}"
    )]
    Write {
        /// Actions of earlier batches that had been applied before the failure.
        applied: usize,
        total: usize,
        /// What became of them (boxed: keeps the error small).
        revert: Box<Revert>,
        #[source]
        source: panos::Error,
    },
    #[error("deleting managed objects failed; nothing was committed: {0}")]
    Cleanup(#[source] panos::Error),
    #[error("config lock: {0}")]
    Lock(#[source] panos::Error),
    #[error(
        "the API key belongs to administrator {key_user}, not PANOS_ADMIN={configured}; refusing to write or commit"
    )]
    KeyOfAnotherAdmin {
        key_user: String,
        configured: String,
    },
    #[error(
        "cannot tell which administrator the API key belongs to (the config lock names no holder); refusing to write or commit"
    )]
    KeyUserUnknown,
    #[error(
        "PANOS_FULL_COMMIT: administrators {} have uncommitted changes a full commit would push; wrote nothing and did not commit (retry once they commit or revert)",
        .admins.join(", ")
    )]
    OtherAdminsPending { admins: Vec<String> },
    #[error("commit failed: {0}")]
    Commit(#[source] panos::Error),
    #[error("User-ID registration failed: {0}")]
    Registration(#[source] panos::Error),
    #[error(
        "another palosync run holds the config lock ({comment}, until {until} Unix time); wrote nothing (retry later)"
    )]
    Busy { comment: String, until: u64 },
    #[error(
        "palosync's earlier commit (job {job_id}) is still running; wrote nothing and did not commit over it (retry later)"
    )]
    CommitStillRunning { job_id: u64 },
    #[error(
        "{} of the device group's firewalls did not take palosync's changes: {}",
        .failed.len(),
        .failed.iter().map(|f| format!("{}: {}", f.serial, f.message)).collect::<Vec<_>>().join("; ")
    )]
    ManagedFirewalls { failed: Vec<ManagedFailure> },
}

impl FirewallError {
    /// The Lambda `errorType` for this failure.
    pub fn error_type(&self) -> &'static str {
        let cause = match self {
            FirewallError::Setup(_) => return "ConfigInvalid",
            FirewallError::KeyOfAnotherAdmin { .. } | FirewallError::KeyUserUnknown => {
                return "FirewallAdminMismatch";
            }
            FirewallError::OtherAdminsPending { .. } => return "OtherAdminsHavePendingChanges",
            FirewallError::Busy { .. } => return "FirewallBusy",
            FirewallError::CommitStillRunning { .. } => return "CommitStillRunning",
            FirewallError::ManagedFirewalls { .. } => return "ManagedFirewallsFailed",
            FirewallError::Commit(panos::Error::JobFailed { .. }) => return "CommitFailed",
            FirewallError::Read(e)
            | FirewallError::PolicyMatch(e)
            | FirewallError::Write { source: e, .. }
            | FirewallError::Cleanup(e)
            | FirewallError::Lock(e)
            | FirewallError::Commit(e)
            | FirewallError::Registration(e) => e,
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

/// What the management URL is: the seam between a standalone firewall and Panorama. Everything
/// else (reading, planning, writing, the commit) is one path.
#[derive(Debug)]
pub enum Device {
    /// A firewall that holds its own policy.
    Standalone,
    /// Panorama: rules go into a device group and reach its firewalls by a push.
    Panorama(Panorama),
}

#[derive(Debug)]
pub struct Firewall {
    /// The management URL: the firewall's name in reports.
    url: String,
    client: panos::Client,
    device: Device,
    location: Location,
    vsys: String,
    commit_scope: Option<CommitScope>,
    /// `PANOS_ADMIN`: whom the key must belong to.
    admin: Option<String>,
    full_commit: bool,
    /// Actions per multi-config request ([`MAX_ACTIONS_PER_BATCH`]; smaller in tests).
    batch_size: usize,
    /// `PANOS_MAX_RULES`.
    max_rules: Option<usize>,
    /// palosync's dynamic address groups in the running config, as of this process's last
    /// full reconcile that ended committed (see [`registrations`]).
    member_groups: std::sync::Mutex<Option<Vec<String>>>,
}

impl Firewall {
    /// A client for the firewall at `url` with the target's shared settings.
    pub fn connect(url: &str, config: &FirewallConfig, key: ApiKey) -> Result<Self, FirewallError> {
        Self::connect_polling(url, config, key, DEFAULT_JOB_POLL_INTERVAL)
    }

    /// As [`Firewall::connect`], polling commit jobs every `job_poll` (a simulator commits in
    /// milliseconds; a real device in seconds to minutes).
    pub fn connect_polling(
        url: &str,
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
        let client = panos::Client::builder(url.to_owned())
            .api_key(key)
            .tls(tls)
            .job_poll_interval(job_poll)
            .build()
            .map_err(|e| FirewallError::Setup(e.to_string()))?;
        // Without an admin (read-only commands: plan, dry runs) there is no commit scope, and
        // any write or commit is refused before it starts.
        let commit_scope = match (&config.admin, config.full_commit) {
            (_, true) => Some(CommitScope::Full),
            (Some(admin), false) => Some(CommitScope::PartialAdmins(vec![admin.clone()])),
            (None, false) => None,
        };
        Ok(Self {
            url: url.to_owned(),
            client,
            device: Device::Standalone,
            location: Location::vsys(config.vsys.clone()),
            vsys: config.vsys.clone(),
            commit_scope,
            admin: config.admin.clone(),
            full_commit: config.full_commit,
            batch_size: MAX_ACTIONS_PER_BATCH,
            max_rules: config.max_rules,
            member_groups: std::sync::Mutex::new(None),
        })
    }

    /// This client as Panorama's: rules and objects in `device_group`'s `rulebase`, pushed to
    /// the group's firewalls (`vsys` stays the firewalls' own, for what they are asked).
    #[must_use]
    pub fn into_panorama(mut self, device_group: &str, rulebase: RulebaseSide) -> Self {
        self.location = Location::panorama_device_group(device_group, rulebase);
        self.device = Device::Panorama(Panorama::new(device_group));
        self
    }

    /// Panorama's device group, when this is Panorama.
    pub fn panorama(&self) -> Option<&Panorama> {
        match &self.device {
            Device::Standalone => None,
            Device::Panorama(panorama) => Some(panorama),
        }
    }

    /// Write at most `actions` actions per multi-config request (at least 2: a rule and its
    /// move). For tests of multi-batch writes.
    #[must_use]
    pub fn with_batch_size(mut self, actions: usize) -> Self {
        self.batch_size = actions.max(2);
        self
    }

    /// The management URL this client talks to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many security rules the device holds, when known (`PANOS_MAX_RULES`).
    pub fn capacity(&self) -> Option<Capacity> {
        self.max_rules.map(|max_rules| Capacity {
            max_rules,
            source: CapacitySource::Setting,
        })
    }

    /// Whose changes a commit pushes; `PANOS_ADMIN` is required unless commits are full.
    pub fn commit_scope(&self) -> Result<CommitScope, FirewallError> {
        self.commit_scope.clone().ok_or_else(|| {
            FirewallError::Setup(
                "PANOS_ADMIN is required to write and commit (partial commits are scoped to it)"
                    .into(),
            )
        })
    }

    /// `PANOS_ADMIN`, when set.
    pub fn admin(&self) -> Option<&str> {
        self.admin.as_deref()
    }

    /// Whether commits are full (`PANOS_FULL_COMMIT=true`) rather than scoped to the admin.
    pub fn full_commit(&self) -> bool {
        self.full_commit
    }

    pub fn stats(&self) -> panos::ClientStats {
        self.client.stats()
    }

    /// The whole vsys as the planner needs it (see [`read`]), with the User-ID registrations
    /// `registrations` asks for (in `settings`' tag namespace): in address mode only when
    /// palosync's address groups show that group mode ran here.
    pub async fn read_state(
        &self,
        settings: &Settings,
        registrations: &RegistrationRead,
    ) -> Result<FirewallState, FirewallError> {
        let prefix = settings.member_tag_prefix();
        if settings.mode == PolicyMode::Addresses {
            // Registrations matter in address mode only to clean up after group mode, which
            // leaves palosync's address groups behind until then; a device full of other
            // sources' registrations is not paged through for nothing.
            let mut state =
                read::read_state(&self.client, &self.location, &settings.managed_tag).await?;
            let group_mode_was_here = state
                .objects
                .address_groups
                .iter()
                .any(|g| g.name.starts_with(&prefix) && g.tags.contains(&settings.managed_tag));
            if group_mode_was_here {
                state.objects.registrations =
                    self.read_registrations(registrations, &prefix).await?;
            }
            return Ok(state);
        }
        let (mut state, observed) = tokio::try_join!(
            read::read_state(&self.client, &self.location, &settings.managed_tag),
            self.read_registrations(registrations, &prefix),
        )?;
        state.objects.registrations = observed;
        Ok(state)
    }

    /// The vsys's security rules alone, in order (one request): to see whether another run
    /// changed them since [`Firewall::read_state`].
    pub async fn read_rules(&self) -> Result<Vec<ObservedRule>, FirewallError> {
        let rules = self
            .client
            .security_rules(&self.location)
            .await
            .map_err(FirewallError::Read)?;
        Ok(rules.iter().map(mapping::observed_rule).collect())
    }

    /// Ask the firewall each question once, a few at a time; behind Panorama, ask each of the
    /// device group's firewalls.
    pub async fn answer(
        &self,
        queries: &[PolicyMatchQuery],
    ) -> Result<PolicyAnswers, FirewallError> {
        match &self.device {
            Device::Standalone => self.answer_with(&self.client, queries).await,
            Device::Panorama(panorama) => self.answer_on_firewalls(panorama, queries).await,
        }
    }

    async fn answer_with(
        &self,
        client: &panos::Client,
        queries: &[PolicyMatchQuery],
    ) -> Result<PolicyAnswers, FirewallError> {
        stream::iter(queries.iter().cloned())
            .map(|query| async move {
                let asked = mapping::policy_query(&query, &self.vsys);
                let answer = client.policy_match(&asked).await?;
                Ok::<_, panos::Error>((query, mapping::policy_answer(&answer)))
            })
            .buffer_unordered(POLICY_MATCH_CONCURRENCY)
            .try_collect::<Vec<_>>()
            .await
            .map(PolicyAnswers::from_iter)
            .map_err(FirewallError::PolicyMatch)
    }

    pub async fn system_info(&self) -> Result<panos::SystemInfo, FirewallError> {
        self.client.system_info().await.map_err(FirewallError::Read)
    }

    /// Whether the vsys holds an entry `name` in `container` (`zone`, `profile-group`, …);
    /// behind Panorama, the device group or shared (where its rules find objects).
    pub async fn has_vsys_entry(
        &self,
        container: &'static str,
        name: &str,
    ) -> Result<bool, FirewallError> {
        let mut places = vec![self.location.base().child(container).entry(name)];
        if self.panorama().is_some() {
            places.push(
                Location::panorama_shared(RulebaseSide::Pre)
                    .base()
                    .child(container)
                    .entry(name),
            );
        }
        for xpath in places {
            if self
                .client
                .get(&xpath)
                .await
                .map_err(FirewallError::Read)?
                .is_some()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub async fn has_rule(&self, name: &str) -> Result<bool, FirewallError> {
        Ok(self
            .client
            .get(&self.location.security_rule(name))
            .await
            .map_err(FirewallError::Read)?
            .is_some())
    }

    /// Whether the candidate holds uncommitted changes of anyone (global).
    pub async fn has_pending_changes(&self) -> Result<bool, FirewallError> {
        self.client
            .pending_changes()
            .await
            .map_err(FirewallError::Read)
    }

    /// The administrators with uncommitted changes (for example palosync's own, from a previous
    /// invocation whose commit failed or ran past its deadline; or an operator's staged edit).
    pub async fn admins_with_pending_changes(&self) -> Result<Vec<String>, FirewallError> {
        self.client
            .admins_with_pending_changes()
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
            scope: self.commit_scope()?,
            description: Some(description.to_owned()),
            force: false,
            device_groups: self
                .panorama()
                .map(|p| vec![p.device_group.clone()])
                .unwrap_or_default(),
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
