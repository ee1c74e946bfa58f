//! The simulated firewall every strategy runs against: `panos-sim` in-process, seeded with an
//! operator's own rules, with injected costs per API call and per commit. Usage is counted by
//! the simulator itself, so both strategies are measured by the same meter.
//!
//! Costs are zero while a scenario sets the firewall up and switched on only for the measured
//! part; the counters are read as differences around it.

use anyhow::{Context, Result};
use palosync::demo::{operator_rule, seed_operator_rules};
use panos::{ApiKey, Client, ConfigEntry, Location, RuleAction, SecurityRule};
use panos_sim::{RunningSimulator, Simulator, Stats};
use std::collections::BTreeSet;
use std::time::Duration;

pub const API_KEY: &str = "bench-api-key";
pub const ADMIN: &str = "admin";
pub const BOTTOM_RULE: &str = "Clean up";
pub const VSYS: &str = "vsys1";
/// Rules the operator wrote; no strategy may change them.
pub const OPERATOR_RULES: [&str; 2] = ["outbound-web", "ops-bastion-ssh"];

/// What a real device charges: a round trip per API call, and a commit's duration.
#[derive(Debug, Clone, Copy)]
pub struct Costs {
    pub api: Duration,
    pub commit: Duration,
    /// How often a client asks whether a commit job has finished.
    pub poll: Duration,
}

impl Costs {
    pub const FREE: Costs = Costs {
        api: Duration::ZERO,
        commit: Duration::ZERO,
        poll: Duration::from_millis(1),
    };
}

#[derive(Debug)]
pub struct Device {
    sim: RunningSimulator,
    admin: Client,
}

impl Device {
    /// A firewall with the default config (zones, profile group `default`, `Clean up` deny
    /// rule) plus two operator rules, committed, at zero cost.
    pub async fn start() -> Result<Self> {
        let sim = Simulator::builder()
            .api_key(API_KEY)
            .commit_delay(Duration::ZERO)
            .start()
            .await
            .context("starting the simulator")?;
        let admin = client(&sim.url(), Duration::from_millis(1))?;
        let device = Self { sim, admin };
        device.seed_operator_rules().await?;
        Ok(device)
    }

    pub fn url(&self) -> String {
        self.sim.url()
    }

    pub fn set_costs(&self, costs: Costs) {
        self.sim.with_state(|state| {
            state.settings.latency = costs.api;
            state.settings.commit_delay = costs.commit;
            state.jobs.duration = costs.commit;
        });
    }

    pub fn stats(&self) -> Stats {
        self.sim.stats()
    }

    /// How many addresses carry at least one registered tag right now.
    pub fn registered_addresses(&self) -> usize {
        self.sim.registered_ips(VSYS).len()
    }

    pub async fn shutdown(self) {
        self.sim.shutdown().await;
    }

    async fn seed_operator_rules(&self) -> Result<()> {
        let [web, bastion] = OPERATOR_RULES;
        let rules = [
            operator_rule(web, "trust", "untrust", "any", "web-browsing"),
            operator_rule(bastion, "untrust", "trust", "203.0.113.7", "ssh"),
        ];
        seed_operator_rules(&self.admin, &rules, BOTTOM_RULE, ADMIN).await?;
        Ok(())
    }

    /// Every (source, destination, application, service) the committed rulebase allows through
    /// rules other than the operator's: what a strategy made the firewall enforce. A dynamic
    /// address group stands for its registered members, and addresses are written one way
    /// (`0.0.0.0/0` as `any`, no `/32`), so both policy modes compare.
    pub async fn enforced_allowances(&self) -> Result<BTreeSet<[String; 4]>> {
        let rules = self.running_rules().await?;
        let expand = |member: &str| -> Vec<String> {
            match self.sim.dynamic_group_members(VSYS, member) {
                Some(ips) => ips.iter().map(ToString::to_string).collect(),
                None => vec![canonical_address(member)],
            }
        };
        let mut allowed = BTreeSet::new();
        for rule in rules.iter().filter(|r| {
            !OPERATOR_RULES.contains(&r.name.as_str())
                && r.name != BOTTOM_RULE
                && r.action.as_ref().is_some_and(RuleAction::allows)
        }) {
            let sources: Vec<String> = rule.source.iter().flat_map(|s| expand(s)).collect();
            let destinations: Vec<String> =
                rule.destination.iter().flat_map(|d| expand(d)).collect();
            for source in &sources {
                for destination in &destinations {
                    for application in &rule.application {
                        for service in &rule.service {
                            allowed.insert([
                                source.clone(),
                                destination.clone(),
                                application.clone(),
                                service.clone(),
                            ]);
                        }
                    }
                }
            }
        }
        Ok(allowed)
    }

    /// The committed (running) rulebase.
    pub async fn running_rules(&self) -> Result<Vec<SecurityRule>> {
        let xpath = SecurityRule::container(&Location::vsys(VSYS));
        let Some(container) = self.admin.show(&xpath).await? else {
            return Ok(Vec::new());
        };
        container
            .children_named("entry")
            .map(|entry| SecurityRule::from_entry(entry).map_err(Into::into))
            .collect()
    }
}

/// One spelling per address: the whole IPv4 or IPv6 space as `any`, a host without `/32`.
fn canonical_address(member: &str) -> String {
    match member {
        "0.0.0.0/0" | "::/0" => "any".to_owned(),
        _ => member
            .strip_suffix("/32")
            .or_else(|| member.strip_suffix("/128"))
            .unwrap_or(member)
            .to_owned(),
    }
}

/// A client for the simulator's `admin`, polling jobs every `poll`.
pub fn client(url: &str, poll: Duration) -> Result<Client> {
    Ok(Client::builder(url)
        .api_key(ApiKey::new(API_KEY))
        .job_poll_interval(poll)
        .build()?)
}

/// Firewall work one strategy caused, from the simulator's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub round_trips: u64,
    pub reads: u64,
    pub writes: u64,
    pub policy_matches: u64,
    pub commit_requests: u64,
    pub commits: u64,
    pub job_polls: u64,
    /// User-ID API messages (`type=user-id`): group mode's registrations, no commit.
    pub user_id_messages: u64,
    pub wall: Duration,
}

impl Usage {
    pub fn between(before: &Stats, after: &Stats, wall: Duration) -> Self {
        let delta = |map: fn(&Stats) -> &std::collections::BTreeMap<String, u64>, key: &str| {
            map(after).get(key).copied().unwrap_or(0) - map(before).get(key).copied().unwrap_or(0)
        };
        let action = |key: &str| delta(|s| &s.by_action, key);
        Self {
            round_trips: after.requests - before.requests,
            reads: action("get") + action("show"),
            writes: ["set", "edit", "delete", "move", "rename", "multi-config"]
                .into_iter()
                .map(action)
                .sum(),
            policy_matches: delta(|s| &s.by_op, "test security-policy-match"),
            commit_requests: delta(|s| &s.by_type, "commit"),
            commits: after.commits_finished - before.commits_finished,
            job_polls: delta(|s| &s.by_op, "show jobs id"),
            user_id_messages: delta(|s| &s.by_type, "user-id"),
            wall,
        }
    }
}
