//! One canonical form for a topology, whichever source it came from.
//!
//! Lists are sorted by id, a group's permissions with the same protocol and ports are merged
//! (AWS merges them, moto may not), and a route to an instance's interface names the instance
//! too, as AWS reports it (moto names only the target the route was created with). Nothing
//! here adds or drops a source, an address or a route: the form changes, never the meaning.

use crate::source::ScopeOptions;
use model::{EniId, IngressPermission, Route, RouteDestination, RouteTargets, Topology};
use std::collections::BTreeSet;

/// Whether a route's target is the firewall: the instance, one of its interfaces (moto shows
/// only the one the route was created with, AWS both), or a configured extra target.
pub fn targets_firewall(
    targets: &RouteTargets,
    options: &ScopeOptions,
    firewall_enis: &BTreeSet<EniId>,
) -> bool {
    let by_instance = options
        .firewall_instance_id
        .as_ref()
        .is_some_and(|fw| targets.instance_id.as_ref() == Some(fw));
    let by_interface = targets
        .network_interface_id
        .as_ref()
        .is_some_and(|eni| firewall_enis.contains(eni));
    let by_extra = targets
        .ids()
        .any(|id| options.extra_route_targets.iter().any(|extra| extra == id));
    by_instance || by_interface || by_extra
}

/// The Gateway Load Balancer endpoints a route names. A `vpce-…` target of a CIDR route is
/// always one: gateway endpoints (S3, DynamoDB) route prefix lists, interface endpoints are
/// never route targets.
pub(crate) fn gwlb_endpoint_targets(route: &Route) -> impl Iterator<Item = &str> {
    let cidr = matches!(route.destination, RouteDestination::Cidr(_));
    route
        .targets
        .ids()
        .filter(move |id| cidr && id.starts_with("vpce-"))
}

/// Fill `instance_id` on routes to an interface attached to an instance the topology knows.
pub(crate) fn complete_route_targets(topology: &mut Topology) {
    let owners: Vec<(EniId, model::InstanceId)> = topology
        .network_interfaces
        .iter()
        .filter_map(|eni| Some((eni.id.clone(), eni.attached_instance()?.clone())))
        .collect();
    for table in &mut topology.route_tables {
        for route in &mut table.routes {
            let targets = &mut route.targets;
            if targets.instance_id.is_some() {
                continue;
            }
            if let Some(eni) = &targets.network_interface_id {
                targets.instance_id = owners
                    .iter()
                    .find(|(id, _)| id == eni)
                    .map(|(_, instance)| instance.clone());
            }
        }
    }
}

/// Sort every list into a stable order and merge permissions that differ only in sources.
pub(crate) fn sort(topology: &mut Topology) {
    topology.vpcs.sort_by(|a, b| a.id.cmp(&b.id));
    topology.subnets.sort_by(|a, b| a.id.cmp(&b.id));
    for subnet in &mut topology.subnets {
        subnet.ipv6_cidrs.sort();
    }
    topology.route_tables.sort_by(|a, b| a.id.cmp(&b.id));
    for table in &mut topology.route_tables {
        table.associations.sort_by(|a, b| a.id.cmp(&b.id));
        table
            .routes
            .sort_by_key(|route| destination_key(&route.destination));
    }
    topology.instances.sort_by(|a, b| a.id.cmp(&b.id));
    topology.network_interfaces.sort_by(|a, b| a.id.cmp(&b.id));
    for eni in &mut topology.network_interfaces {
        eni.security_groups.sort();
        eni.security_groups.dedup();
    }
    topology.security_groups.sort_by(|a, b| a.id.cmp(&b.id));
    for group in &mut topology.security_groups {
        group.ingress = merge_permissions(std::mem::take(&mut group.ingress));
    }
    topology.vpc_endpoints.sort_by(|a, b| a.id.cmp(&b.id));
    for endpoint in &mut topology.vpc_endpoints {
        endpoint.subnet_ids.sort();
    }
    topology.absent_vpc_endpoints.sort();
    topology.absent_vpc_endpoints.dedup();
    topology.prefix_lists.sort_by(|a, b| a.id.cmp(&b.id));
    for list in &mut topology.prefix_lists {
        list.entries.sort_by_key(|a| a.cidr);
    }
    topology.absent_instances.sort();
    topology.absent_instances.dedup();
    topology.absent_network_interfaces.sort();
    topology.absent_network_interfaces.dedup();
    topology.absent_addresses.sort();
    topology.absent_addresses.dedup();
    topology.absent_security_groups.sort();
    topology.absent_security_groups.dedup();
}

fn destination_key(destination: &RouteDestination) -> (u8, String) {
    match destination {
        RouteDestination::Cidr(net) => (0, net.to_string()),
        RouteDestination::PrefixList(id) => (1, id.to_string()),
        RouteDestination::Unknown => (2, String::new()),
    }
}

/// One permission per protocol/port match, sources sorted and de-duplicated.
fn merge_permissions(permissions: Vec<IngressPermission>) -> Vec<IngressPermission> {
    let mut merged: Vec<IngressPermission> = Vec::with_capacity(permissions.len());
    for permission in permissions {
        match merged
            .iter_mut()
            .find(|p| p.protocol == permission.protocol)
        {
            Some(existing) => {
                existing.ipv4_ranges.extend(permission.ipv4_ranges);
                existing.ipv6_ranges.extend(permission.ipv6_ranges);
                existing.prefix_lists.extend(permission.prefix_lists);
                existing.groups.extend(permission.groups);
            }
            None => merged.push(permission),
        }
    }
    for permission in &mut merged {
        sort_dedup_by_key(&mut permission.ipv4_ranges, |r| {
            (r.cidr, r.description.clone())
        });
        sort_dedup_by_key(&mut permission.ipv6_ranges, |r| {
            (r.cidr, r.description.clone())
        });
        sort_dedup_by_key(&mut permission.prefix_lists, |r| {
            (r.id.clone(), r.description.clone())
        });
        sort_dedup_by_key(&mut permission.groups, |r| {
            (r.group_id.clone(), r.user_id.clone())
        });
    }
    merged.sort_by_key(|p| p.protocol);
    merged
}

fn sort_dedup_by_key<T, K: Ord>(items: &mut Vec<T>, key: impl Fn(&T) -> K) {
    items.sort_by_key(&key);
    items.dedup_by(|a, b| key(a) == key(b));
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{CidrSource, InstanceId, PortRange, Protocol};

    fn options() -> ScopeOptions {
        ScopeOptions {
            firewall_instance_id: Some(InstanceId::new("i-fw")),
            extra_route_targets: vec!["vpce-gwlb".into()],
        }
    }

    #[test]
    fn route_to_firewall_by_instance_interface_or_extra_target() {
        let enis: BTreeSet<EniId> = [EniId::new("eni-fw1")].into();
        let by_instance = RouteTargets {
            instance_id: Some(InstanceId::new("i-fw")),
            ..RouteTargets::default()
        };
        let by_eni = RouteTargets {
            network_interface_id: Some(EniId::new("eni-fw1")),
            ..RouteTargets::default()
        };
        let by_endpoint = RouteTargets {
            gateway_id: Some("vpce-gwlb".into()),
            ..RouteTargets::default()
        };
        let elsewhere = RouteTargets {
            gateway_id: Some("igw-1".into()),
            network_interface_id: Some(EniId::new("eni-other")),
            ..RouteTargets::default()
        };
        assert!(targets_firewall(&by_instance, &options(), &enis));
        assert!(targets_firewall(&by_eni, &options(), &enis));
        assert!(targets_firewall(&by_endpoint, &options(), &enis));
        assert!(!targets_firewall(&elsewhere, &options(), &enis));
    }

    #[test]
    fn permissions_with_same_ports_merge_and_sources_dedup() {
        let tcp = |cidr: &str| IngressPermission {
            protocol: Protocol::Tcp {
                ports: PortRange::single(443),
            },
            ipv4_ranges: vec![CidrSource {
                cidr: cidr.parse().unwrap(),
                description: None,
            }],
            ipv6_ranges: vec![],
            prefix_lists: vec![],
            groups: vec![],
        };
        let merged = merge_permissions(vec![
            tcp("10.0.0.0/8"),
            IngressPermission {
                protocol: Protocol::All,
                ..tcp("192.0.2.0/24")
            },
            tcp("0.0.0.0/0"),
            tcp("10.0.0.0/8"),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].protocol, Protocol::All);
        let cidrs: Vec<String> = merged[1]
            .ipv4_ranges
            .iter()
            .map(|r| r.cidr.to_string())
            .collect();
        assert_eq!(cidrs, ["0.0.0.0/0", "10.0.0.0/8"]);
    }
}
