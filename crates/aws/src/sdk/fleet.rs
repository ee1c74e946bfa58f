//! Discovering a fleet of firewalls: the running VM-Series instances that carry a tag (or
//! belong to an Auto Scaling group), each with its management address.
//!
//! One paginated `DescribeInstances` call with filters, counted like every other call. It runs
//! on every invocation, never cached: an instance the group launched a minute ago is a member
//! of the next run's fleet. It only reads.

use super::SdkInventory;
use crate::error::InventoryError;
use aws_sdk_ec2::types::Filter;
use std::fmt;
use std::net::Ipv4Addr;

/// The largest page `DescribeInstances` allows.
const PAGE: i32 = 1000;

/// Which instances form the fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetSelector {
    /// Instances carrying the tag `key=value`.
    Tag { key: String, value: String },
    /// Members of an Auto Scaling group (the tag `aws:autoscaling:groupName` it sets).
    AutoScalingGroup(String),
}

impl FleetSelector {
    fn tag(&self) -> (&str, &str) {
        match self {
            FleetSelector::Tag { key, value } => (key, value),
            FleetSelector::AutoScalingGroup(name) => ("aws:autoscaling:groupName", name),
        }
    }
}

impl fmt::Display for FleetSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FleetSelector::Tag { key, value } => write!(f, "tag {key}={value}"),
            FleetSelector::AutoScalingGroup(name) => {
                write!(
                    f,
                    "Auto Scaling group {name} (tag aws:autoscaling:groupName={name})"
                )
            }
        }
    }
}

/// A fleet to discover: which instances, and which interface is their management port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetQuery {
    pub selector: FleetSelector,
    /// The device index of the management interface: 0 normally; 1 on a VM-Series behind a
    /// Gateway Load Balancer with interface swap (the data port is then eth0).
    pub device_index: i32,
}

/// One running member of the fleet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FleetMember {
    pub instance_id: String,
    /// The private IPv4 address of the management interface; `None` when the instance has no
    /// interface at that device index (yet: a lifecycle hook may still be attaching it).
    pub management_address: Option<Ipv4Addr>,
}

impl SdkInventory {
    /// The running instances `query` selects, sorted by instance id. No instance at all is an
    /// error: a fleet that vanished (a wrong tag, a group scaled to zero) must not look like a
    /// run with nothing to do.
    pub async fn discover_fleet(
        &self,
        query: &FleetQuery,
    ) -> Result<Vec<FleetMember>, InventoryError> {
        const OP: &str = "DescribeInstances";
        let (key, value) = query.selector.tag();
        let filters = vec![
            Filter::builder()
                .name(format!("tag:{key}"))
                .values(value)
                .build(),
            Filter::builder()
                .name("instance-state-name")
                .values("running")
                .build(),
        ];
        let mut pages = self
            .source
            .ec2
            .describe_instances()
            .set_filters(Some(filters))
            .max_results(PAGE)
            .into_paginator()
            .send();
        let mut members = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| InventoryError::aws(OP, e))?;
            for instance in page.reservations().iter().flat_map(|r| r.instances()) {
                let id = instance
                    .instance_id()
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| {
                        InventoryError::malformed(OP, "an instance", "without InstanceId")
                    })?;
                let management = instance.network_interfaces().iter().find(|eni| {
                    eni.attachment().and_then(|a| a.device_index()) == Some(query.device_index)
                });
                let management_address = match management.and_then(|eni| eni.private_ip_address()) {
                    Some(text) => Some(text.parse::<Ipv4Addr>().map_err(|_| {
                        InventoryError::malformed(
                            OP,
                            id,
                            format!("with unparsable private address {text:?}"),
                        )
                    })?),
                    None => None,
                };
                members.push(FleetMember {
                    instance_id: id.to_owned(),
                    management_address,
                });
            }
        }
        if members.is_empty() {
            return Err(InventoryError::EmptyFleet {
                selector: query.selector.to_string(),
            });
        }
        members.sort();
        Ok(members)
    }
}
