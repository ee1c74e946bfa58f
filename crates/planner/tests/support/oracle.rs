//! An independent, deliberately naive statement of what is desired, written from DESIGN.md with
//! plain loops, to check the planner against something other than itself. Only the service
//! mapping (covered by its own table tests) is shared.

use ipnet::IpNet;
use model::{RouteDestination, Settings, Topology};
use planner::services::service_for;
use planner::{Allowance, Source};
use std::collections::BTreeSet;
use std::net::IpAddr;

pub fn desired(topology: &Topology, settings: &Settings) -> BTreeSet<Allowance> {
    let mut out = BTreeSet::new();
    let firewall_enis: Vec<&str> = topology
        .network_interfaces
        .iter()
        .filter(|n| n.attached_instance() == Some(&settings.firewall_instance_id))
        .map(|n| n.id.as_str())
        .collect();
    for eni in &topology.network_interfaces {
        let Some(instance_id) = eni.attached_instance() else {
            continue;
        };
        if *instance_id == settings.firewall_instance_id {
            continue;
        }
        let Some(instance) = topology.instances.iter().find(|i| &i.id == instance_id) else {
            continue;
        };
        if !instance.state.receives_traffic() {
            continue;
        }
        let explicit = topology.route_tables.iter().find(|t| {
            t.associations
                .iter()
                .any(|a| a.subnet_id.as_ref() == Some(&eni.subnet_id))
        });
        let table = explicit.or_else(|| {
            topology
                .route_tables
                .iter()
                .find(|t| t.vpc_id == eni.vpc_id && t.associations.iter().any(|a| a.main))
        });
        let Some(table) = table else { continue };
        let through_firewall = |default: &str| {
            table.routes.iter().any(|r| {
                r.destination == RouteDestination::Cidr(default.parse().expect("cidr"))
                    && (r.targets.instance_id.as_ref() == Some(&settings.firewall_instance_id)
                        || r.targets.ids().any(|id| {
                            firewall_enis.contains(&id)
                                || settings.extra_route_targets.iter().any(|t| t == id)
                        }))
            })
        };
        let v4_ok = through_firewall("0.0.0.0/0");
        let v6_ok = through_firewall("::/0");
        let mut internal: Vec<IpNet> = settings.internal_cidrs.clone();
        if let Some(vpc) = topology.vpcs.iter().find(|v| v.id == eni.vpc_id) {
            internal.extend(vpc.cidr_blocks.iter().copied());
        }
        for group_id in &eni.security_groups {
            let Some(group) = topology.security_groups.iter().find(|g| &g.id == group_id) else {
                continue;
            };
            for permission in &group.ingress {
                let Ok(service) = service_for(&permission.protocol, settings.app_id) else {
                    continue;
                };
                let mut nets: Vec<IpNet> = Vec::new();
                nets.extend(permission.ipv4_ranges.iter().map(|r| IpNet::V4(r.cidr)));
                nets.extend(permission.ipv6_ranges.iter().map(|r| IpNet::V6(r.cidr)));
                for reference in &permission.prefix_lists {
                    if let Some(list) = topology.prefix_lists.iter().find(|p| p.id == reference.id)
                    {
                        nets.extend(list.entries.iter().map(|e| e.cidr));
                    }
                }
                for source_net in nets {
                    if internal.iter().any(|block| block.contains(&source_net)) {
                        continue;
                    }
                    let source = if source_net.prefix_len() == 0 {
                        Source::Any
                    } else {
                        Source::Net(source_net.trunc())
                    };
                    let destinations: Vec<IpAddr> = match source_net {
                        IpNet::V4(_) if v4_ok => {
                            eni.private_ipv4.iter().map(|a| IpAddr::V4(*a)).collect()
                        }
                        IpNet::V6(_) if v6_ok => eni.ipv6.iter().map(|a| IpAddr::V6(*a)).collect(),
                        _ => Vec::new(),
                    };
                    for destination in destinations {
                        out.insert(Allowance {
                            source,
                            destination,
                            service,
                        });
                    }
                }
            }
        }
    }
    out
}
