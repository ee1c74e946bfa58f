//! Which network interfaces are behind the firewall ("in scope"), and for which IP family.
//!
//! An interface is in scope for a family when it is attached to an instance that is pending or
//! running, is not one of the firewall's own, and its subnet's effective route table (the
//! explicitly associated one, else the VPC's main table) sends that family's default route to
//! the firewall instance, one of its interfaces, or a configured extra target. A route may name
//! the firewall only by instance id or only by interface id; both count. A blackhole route to
//! the firewall (stopped) still counts, so a firewall restart changes no rule. This module reads the
//! topology only; it never decides what to allow.

use crate::sources::IpFamily;
use ipnet::IpNet;
use model::{
    EniId, InstanceId, NetworkInterface, RouteDestination, RouteTable, Settings, SubnetId,
    Topology, VpcId,
};
use std::collections::{HashMap, HashSet};
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

/// Route tables indexed the way scope resolution asks for them.
#[derive(Debug)]
pub struct RouteIndex<'a> {
    explicit: HashMap<&'a SubnetId, &'a RouteTable>,
    main: HashMap<&'a VpcId, &'a RouteTable>,
}

impl<'a> RouteIndex<'a> {
    pub fn new(topology: &'a Topology) -> Self {
        let mut explicit = HashMap::new();
        let mut main = HashMap::new();
        for table in &topology.route_tables {
            for association in &table.associations {
                if let Some(subnet) = &association.subnet_id {
                    explicit.insert(subnet, table);
                }
            }
            if table.is_main() {
                main.insert(&table.vpc_id, table);
            }
        }
        Self { explicit, main }
    }

    /// The explicitly associated table, else the VPC's main table.
    pub fn effective(&self, subnet: &SubnetId, vpc: &VpcId) -> Option<&'a RouteTable> {
        self.explicit
            .get(subnet)
            .or_else(|| self.main.get(vpc))
            .copied()
    }

    /// Whether `subnet` has its own association (and so ignores the main table).
    pub fn has_explicit(&self, subnet: &SubnetId) -> bool {
        self.explicit.contains_key(subnet)
    }
}

/// What "through the firewall" means for route targets.
#[derive(Debug)]
pub struct FirewallTargets<'a> {
    instance: &'a InstanceId,
    ids: HashSet<&'a str>,
}

impl<'a> FirewallTargets<'a> {
    pub fn new(topology: &'a Topology, settings: &'a Settings) -> Self {
        let firewall_enis = topology
            .network_interfaces
            .iter()
            .filter(|n| n.attached_instance() == Some(&settings.firewall_instance_id))
            .map(|n| n.id.as_str());
        let extra = settings.extra_route_targets.iter().map(String::as_str);
        Self {
            instance: &settings.firewall_instance_id,
            ids: firewall_enis.chain(extra).collect(),
        }
    }

    fn is_firewall_eni(&self, eni: &EniId) -> bool {
        self.ids.contains(eni.as_str())
    }

    /// Whether `table` sends `family`'s default route through the firewall.
    pub fn routes_through(&self, table: &RouteTable, family: IpFamily) -> bool {
        table.routes.iter().any(|route| {
            let default_of_family = match &route.destination {
                RouteDestination::Cidr(net @ IpNet::V4(_)) => {
                    family == IpFamily::V4 && net.prefix_len() == 0
                }
                RouteDestination::Cidr(net @ IpNet::V6(_)) => {
                    family == IpFamily::V6 && net.prefix_len() == 0
                }
                _ => false,
            };
            // A blackhole route to the firewall (it is stopped) still sends the subnet through
            // it once it is back: keeping its rules avoids deleting and recreating every rule
            // across a firewall restart, and rules on a stopped firewall allow nothing.
            default_of_family
                && (route.targets.instance_id.as_ref() == Some(self.instance)
                    || route.targets.ids().any(|id| self.ids.contains(id)))
        })
    }
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
        if topology.subnet(&eni.subnet_id).is_none() {
            scoped.incomplete.push(incomplete(format!(
                "its subnet {} is not in the topology read",
                eni.subnet_id
            )));
            continue;
        }
        let Some(table) = routes.effective(&eni.subnet_id, &eni.vpc_id) else {
            scoped.incomplete.push(incomplete(format!(
                "no route table of subnet {} (nor a main table of {}) is in the topology read",
                eni.subnet_id, eni.vpc_id
            )));
            continue;
        };
        let ipv4 = firewall.routes_through(table, IpFamily::V4);
        let ipv6 = firewall.routes_through(table, IpFamily::V6);
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
mod tests {
    use super::*;
    use model::{
        Attachment, Instance, InstanceState, Route, RouteState, RouteTableAssociation, RouteTargets,
    };

    fn topology(routes: Vec<Route>) -> Topology {
        let eni = |id: &str, instance: &str| NetworkInterface {
            id: id.into(),
            vpc_id: "vpc-1".into(),
            subnet_id: "subnet-1".into(),
            attachment: Some(Attachment {
                instance_id: instance.into(),
                attachment_id: None,
                device_index: Some(0),
            }),
            private_ipv4: vec!["10.0.0.5".parse().unwrap()],
            ipv6: vec!["2600::5".parse().unwrap()],
            security_groups: vec![],
        };
        let instance = |id: &str| Instance {
            id: id.into(),
            state: InstanceState::Running,
            vpc_id: None,
        };
        Topology {
            vpcs: vec![model::Vpc {
                id: "vpc-1".into(),
                cidr_blocks: vec![],
            }],
            subnets: vec![model::Subnet {
                id: "subnet-1".into(),
                vpc_id: "vpc-1".into(),
                ipv4_cidr: None,
                ipv6_cidrs: vec![],
            }],
            route_tables: vec![RouteTable {
                id: "rtb-1".into(),
                vpc_id: "vpc-1".into(),
                associations: vec![RouteTableAssociation {
                    id: "rtbassoc-1".into(),
                    main: true,
                    subnet_id: None,
                    gateway_id: None,
                }],
                routes,
            }],
            instances: vec![instance("i-1"), instance("i-fw")],
            network_interfaces: vec![eni("eni-1", "i-1"), eni("eni-fw", "i-fw")],
            ..Topology::default()
        }
    }

    fn default_route(cidr: &str, state: RouteState) -> Route {
        Route {
            destination: RouteDestination::Cidr(cidr.parse().unwrap()),
            targets: RouteTargets {
                instance_id: Some("i-fw".into()),
                ..RouteTargets::default()
            },
            state,
        }
    }

    fn in_scope(routes: Vec<Route>) -> Vec<(String, Vec<IpAddr>)> {
        let settings = Settings::new("i-fw", "b", "u", "t").unwrap();
        let topology = topology(routes);
        in_scope_enis(&topology, &settings)
            .in_scope
            .iter()
            .map(|e| (e.eni.id.to_string(), e.addresses().collect()))
            .collect()
    }

    #[test]
    fn each_family_needs_its_own_default_route() {
        let v6_only = in_scope(vec![default_route("::/0", RouteState::Active)]);
        assert_eq!(
            v6_only,
            [("eni-1".into(), vec!["2600::5".parse().unwrap()])]
        );
        let v4_only = in_scope(vec![default_route("0.0.0.0/0", RouteState::Active)]);
        assert_eq!(
            v4_only,
            [("eni-1".into(), vec!["10.0.0.5".parse().unwrap()])]
        );
    }

    #[test]
    fn blackhole_routes_count_non_default_routes_do_not_and_the_firewall_is_never_a_destination() {
        let stopped_firewall = in_scope(vec![default_route("0.0.0.0/0", RouteState::Blackhole)]);
        assert_eq!(stopped_firewall.len(), 1);
        assert!(in_scope(vec![default_route("0.0.0.0/1", RouteState::Active)]).is_empty());
        let both = in_scope(vec![
            default_route("0.0.0.0/0", RouteState::Active),
            default_route("::/0", RouteState::Active),
        ]);
        assert_eq!(both.len(), 1, "the firewall's own interface is excluded");
        assert_eq!(both[0].1.len(), 2);
    }
}
