//! Panorama (`PANOS_TARGET=panorama`): palosync writes its rules and objects into one device
//! group's pre- or post-rulebase on Panorama, commits Panorama (its own administrator's changes
//! in that device group), then pushes the device group to its firewalls and waits for every
//! one of them. A commit to Panorama changes no firewall; only the push does, and a push job can
//! end while a firewall failed or stays out of sync, so each firewall's result and its
//! shared-policy status are read back and any that is not in sync fails the run (naming it), to
//! be retried.
//!
//! What only a firewall can answer goes to each managed firewall of the device group through
//! Panorama (`target=<serial>`): policy-match questions (an allowance counts as covered only
//! when every firewall answers it alike) and group mode's User-ID registrations, which each
//! firewall holds on its own. Each firewall's registration changes are planned from what it
//! holds, as a standalone firewall's would be, so one that joined late or missed an update
//! converges like the others.

use super::{Firewall, FirewallError, RegistrationReport, RegistrationStep};
use panos::{JobOutcome, JobResult, ManagedFirewall, PolicySync, PushRequest, SoftwareVersion};
use planner::{
    ObservedRegistrations, PolicyAnswers, PolicyMatch, PolicyMatchQuery, RegisteredAddress,
    Registration, RegistrationChanges, RegistrationRead,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The device group palosync keeps, and what it last read of each of its firewalls.
#[derive(Debug)]
pub struct Panorama {
    pub device_group: String,
    /// Each reachable firewall's registrations (palosync's tags), from the last read: the
    /// update that follows changes each firewall from what it holds.
    reads: Mutex<DeviceReads>,
    /// The device was found to be a Panorama whose scoped commits carry rule moves.
    verified: AtomicBool,
}

#[derive(Debug, Default, Clone)]
struct DeviceReads {
    read: RegistrationRead,
    by_device: BTreeMap<String, BTreeMap<IpAddr, BTreeSet<String>>>,
    /// Firewalls that could not be read (disconnected, refusing), with why.
    unreached: Vec<ManagedFailure>,
}

/// A managed firewall that did not end up with palosync's policy or registrations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagedFailure {
    pub serial: String,
    pub message: String,
}

/// One firewall's part of the push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DevicePushReport {
    pub serial: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    pub connected: bool,
    /// The push job's result for it (`OK`, `FAIL`), when it took part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Its shared-policy status after the push (`In Sync`, `Out of Sync`, …).
    pub policy: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
}

impl DevicePushReport {
    /// It holds the group's policy: its part of the push did not fail or run past the
    /// deadline, and Panorama reports it in sync. A firewall that is disconnected but in sync
    /// (nothing was pushed, nothing is owed) is in step; one a push could not reach is not.
    fn in_step(&self) -> bool {
        !matches!(self.result.as_deref(), Some("FAIL" | "PEND")) && self.policy == "In Sync"
    }
}

/// The push of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushReport {
    /// The `CommitAll` job; `None` when every firewall was in sync and nothing was committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<u64>,
    pub devices: Vec<DevicePushReport>,
}

impl PushReport {
    /// Firewalls that did not take the policy.
    pub fn failures(&self) -> Vec<ManagedFailure> {
        self.devices
            .iter()
            .filter(|d| !d.in_step())
            .map(|d| ManagedFailure {
                serial: d.serial.clone(),
                message: if d.result.as_deref() == Some("FAIL") {
                    format!("push failed: {}", d.lines.join(" "))
                } else if d.result.as_deref() == Some("PEND") {
                    "the push was still running at the deadline".to_owned()
                } else if !d.connected {
                    format!("not connected to Panorama, shared policy {}", d.policy)
                } else {
                    format!("shared policy {} after the push", d.policy)
                },
            })
            .collect()
    }
}

fn policy_text(policy: &PolicySync) -> String {
    match policy {
        PolicySync::InSync => "In Sync".to_owned(),
        PolicySync::OutOfSync => "Out of Sync".to_owned(),
        PolicySync::Other(text) if text.is_empty() => "Unknown".to_owned(),
        PolicySync::Other(text) => text.clone(),
    }
}

impl Panorama {
    pub fn new(device_group: impl Into<String>) -> Self {
        Self {
            device_group: device_group.into(),
            reads: Mutex::new(DeviceReads::default()),
            verified: AtomicBool::new(false),
        }
    }

    fn reads(&self) -> std::sync::MutexGuard<'_, DeviceReads> {
        self.reads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One answer for all firewalls: the same answer from each, else not covered (palosync then
/// writes its own rule, which every firewall needs or tolerates).
fn agreed(answers: &[PolicyMatch]) -> PolicyMatch {
    match answers.split_first() {
        Some((first, rest)) if rest.iter().all(|a| a == first) => first.clone(),
        _ => PolicyMatch::NoMatch,
    }
}

impl Firewall {
    /// Before the first write: the device is a Panorama, and one whose admin-scoped commits
    /// include rule moves (11.0.1 and later, panos-xml-api.md §7b); on an older one palosync's
    /// moves would stay uncommitted while its rules were pushed out of place. A full commit
    /// (`PANOS_FULL_COMMIT`) carries moves on every version.
    pub(super) async fn check_panorama(&self, panorama: &Panorama) -> Result<(), FirewallError> {
        if panorama.verified.load(Ordering::Relaxed) {
            return Ok(());
        }
        let info = self.system_info().await?;
        if !info.is_panorama {
            return Err(FirewallError::Setup(format!(
                "PANOS_TARGET=panorama, but {} is a {} (PAN-OS {}), not Panorama",
                self.url, info.model, info.sw_version
            )));
        }
        let moves_committed = SoftwareVersion {
            major: 11,
            minor: 0,
            patch: 1,
            hotfix: None,
        };
        if !self.full_commit && info.version.is_none_or(|v| v < moves_committed) {
            return Err(FirewallError::Setup(format!(
                "Panorama {} runs {}: before 11.0.1 a commit scoped to an administrator leaves \
                 out rule moves, so palosync's rules would be pushed out of place; upgrade \
                 Panorama, or set PANOS_FULL_COMMIT=true if every pending change may be committed",
                self.url, info.sw_version
            )));
        }
        panorama.verified.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// The firewalls of palosync's device group, as Panorama lists them.
    pub async fn managed_firewalls(
        &self,
        panorama: &Panorama,
    ) -> Result<Vec<ManagedFirewall>, FirewallError> {
        let groups = self
            .client
            .device_groups()
            .await
            .map_err(FirewallError::Read)?;
        groups
            .into_iter()
            .find(|g| g.name == panorama.device_group)
            .map(|g| g.devices)
            .ok_or_else(|| {
                FirewallError::Setup(format!(
                    "Panorama has no device group {} (PANORAMA_DEVICE_GROUP)",
                    panorama.device_group
                ))
            })
    }

    /// Each question asked of every connected firewall of the device group.
    pub(super) async fn answer_on_firewalls(
        &self,
        panorama: &Panorama,
        queries: &[PolicyMatchQuery],
    ) -> Result<PolicyAnswers, FirewallError> {
        let mut answers = PolicyAnswers::new();
        if queries.is_empty() {
            return Ok(answers);
        }
        let serials: Vec<String> = self
            .managed_firewalls(panorama)
            .await?
            .into_iter()
            .filter(|d| d.connected)
            .map(|d| d.serial)
            .collect();
        let mut by_device = Vec::with_capacity(serials.len());
        for serial in &serials {
            let device = self.client.for_device(serial.clone());
            by_device.push(self.answer_with(&device, queries).await?);
        }
        for query in queries {
            let each: Vec<PolicyMatch> = by_device
                .iter()
                .map(|a| a.get(query).cloned().unwrap_or(PolicyMatch::NoMatch))
                .collect();
            answers.insert(query.clone(), agreed(&each));
        }
        Ok(answers)
    }

    /// Reads each connected firewall's registrations, remembers each for the update that
    /// follows, and returns every pair any of them holds: the plan sees each address that
    /// carries palosync's tags anywhere (a terminated instance is found by its tag on any
    /// firewall), and each firewall's own changes are planned again from its own read.
    pub(super) async fn read_registrations_on_firewalls(
        &self,
        panorama: &Panorama,
        read: &RegistrationRead,
        prefix: &str,
    ) -> Result<ObservedRegistrations, FirewallError> {
        let mut reads = DeviceReads {
            read: read.clone(),
            ..DeviceReads::default()
        };
        if *read != RegistrationRead::Nothing {
            for device in self.managed_firewalls(panorama).await? {
                if !device.connected {
                    reads.unreached.push(ManagedFailure {
                        serial: device.serial,
                        message: "not connected to Panorama".into(),
                    });
                    continue;
                }
                let client = self.client.for_device(device.serial.clone());
                match self.read_registrations_with(&client, read, prefix).await {
                    Ok(observed) => {
                        let held = observed
                            .entries
                            .into_iter()
                            .map(|e| (e.address, e.tags.into_iter().collect()))
                            .collect();
                        reads.by_device.insert(device.serial, held);
                    }
                    Err(error) => reads.unreached.push(ManagedFailure {
                        serial: device.serial,
                        message: error.to_string(),
                    }),
                }
            }
        }
        let mut union: BTreeMap<IpAddr, BTreeSet<String>> = BTreeMap::new();
        for held in reads.by_device.values() {
            for (address, tags) in held {
                union
                    .entry(*address)
                    .or_default()
                    .extend(tags.iter().cloned());
            }
        }
        *panorama.reads() = reads;
        Ok(ObservedRegistrations {
            read: read.clone(),
            entries: union
                .into_iter()
                .map(|(address, tags)| RegisteredAddress {
                    address,
                    tags: tags.into_iter().collect(),
                })
                .collect(),
        })
    }

    /// Makes `step` of each firewall's own changes: `per_firewall` plans them from what the
    /// firewall was read to hold. Firewalls that could not be read or written are in `failed`;
    /// the others go ahead.
    pub(super) async fn update_registrations_on_firewalls(
        &self,
        panorama: &Panorama,
        step: RegistrationStep,
        per_firewall: &(dyn Fn(&ObservedRegistrations) -> RegistrationChanges + Sync),
        timeout: Option<u32>,
    ) -> RegistrationReport {
        let reads = panorama.reads().clone();
        let mut report = RegistrationReport {
            failed: reads.unreached.clone(),
            ..RegistrationReport::default()
        };
        for (serial, held) in &reads.by_device {
            let observed = ObservedRegistrations {
                read: reads.read.clone(),
                entries: held
                    .iter()
                    .map(|(address, tags)| RegisteredAddress {
                        address: *address,
                        tags: tags.iter().cloned().collect(),
                    })
                    .collect(),
            };
            let changes = per_firewall(&observed);
            let (register, unregister) = step.of(&changes);
            let client = self.client.for_device(serial.clone());
            match self
                .send_registrations(&client, register, unregister, timeout)
                .await
            {
                Ok(sent) => {
                    let count = |list: &[Registration]| -> usize {
                        list.iter().map(|r| r.tags.len()).sum()
                    };
                    report.registered += count(register);
                    report.unregistered += count(unregister);
                    report.messages += sent;
                }
                Err(error) => report.failed.push(ManagedFailure {
                    serial: serial.clone(),
                    message: error.to_string(),
                }),
            }
        }
        report
    }

    /// Pushes the device group when this run committed or a firewall is not in sync (a push
    /// that failed before), waits for every firewall within `budget`, and reads back each
    /// one's status. A push still running at the deadline leaves its firewalls `PEND`, so they
    /// count as failed and the run is retried.
    pub async fn push_device_group(
        &self,
        panorama: &Panorama,
        committed: bool,
        description: &str,
        budget: Duration,
    ) -> Result<PushReport, FirewallError> {
        let before = self.managed_firewalls(panorama).await?;
        let behind = before.iter().any(|d| d.policy != PolicySync::InSync);
        if !committed && !behind {
            return Ok(PushReport {
                job_id: None,
                devices: before.iter().map(|d| device_report(d, None)).collect(),
            });
        }
        let request = PushRequest {
            device_group: panorama.device_group.clone(),
            devices: Vec::new(),
            description: Some(description.to_owned()),
        };
        let started = self
            .client
            .push(&request)
            .await
            .map_err(FirewallError::Commit)?;
        let panos::CommitStarted::Job(job_id) = started else {
            // Nothing to push is what Panorama says when the group has no firewalls.
            return Ok(PushReport {
                job_id: None,
                devices: before.iter().map(|d| device_report(d, None)).collect(),
            });
        };
        let job = match self
            .client
            .wait_for_push(job_id, budget)
            .await
            .map_err(FirewallError::Commit)?
        {
            JobOutcome::Finished(job) => Some(job),
            JobOutcome::StillRunning(_) => None,
        };
        let after = self.managed_firewalls(panorama).await?;
        let devices = after
            .iter()
            .map(|device| {
                let pushed = job
                    .as_ref()
                    .and_then(|j| j.devices.iter().find(|d| d.serial == device.serial));
                let mut report = device_report(device, pushed.map(|p| &p.result));
                if let Some(pushed) = pushed {
                    report.lines = pushed.errors.clone();
                } else if job.is_none() {
                    report.result = Some("PEND".into());
                    report.lines = vec!["the push was still running at the deadline".into()];
                }
                report
            })
            .collect();
        if let Some(job) = &job
            && job.devices.is_empty()
            && job.result != JobResult::Ok
        {
            // Panorama itself refused the push (no per-firewall part to report).
            return Err(FirewallError::Commit(panos::Error::JobFailed {
                id: job.id,
                details: job.details.clone(),
                warnings: job.warnings.clone(),
            }));
        }
        Ok(PushReport {
            job_id: Some(job_id.0),
            devices,
        })
    }
}

fn device_report(device: &ManagedFirewall, result: Option<&JobResult>) -> DevicePushReport {
    DevicePushReport {
        serial: device.serial.clone(),
        hostname: device.hostname.clone(),
        connected: device.connected,
        result: result.map(|r| match r {
            JobResult::Ok => "OK".to_owned(),
            JobResult::Fail => "FAIL".to_owned(),
            JobResult::Pending => "PEND".to_owned(),
            JobResult::Other(text) => text.clone(),
        }),
        policy: policy_text(&device.policy),
        lines: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use planner::firewall::RuleAction;

    #[test]
    fn firewalls_that_disagree_leave_the_allowance_uncovered() {
        let allow = |name: &str| PolicyMatch::Rule {
            name: name.into(),
            action: RuleAction::Allow,
        };
        assert_eq!(agreed(&[allow("ops"), allow("ops")]), allow("ops"));
        assert_eq!(
            agreed(&[allow("ops"), PolicyMatch::NoMatch]),
            PolicyMatch::NoMatch
        );
        assert_eq!(
            agreed(&[allow("ops"), allow("other")]),
            PolicyMatch::NoMatch
        );
        assert_eq!(agreed(&[]), PolicyMatch::NoMatch);
    }

    #[test]
    fn a_firewall_is_in_step_only_connected_pushed_and_in_sync() {
        let device = |connected, result: Option<&str>, policy: &str| DevicePushReport {
            serial: "0001".into(),
            hostname: None,
            connected,
            result: result.map(str::to_owned),
            policy: policy.into(),
            lines: vec!["zone z is not a valid reference".into()],
        };
        let report = PushReport {
            job_id: Some(3),
            devices: vec![
                device(true, Some("OK"), "In Sync"),
                device(true, Some("FAIL"), "Out of Sync"),
                device(true, Some("OK"), "Out of Sync"),
                device(false, None, "In Sync"),
                device(false, None, "Out of Sync"),
                device(true, Some("PEND"), "In Sync"),
            ],
        };
        let failures = report.failures();
        assert_eq!(failures.len(), 4, "{failures:?}");
        assert!(failures[0].message.contains("not a valid reference"));
        assert!(failures[1].message.contains("Out of Sync"));
        assert!(
            failures[2].message.contains("not connected"),
            "disconnected and behind: {failures:?}"
        );
        assert!(failures[3].message.contains("deadline"));
    }
}
