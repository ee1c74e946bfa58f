//! The whole mutable state of one simulated firewall: configuration store, jobs, locks,
//! administrators and their keys, device settings, injected faults and request statistics.
//!
//! This module must never parse HTTP: it holds state and answers small questions about it.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::jobs::JobQueue;
use crate::locks::Locks;
use crate::panorama::Personality;
use crate::registrations::{RegistrationLimits, Registry};
use crate::store::ConfigStore;
use crate::xml::Element;

/// Device identity and timing knobs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub sw_version: String,
    pub commit_delay: Duration,
    pub latency: Duration,
    pub hostname: String,
    pub serial: String,
    /// Capacity of the registered-ip database (tags per address, addresses).
    pub registration_limits: RegistrationLimits,
    /// Most security rules a commit may leave in the configuration (`None`: unlimited).
    pub max_rules: Option<usize>,
}

impl Settings {
    /// Major version number of `sw_version` (`10.2.4` → 10); 10 if unparsable.
    pub fn sw_major(&self) -> u32 {
        sw_major(&self.sw_version)
    }
}

pub fn sw_major(version: &str) -> u32 {
    version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(10)
}

/// An administrator and the API key keygen hands out for it.
#[derive(Debug, Clone)]
pub struct Admin {
    pub name: String,
    pub password: Option<String>,
    pub key: String,
}

/// Faults to inject into the next `/api` requests. Counts are consumed one per request
/// (`fail_commits` one per commit job).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultPlan {
    /// Answer the next N requests with an HTTP 5xx.
    pub http_errors: u32,
    /// The 5xx status to use (default 500).
    pub http_status: Option<u16>,
    /// Delay the next `hang_requests` requests by `hang_ms` before answering.
    pub hang_ms: u64,
    pub hang_requests: u32,
    /// Answer the next N requests with code 22 `Session timed out`.
    pub session_timeouts: u32,
    /// Make the next N commit jobs end FIN/FAIL.
    pub fail_commits: u32,
    /// Panorama: serial → the next N pushes to that device end FAIL (the device keeps its
    /// previous pushed policy).
    pub fail_pushes: BTreeMap<String, u32>,
    /// Panorama: serial → the next N pushes report the device OK in the job but do not change
    /// its pushed policy, and leave it `Out of Sync` in `show devicegroups`.
    pub out_of_sync_pushes: BTreeMap<String, u32>,
}

/// What to do to one request, decided (and consumed) before it is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FaultDecision {
    pub hang: Option<Duration>,
    pub http_error: Option<u16>,
    pub session_timeout: bool,
}

impl FaultPlan {
    pub fn take_for_request(&mut self) -> FaultDecision {
        let mut d = FaultDecision::default();
        if self.hang_requests > 0 {
            self.hang_requests -= 1;
            d.hang = Some(Duration::from_millis(self.hang_ms));
        }
        if self.http_errors > 0 {
            self.http_errors -= 1;
            d.http_error = Some(
                self.http_status
                    .filter(|s| (500..600).contains(s))
                    .unwrap_or(500),
            );
        } else if self.session_timeouts > 0 {
            self.session_timeouts -= 1;
            d.session_timeout = true;
        }
        d
    }
}

/// Request counters, served at `GET /_sim/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    pub requests: u64,
    pub by_type: BTreeMap<String, u64>,
    pub by_action: BTreeMap<String, u64>,
    pub by_op: BTreeMap<String, u64>,
    pub auth_failures: u64,
    pub error_responses: u64,
    pub commits_enqueued: u64,
    pub commits_finished: u64,
    pub commits_failed: u64,
    pub jobs: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub faults_injected: u64,
    /// Panorama: `type=commit&action=all` requests that enqueued a push job.
    pub commit_all_requests: u64,
    /// Panorama: device pushes delivered (one per target device of a finished push job).
    pub pushes: u64,
    /// Panorama: delivered device pushes that ended FAIL.
    pub pushes_failed: u64,
}

impl Stats {
    pub fn count(map: &mut BTreeMap<String, u64>, key: &str) {
        *map.entry(key.to_string()).or_default() += 1;
    }
}

/// One simulated firewall, or a Panorama (then [`SimState::personality`] holds its managed
/// firewalls, each a `SimState` of its own).
#[derive(Debug)]
pub struct SimState {
    pub store: ConfigStore,
    pub jobs: JobQueue,
    pub locks: Locks,
    pub admins: Vec<Admin>,
    pub settings: Settings,
    pub faults: FaultPlan,
    pub stats: Stats,
    /// User-ID tag registrations: running state, untouched by commits.
    pub registrations: Registry,
    /// Firewall, or Panorama with its managed devices.
    pub personality: Personality,
    initial_config: Element,
    initial_registrations: Registry,
}

impl SimState {
    pub fn new(config: Element, admins: Vec<Admin>, settings: Settings) -> SimState {
        let mut jobs = JobQueue::new(settings.commit_delay);
        jobs.max_rules = settings.max_rules;
        SimState {
            store: ConfigStore::new(config.clone(), settings.sw_major()),
            jobs,
            locks: Locks::default(),
            admins,
            settings,
            faults: FaultPlan::default(),
            stats: Stats::default(),
            registrations: Registry::default(),
            personality: Personality::Firewall,
            initial_config: config,
            initial_registrations: Registry::default(),
        }
    }

    /// Makes the current registrations the starting ones, restored by [`SimState::reset`].
    pub fn keep_registrations_as_initial(&mut self) {
        self.initial_registrations = self.registrations.clone();
    }

    /// Runs due jobs and drops expired tag registrations; call before reading or changing
    /// anything.
    pub fn advance(&mut self, now: Instant) {
        self.jobs.advance(&mut self.store, now);
        self.registrations.expire(now);
        if let Personality::Panorama(p) = &mut self.personality {
            for device in p.devices.values_mut() {
                device.state.advance(now);
            }
        }
        crate::commit_all::deliver_due(self, now);
    }

    pub fn is_panorama(&self) -> bool {
        matches!(self.personality, Personality::Panorama(_))
    }

    /// Back to the starting configuration and registrations: no jobs, locks, faults or
    /// statistics.
    pub fn reset(&mut self) {
        self.store = ConfigStore::new(self.initial_config.clone(), self.settings.sw_major());
        self.jobs = JobQueue::new(self.settings.commit_delay);
        self.jobs.max_rules = self.settings.max_rules;
        self.registrations = self.initial_registrations.clone();
        self.locks.clear();
        self.faults = FaultPlan::default();
        self.stats = Stats::default();
        if let Personality::Panorama(p) = &mut self.personality {
            for device in p.devices.values_mut() {
                device.reset();
            }
        }
    }

    /// The registered addresses of `vsys` and their tags (expired tags already dropped), in
    /// address order.
    pub fn registered_ips(&self, vsys: &str) -> BTreeMap<IpAddr, Vec<String>> {
        self.registrations
            .vsys(vsys)
            .map(|regs| {
                regs.iter()
                    .map(|(ip, reg)| (*ip, reg.tag_names()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The registered addresses a running dynamic address group of `vsys` (local, shared or
    /// pushed by Panorama) holds right now; `None` if there is no such group with a valid filter.
    pub fn dynamic_group_members(&self, vsys: &str, group: &str) -> Option<Vec<IpAddr>> {
        let index = crate::objects::ObjectIndex::for_vsys(&self.store.running, vsys)?;
        let filter = crate::dag::group_filter(index.get("address-group", group)?)?;
        Some(crate::dag::members(&filter, &index, self.registrations.vsys(vsys)).registered)
    }

    pub fn admin_by_key(&self, key: &str) -> Option<&Admin> {
        // pan-python does not URL-encode the key, so a `+` may arrive as a space.
        let key = key.trim();
        self.admins
            .iter()
            .find(|a| a.key == key || a.key.replace('+', " ") == key)
    }

    pub fn admin_by_password(&self, user: &str, password: &str) -> Option<&Admin> {
        self.admins
            .iter()
            .find(|a| a.name == user && a.password.as_deref() == Some(password))
    }

    pub fn stats_snapshot(&self) -> Stats {
        let mut s = self.stats.clone();
        s.commits_finished = self.jobs.commits_finished;
        s.commits_failed = self.jobs.commits_failed;
        s.jobs = self.jobs.len() as u64;
        s
    }
}

/// A fresh API key: letters and digits (never `+`, `/`), 40 characters plus `==` like PAN-OS keys.
pub fn new_api_key() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    let mut key = String::from("LUFRPT");
    key.push_str(&a);
    key.push_str(&b[..6]);
    key.push_str("==");
    key
}
