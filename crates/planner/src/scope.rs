//! Which network interfaces are behind the firewall ("in scope"), and for which IP family.
//!
//! An interface is in scope for a family when it is attached to an instance that is pending or
//! running, is not one of the firewall's own, and its subnet's traffic of that family passes the
//! firewall: its effective route table (the explicitly associated one, else the VPC's main
//! table) sends the family's default route to the firewall instance, one of its interfaces, a
//! configured extra target or a Gateway Load Balancer endpoint of a configured service; or the
//! internet gateway's edge table sends the subnet's block to one of those ([`routes`] decides,
//! in one place). A route may name the firewall only by instance id or only by interface id;
//! both count. A blackhole route to the firewall (stopped) still counts, so a firewall restart
//! changes no rule. This module reads the topology only; it never decides what to allow.

mod routes;

pub use routes::{FamilyScope, FirewallTargets, RouteIndex, Verdict};

use crate::sources::IpFamily;
use model::{InstanceId, NetworkInterface, Settings, Topology};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An interface whose addresses of the listed families are reached through the firewall.
#[derive(Debug, Clone, Copy)]
pub struct InScopeEni<'a> {
    pub eni: &'a NetworkInterface,
    pub instance: &'a InstanceId,
    pub ipv4: bool,
    pub ipv6: bool,
}

impl<'a> InScopeEni<'a> {
    /// The destination addresses: every private address of an in-scope family.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + 'a {
        let v4: &'a [Ipv4Addr] = if self.ipv4 {
            &self.eni.private_ipv4
        } else {
            &[]
        };
        let v6: &'a [Ipv6Addr] = if self.ipv6 { &self.eni.ipv6 } else { &[] };
        v4.iter()
            .map(|a| IpAddr::V4(*a))
            .chain(v6.iter().map(|a| IpAddr::V6(*a)))
    }
}

/// Every address of an interface, in scope or not.
pub fn all_addresses(eni: &NetworkInterface) -> impl Iterator<Item = IpAddr> + '_ {
    let v4 = eni.private_ipv4.iter().map(|a| IpAddr::V4(*a));
    v4.chain(eni.ipv6.iter().map(|a| IpAddr::V6(*a)))
}

/// An interface that may be behind the firewall, but whose VPC, subnet, route table or
/// instance the topology read lacks: whether it is in scope, and which sources are internal to
/// it, is unknown. It gets no allowance, and the allowances it has are kept as they are.
#[derive(Debug, Clone)]
pub struct IncompleteEni<'a> {
    pub eni: &'a NetworkInterface,
    pub reason: String,
}

/// The interfaces of a topology, as scope sees them.
#[derive(Debug, Default)]
pub struct ScopedEnis<'a> {
    /// Every in-scope interface, in topology order.
    pub in_scope: Vec<InScopeEni<'a>>,
    /// Interfaces the topology cannot place (see [`IncompleteEni`]).
    pub incomplete: Vec<IncompleteEni<'a>>,
}

/// Every interface of the topology that is in scope, and those whose scope cannot be decided
/// from what was read (fail closed: never an allowance for them).
pub fn in_scope_enis<'a>(topology: &'a Topology, settings: &'a Settings) -> ScopedEnis<'a> {
    let routes = RouteIndex::new(topology);
    let firewall = FirewallTargets::new(topology, settings);
    let instances: HashMap<_, _> = topology.instances.iter().map(|i| (&i.id, i)).collect();
    let mut scoped = ScopedEnis::default();
    for eni in &topology.network_interfaces {
        let Some(instance_id) = eni.attached_instance() else {
            continue;
        };
        if instance_id == &settings.firewall_instance_id || firewall.is_firewall_eni(&eni.id) {
            continue;
        }
        let incomplete = |reason: String| IncompleteEni { eni, reason };
        let Some(instance) = instances.get(instance_id) else {
            if !topology.absent_instances.contains(instance_id) {
                scoped.incomplete.push(incomplete(format!(
                    "its instance {instance_id} is not in the topology read"
                )));
            }
            continue;
        };
        if !instance.state.receives_traffic() {
            continue;
        }
        if topology.vpc(&eni.vpc_id).is_none() {
            scoped.incomplete.push(incomplete(format!(
                "its VPC {} is not in the topology read, so which sources are internal is unknown",
                eni.vpc_id
            )));
            continue;
        }
        let Some(subnet) = topology.subnet(&eni.subnet_id) else {
            scoped.incomplete.push(incomplete(format!(
                "its subnet {} is not in the topology read",
                eni.subnet_id
            )));
            continue;
        };
        let (Some(v4), Some(v6)) = (
            firewall.subnet_scope(&routes, subnet, IpFamily::V4),
            firewall.subnet_scope(&routes, subnet, IpFamily::V6),
        ) else {
            scoped.incomplete.push(incomplete(format!(
                "no route table of subnet {} (nor a main table of {}) is in the topology read",
                eni.subnet_id, eni.vpc_id
            )));
            continue;
        };
        let addressed = [
            (&v4, !eni.private_ipv4.is_empty()),
            (&v6, !eni.ipv6.is_empty()),
        ];
        let unknown = addressed
            .iter()
            .find(|(s, has)| *has && s.verdict == Verdict::Unknown);
        if let Some((unknown, _)) = unknown {
            scoped.incomplete.push(incomplete(unknown.why.clone()));
            continue;
        }
        let ipv4 = v4.verdict == Verdict::Through;
        let ipv6 = v6.verdict == Verdict::Through;
        if ipv4 || ipv6 {
            scoped.in_scope.push(InScopeEni {
                eni,
                instance: instance_id,
                ipv4,
                ipv6,
            });
        }
    }
    scoped
}

#[cfg(test)]
mod tests;
