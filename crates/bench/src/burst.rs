//! The burst scenario: 20 instances, 5 security groups, and 50 CloudTrail events (15 starts,
//! 15 stops, 10 authorizes, 10 revokes: half of them close a port opened during the burst,
//! half one each group had before) in a fixed order. Each event is a change to the
//! topology plus the record AWS would have logged for it; both strategies see the same ones.
//!
//! Pure data: nothing here talks to a firewall.

use crate::topology::{
    add_group, add_instance, behind_firewall, group_id, group_mut, instance_id, permission,
    set_state, tcp,
};
use model::{GroupId, IngressPermission, InstanceId, InstanceState, PortRange, Protocol, Topology};
use serde_json::{Value, json};

pub const INSTANCES: u32 = 20;
pub const GROUPS: u32 = 5;
pub const EVENTS: usize = 50;
/// Instances `0..INITIALLY_RUNNING` run before the burst; the rest are stopped.
const INITIALLY_RUNNING: u32 = 14;

/// What changed in AWS.
#[derive(Debug, Clone)]
pub enum Change {
    Start(InstanceId),
    Stop(InstanceId),
    Authorize(GroupId, IngressPermission),
    Revoke(GroupId, IngressPermission),
}

#[derive(Debug, Clone)]
pub struct BurstEvent {
    pub sequence: usize,
    pub change: Change,
}

#[derive(Debug, Clone)]
pub struct Burst {
    /// AWS before the first event.
    pub initial: Topology,
    pub events: Vec<BurstEvent>,
}

impl Burst {
    pub fn generate() -> Self {
        let initial = initial_topology();
        let mut running: Vec<u32> = (0..INITIALLY_RUNNING).collect();
        let mut stopped: Vec<u32> = (INITIALLY_RUNNING..INSTANCES).collect();
        let mut authorized: Vec<(GroupId, IngressPermission)> = Vec::new();
        let mut events = Vec::with_capacity(EVENTS);
        for sequence in 0..EVENTS {
            let start = match sequence % 5 {
                0 => Some(true),
                2 => Some(false),
                4 => Some(sequence / 5 % 2 == 0),
                _ => None,
            };
            let change = match (sequence % 5, start) {
                (_, Some(true)) => Change::Start(instance_id(take(&mut stopped, sequence))),
                (_, Some(false)) => Change::Stop(instance_id(take(&mut running, sequence))),
                (1, None) => {
                    let group = group_id((sequence / 5) as u32 % GROUPS);
                    let port = 9000 + sequence as u16;
                    let opened = permission(tcp(port), &[format!("192.0.2.{sequence}/32")]);
                    authorized.push((group.clone(), opened.clone()));
                    Change::Authorize(group, opened)
                }
                _ if sequence / 5 % 2 == 0 => {
                    let (group, closed) = authorized.remove(0);
                    Change::Revoke(group, closed)
                }
                _ => {
                    // Every other revoke closes a port the group had before the burst.
                    let g = (sequence / 10) as u32 % GROUPS;
                    Change::Revoke(group_id(g), ssh_from_office(g))
                }
            };
            match &change {
                Change::Start(id) => running.push(index_of(id)),
                Change::Stop(id) => stopped.push(index_of(id)),
                _ => {}
            }
            events.push(BurstEvent { sequence, change });
        }
        Self { initial, events }
    }

    /// AWS after events `0..=last`.
    pub fn topology_after(&self, last: usize) -> Topology {
        let mut topology = self.initial.clone();
        for event in &self.events[..=last] {
            event.apply(&mut topology);
        }
        topology
    }

    /// AWS after the whole burst.
    pub fn final_topology(&self) -> Topology {
        self.topology_after(self.events.len() - 1)
    }

    /// The 50 events as one SQS batch of EventBridge events: one Lambda invocation.
    pub fn sqs_batch(&self) -> Value {
        let records: Vec<Value> = self
            .events
            .iter()
            .map(|event| {
                json!({
                    "messageId": format!("5fea7756-0ea4-451a-a703-{:012x}", event.sequence),
                    "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
                    "body": event.eventbridge().to_string(),
                    "attributes": {"ApproximateReceiveCount": "1"},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:111122223333:palosync-events",
                    "awsRegion": "us-east-1"
                })
            })
            .collect();
        json!({ "Records": records })
    }

    #[cfg(test)]
    pub fn count(&self, name: &str) -> usize {
        self.events
            .iter()
            .filter(|e| e.event_name() == name)
            .count()
    }
}

/// Removes a pseudo-randomly chosen (but fixed) element.
fn take(pool: &mut Vec<u32>, sequence: usize) -> u32 {
    let at = (sequence * 7 + 3) % pool.len();
    pool.remove(at)
}

fn index_of(id: &InstanceId) -> u32 {
    let hex = id.as_str().trim_start_matches("i-0");
    u32::from_str_radix(hex, 16).expect("generated instance ids are hex") - 1
}

impl BurstEvent {
    pub fn apply(&self, topology: &mut Topology) {
        match &self.change {
            Change::Start(id) => set_state(topology, id, InstanceState::Running),
            Change::Stop(id) => set_state(topology, id, InstanceState::Stopped),
            Change::Authorize(group, opened) => {
                group_mut(topology, group).ingress.push(opened.clone());
            }
            Change::Revoke(group, closed) => {
                group_mut(topology, group).ingress.retain(|p| p != closed);
            }
        }
    }

    pub fn event_name(&self) -> &'static str {
        match self.change {
            Change::Start(_) => "StartInstances",
            Change::Stop(_) => "StopInstances",
            Change::Authorize(..) => "AuthorizeSecurityGroupIngress",
            Change::Revoke(..) => "RevokeSecurityGroupIngress",
        }
    }

    /// `requestParameters` as CloudTrail logs them.
    fn request(&self) -> Value {
        match &self.change {
            Change::Start(id) | Change::Stop(id) => {
                json!({"instancesSet": {"items": [{"instanceId": id.as_str()}]}})
            }
            Change::Authorize(group, p) | Change::Revoke(group, p) => {
                json!({"groupId": group.as_str(), "ipPermissions": {"items": [ip_permission(p)]}})
            }
        }
    }

    /// The EventBridge "AWS API Call via CloudTrail" event.
    pub fn eventbridge(&self) -> Value {
        let principal = if matches!(self.change, Change::Start(_) | Change::Stop(_)) {
            "alice"
        } else {
            "bob"
        };
        palosync::demo::api_call_event(self.event_name(), principal, self.sequence, self.request())
    }

    /// The CloudTrail record itself (what a log file holds and what the original read).
    pub fn cloudtrail_record(&self) -> Value {
        self.eventbridge()["detail"].clone()
    }
}

fn ip_permission(p: &IngressPermission) -> Value {
    let (name, ports) = match p.protocol {
        Protocol::Tcp { ports } => ("tcp", ports),
        Protocol::Udp { ports } => ("udp", ports),
        _ => ("-1", PortRange::ALL),
    };
    let ranges: Vec<Value> = p
        .ipv4_ranges
        .iter()
        .map(|r| json!({"cidrIp": r.cidr.to_string()}))
        .collect();
    json!({"ipProtocol": name, "fromPort": ports.from, "toPort": ports.to,
           "ipRanges": {"items": ranges}})
}

fn ssh_from_office(group: u32) -> IngressPermission {
    permission(tcp(22), &[format!("203.0.113.{}/28", group * 16)])
}

/// Five groups of four permissions each (App-ID ports, a custom TCP port from two networks, a
/// UDP port that needs a service object); every instance in one or two groups.
fn initial_topology() -> Topology {
    let mut topology = behind_firewall();
    for g in 0..GROUPS {
        let mut ingress = vec![
            ssh_from_office(g),
            permission(
                tcp(8000 + g as u16),
                &[
                    "198.51.100.0/24".to_owned(),
                    format!("192.0.2.{}/32", 200 + g),
                ],
            ),
            permission(
                Protocol::Udp {
                    ports: PortRange::single(1194),
                },
                &[format!("198.18.{g}.0/24")],
            ),
        ];
        if g < 2 {
            ingress.push(permission(tcp(443), &["0.0.0.0/0".to_owned()]));
        }
        add_group(&mut topology, g, ingress);
    }
    for i in 0..INSTANCES {
        let state = if i < INITIALLY_RUNNING {
            InstanceState::Running
        } else {
            InstanceState::Stopped
        };
        let mut groups = vec![i % GROUPS];
        if i % 2 == 0 {
            groups.push((i + 2) % GROUPS);
        }
        add_instance(&mut topology, i, state, 1 + i % 2, &groups);
    }
    topology
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burst_has_the_mix_the_issue_names() {
        let burst = Burst::generate();
        assert_eq!(burst.events.len(), 50);
        assert_eq!(burst.count("StartInstances"), 15);
        assert_eq!(burst.count("StopInstances"), 15);
        assert_eq!(burst.count("AuthorizeSecurityGroupIngress"), 10);
        assert_eq!(burst.count("RevokeSecurityGroupIngress"), 10);
    }

    #[test]
    fn starts_only_start_stopped_instances_and_stops_only_running_ones() {
        let burst = Burst::generate();
        let mut topology = burst.initial.clone();
        for event in &burst.events {
            let state = |t: &Topology, id: &InstanceId| t.instance(id).map(|i| i.state);
            match &event.change {
                Change::Start(id) => assert_eq!(state(&topology, id), Some(InstanceState::Stopped)),
                Change::Stop(id) => assert_eq!(state(&topology, id), Some(InstanceState::Running)),
                Change::Revoke(group, closed) => assert!(
                    topology
                        .security_group(group)
                        .is_some_and(|g| g.ingress.contains(closed))
                ),
                Change::Authorize(..) => {}
            }
            event.apply(&mut topology);
        }
    }

    #[test]
    fn every_event_parses_to_a_key_and_the_batch_to_fifty_triggers() {
        let burst = Burst::generate();
        let payload = burst.sqs_batch().to_string();
        let ingest = events::parse_payload(payload.as_bytes(), &events::EventFilter::any())
            .expect("the batch parses");
        assert_eq!(ingest.triggers.len(), 50, "skips: {:?}", ingest.skips);
        assert!(ingest.failed_message_ids().next().is_none());
    }
}
