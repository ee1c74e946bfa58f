//! Panorama's second step. A commit to Panorama changes no firewall; a push (`commit-all` of
//! shared policy to a device group) does, and its job reports a result per device. A push job
//! can finish while device entries are still `PEND`, and a device can end `OK` yet stay out of
//! sync, so callers wait for every device ([`Client::wait_for_push`]) and then read each
//! device's sync status ([`Client::device_groups`]). See panos-xml-api.md §6 and §7b.

use std::time::Duration;

use crate::client::Client;
use crate::commit::{CommitStarted, Job, JobId, JobOutcome, JobResult, interpret_commit_reply};
use crate::error::Error;
use crate::op::op_command;
use crate::retry::Idempotency;
use crate::stats::RequestKind;
use crate::transport::ApiRequest;
use crate::xml::XmlNode;

/// A push of a device group's policy (with shared) to its firewalls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRequest {
    pub device_group: String,
    /// Only these firewalls (serials); empty: every firewall of the device group.
    pub devices: Vec<String>,
    pub description: Option<String>,
}

impl PushRequest {
    /// `<commit-all><shared-policy><device-group><entry name="DG">…</entry></device-group>…`.
    fn to_command(&self) -> XmlNode {
        let mut group = XmlNode::new("entry").with_attr("name", &self.device_group);
        if !self.devices.is_empty() {
            let mut devices = XmlNode::new("devices");
            for serial in &self.devices {
                devices
                    .children
                    .push(XmlNode::new("entry").with_attr("name", serial));
            }
            group.children.push(devices);
        }
        let mut policy = XmlNode::new("shared-policy")
            .with_child(XmlNode::new("device-group").with_child(group));
        if let Some(description) = &self.description {
            policy
                .children
                .push(XmlNode::with_text_content("description", description));
        }
        XmlNode::new("commit-all").with_child(policy)
    }
}

/// One firewall's part of a push job (`devices/entry` of a `CommitAll` job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePush {
    pub serial: String,
    pub device_name: Option<String>,
    /// Free text, e.g. `commit succeeded with warnings`.
    pub status: Option<String>,
    /// PEND until the firewall finished its commit.
    pub result: JobResult,
    /// `details/msg/errors/line`s.
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

impl DevicePush {
    pub(crate) fn from_node(entry: &XmlNode) -> Result<Self, Error> {
        let serial = entry
            .child_text("serial-no")
            .or_else(|| entry.attr("name"))
            .map(str::to_owned)
            .ok_or_else(|| Error::malformed("push job device entry without a serial"))?;
        let lines = |kind: &str| -> Vec<String> {
            entry
                .path(&["details", "msg", kind])
                .map(|c| {
                    c.children_named("line")
                        .map(|l| l.trimmed_text().to_owned())
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Self {
            serial,
            device_name: entry.child_text("devicename").map(str::to_owned),
            status: entry
                .child_text("status")
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            result: JobResult::parse(entry.child_text("result")),
            errors: lines("errors"),
            warnings: lines("warnings"),
        })
    }
}

/// A firewall's shared-policy status as Panorama reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySync {
    InSync,
    OutOfSync,
    /// Anything else (`Unknown`, absent), as written.
    Other(String),
}

/// A managed firewall in `show devicegroups`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedFirewall {
    pub serial: String,
    pub hostname: Option<String>,
    pub connected: bool,
    pub policy: PolicySync,
}

/// A device group and its firewalls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceGroupDevices {
    pub name: String,
    pub devices: Vec<ManagedFirewall>,
}

fn policy_sync(text: Option<&str>) -> PolicySync {
    match text.map(str::trim) {
        Some(t) if t.eq_ignore_ascii_case("in sync") => PolicySync::InSync,
        Some(t) if t.eq_ignore_ascii_case("out of sync") => PolicySync::OutOfSync,
        other => PolicySync::Other(other.unwrap_or_default().to_owned()),
    }
}

impl ManagedFirewall {
    fn from_node(entry: &XmlNode) -> Result<Self, Error> {
        let serial = entry
            .child_text("serial")
            .or_else(|| entry.attr("name"))
            .map(str::to_owned)
            .ok_or_else(|| Error::malformed("devicegroups device entry without a serial"))?;
        // Multi-vsys firewalls report the status per vsys: in sync only when every vsys is.
        let policy = match entry.child_text("shared-policy-status") {
            Some(text) => policy_sync(Some(text)),
            None => {
                let per_vsys: Vec<PolicySync> = entry
                    .path(&["vsys"])
                    .map(|v| {
                        v.children_named("entry")
                            .map(|e| policy_sync(e.child_text("shared-policy-status")))
                            .collect()
                    })
                    .unwrap_or_default();
                per_vsys
                    .iter()
                    .find(|p| **p != PolicySync::InSync)
                    .cloned()
                    .or(per_vsys.first().cloned())
                    .unwrap_or(PolicySync::Other(String::new()))
            }
        };
        Ok(Self {
            serial,
            hostname: entry.child_text("hostname").map(str::to_owned),
            connected: entry.child_text("connected") == Some("yes"),
            policy,
        })
    }
}

fn parse_device_groups(result: &XmlNode) -> Result<Vec<DeviceGroupDevices>, Error> {
    let Some(groups) = result.child("devicegroups") else {
        return Ok(Vec::new());
    };
    groups
        .children_named("entry")
        .map(|group| {
            let name = group
                .attr("name")
                .ok_or_else(|| Error::malformed("devicegroups entry without a name"))?
                .to_owned();
            let devices = group
                .child("devices")
                .map(|d| {
                    d.children_named("entry")
                        .map(ManagedFirewall::from_node)
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?
                .unwrap_or_default();
            Ok(DeviceGroupDevices { name, devices })
        })
        .collect()
}

impl Client {
    /// Starts a push (`type=commit&action=all`). Never retried: a lost reply may mean a job
    /// was queued.
    pub async fn push(&self, request: &PushRequest) -> Result<CommitStarted, Error> {
        let api_request = ApiRequest {
            kind: RequestKind::Commit,
            params: vec![
                ("type", "commit".to_owned()),
                ("action", "all".to_owned()),
                ("cmd", request.to_command().to_xml()),
            ],
            idempotency: Idempotency::NotIdempotent,
        };
        let reply = self.send(api_request).await?;
        interpret_commit_reply(&reply).map_err(|e| self.scrub(e))
    }

    /// Polls push job `id` until it has finished and no firewall's result is still `PEND`, or
    /// `timeout` passes.
    pub async fn wait_for_push(&self, id: JobId, timeout: Duration) -> Result<JobOutcome, Error> {
        self.wait_until(id, timeout, |job: &Job| {
            job.is_finished() && job.devices.iter().all(|d| d.result != JobResult::Pending)
        })
        .await
    }

    /// `show devicegroups`: every device group with its firewalls, their connection and
    /// shared-policy status.
    pub async fn device_groups(&self) -> Result<Vec<DeviceGroupDevices>, Error> {
        let cmd = op_command(&["show", "devicegroups"]);
        let result = self.op(&cmd, None).await?;
        parse_device_groups(&result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_commands_name_the_group_and_only_the_devices_asked_for() {
        let mut push = PushRequest {
            device_group: "dg'1".into(),
            devices: Vec::new(),
            description: Some("palosync <sync>".into()),
        };
        assert_eq!(
            push.to_command().to_xml(),
            "<commit-all><shared-policy><device-group><entry name=\"dg&apos;1\"/></device-group><description>palosync &lt;sync&gt;</description></shared-policy></commit-all>"
        );
        push.devices = vec!["0079001".into()];
        push.description = None;
        assert_eq!(
            push.to_command().to_xml(),
            "<commit-all><shared-policy><device-group><entry name=\"dg&apos;1\"><devices><entry name=\"0079001\"/></devices></entry></device-group></shared-policy></commit-all>"
        );
    }

    #[test]
    fn push_jobs_carry_each_devices_result() {
        let body = r#"<job><id>12</id><type>CommitAll</type><status>FIN</status><result>OK</result><tenq>t</tenq><tfin>t2</tfin><progress>100</progress><dgname>dg1</dgname>
          <devices>
            <entry><serial-no>0001</serial-no><devicename>fw-a</devicename><status>commit succeeded with warnings</status><result>OK</result><tstart>t</tstart><tfin>t</tfin><details><msg><errors/><warnings><line>rule shadowed</line></warnings></msg></details></entry>
            <entry><serial-no>0002</serial-no><devicename>fw-b</devicename><status/><result>FAIL</result><tstart>t</tstart><details><msg><errors><line>Validation Error:</line><line> rulebase -> security -> rules -> r -> from 'zX' is not a valid reference</line></errors></msg></details></entry>
            <entry><serial-no>0003</serial-no><devicename>fw-c</devicename><result>PEND</result><tstart>t</tstart></entry>
          </devices></job>"#;
        let job = Job::from_node(&XmlNode::parse(body).expect("valid")).expect("parses");
        assert_eq!(job.devices.len(), 3);
        let [a, b, c] = &job.devices[..] else {
            panic!("three devices")
        };
        assert_eq!(
            (a.serial.as_str(), &a.result, a.warnings.len()),
            ("0001", &JobResult::Ok, 1)
        );
        assert_eq!(b.result, JobResult::Fail);
        assert_eq!(b.status, None);
        assert!(b.errors[1].contains("is not a valid reference"), "{b:?}");
        assert_eq!(c.result, JobResult::Pending);
    }

    #[test]
    fn device_groups_report_connection_and_sync_status() {
        let result = XmlNode::parse(
            r#"<result><devicegroups>
              <entry name="dg1"><devices>
                <entry name="0001"><serial>0001</serial><connected>yes</connected><hostname>fw-a</hostname><shared-policy-status>In Sync</shared-policy-status></entry>
                <entry name="0002"><serial>0002</serial><connected>no</connected><hostname>fw-b</hostname><shared-policy-status>Out of Sync</shared-policy-status></entry>
                <entry name="0003"><serial>0003</serial><connected>yes</connected><vsys><entry name="vsys1"><shared-policy-status>In Sync</shared-policy-status></entry><entry name="vsys2"><shared-policy-status>Out of Sync</shared-policy-status></entry></vsys></entry>
              </devices></entry>
              <entry name="empty"/>
            </devicegroups></result>"#,
        )
        .expect("valid");
        let groups = parse_device_groups(&result).expect("parses");
        assert_eq!(groups.len(), 2);
        let devices = &groups[0].devices;
        assert_eq!(devices[0].policy, PolicySync::InSync);
        assert!(devices[0].connected);
        assert_eq!(devices[1].policy, PolicySync::OutOfSync);
        assert!(!devices[1].connected);
        assert_eq!(
            devices[2].policy,
            PolicySync::OutOfSync,
            "one vsys out of sync is out of sync"
        );
        assert!(groups[1].devices.is_empty());
    }
}
