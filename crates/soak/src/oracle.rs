//! What the firewall should allow, read back from moto the way DESIGN.md defines it (scope by
//! instance state and the subnet's effective default route, external sources only, the ENI's
//! groups), and what the firewall does allow, asked of the simulator's own policy match. This
//! is an oracle independent of palosync's planner: it shares no code with it.
//!
//! Both sides are evaluated over a finite probe universe: every address the soak ever gave an
//! instance, x one probe source per source block, x the soak's ports.

use crate::world::{PORTS, World};
use ipnet::IpNet;
use panos_sim::{MatchQuery, RunningSimulator, policy_match};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Probe sources: one inside each block the soak authorizes, and one only `0.0.0.0/0` holds.
pub const PROBE_SOURCES: [&str; 4] = ["198.51.100.7", "192.0.2.10", "10.0.5.5", "172.16.0.1"];
const VPC_CIDR: &str = "10.0.0.0/16";

/// One (source, destination, tcp port) the soak asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Flow {
    pub source: IpAddr,
    pub destination: IpAddr,
    pub port: u16,
}

impl std::fmt::Display for Flow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} -> {}:{}", self.source, self.destination, self.port)
    }
}

/// The probe universe for `world` as it stands.
pub fn universe(world: &World) -> Vec<Flow> {
    let mut flows = vec![];
    for instance in &world.instances {
        let Ok(destination) = instance.address.parse() else {
            continue;
        };
        for source in PROBE_SOURCES {
            for port in PORTS {
                flows.push(Flow {
                    source: source.parse().expect("probe source"),
                    destination,
                    port,
                });
            }
        }
    }
    flows
}

/// Desired flows of the universe, from moto's current state.
pub async fn desired(world: &World) -> anyhow::Result<BTreeSet<Flow>> {
    let vpc_filter = aws_sdk_ec2::types::Filter::builder()
        .name("vpc-id")
        .values(&world.vpc)
        .build();
    let ec2 = &world.ec2;
    let tables = ec2
        .describe_route_tables()
        .filters(vpc_filter.clone())
        .send()
        .await?;
    let groups = ec2
        .describe_security_groups()
        .filters(vpc_filter.clone())
        .send()
        .await?;
    let instances = ec2.describe_instances().filters(vpc_filter).send().await?;
    let firewall_enis: BTreeSet<String> = instances
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| i.instance_id() == Some(world.firewall.as_str()))
        .flat_map(|i| i.network_interfaces())
        .filter_map(|n| n.network_interface_id().map(str::to_owned))
        .collect();
    let to_firewall = |table: &aws_sdk_ec2::types::RouteTable| {
        table.routes().iter().any(|r| {
            r.destination_cidr_block() == Some("0.0.0.0/0")
                && (r.instance_id() == Some(world.firewall.as_str())
                    || r.network_interface_id()
                        .is_some_and(|n| firewall_enis.contains(n)))
        })
    };
    let mut explicit = BTreeMap::new();
    let mut main = false;
    for table in tables.route_tables() {
        for association in table.associations() {
            if association.main() == Some(true) {
                main = to_firewall(table);
            } else if let Some(subnet) = association.subnet_id() {
                explicit.insert(subnet.to_owned(), to_firewall(table));
            }
        }
    }
    let vpc: IpNet = VPC_CIDR.parse().expect("vpc cidr");
    // group -> (port, external source block)
    let mut allowed: BTreeMap<String, Vec<(u16, u16, IpNet)>> = BTreeMap::new();
    for group in groups.security_groups() {
        let entry = allowed
            .entry(group.group_id().unwrap_or_default().to_owned())
            .or_default();
        for permission in group.ip_permissions() {
            let protocol = permission.ip_protocol().unwrap_or_default();
            let (from, to) = match protocol {
                "tcp" | "6" => (permission.from_port(), permission.to_port()),
                "-1" => (Some(0), Some(65535)),
                _ => continue,
            };
            let (Some(from), Some(to)) = (from, to) else {
                continue;
            };
            for range in permission.ip_ranges() {
                let Some(Ok(net)) = range.cidr_ip().map(str::parse::<IpNet>) else {
                    continue;
                };
                if !vpc.contains(&net) {
                    entry.push((from as u16, to as u16, net));
                }
            }
        }
    }
    let mut flows = BTreeSet::new();
    let universe = universe(world);
    for instance in instances.reservations().iter().flat_map(|r| r.instances()) {
        let state = instance.state().and_then(|s| s.name()).map(|n| n.as_str());
        if !matches!(state, Some("pending" | "running"))
            || instance.instance_id() == Some(world.firewall.as_str())
        {
            continue;
        }
        for nic in instance.network_interfaces() {
            let subnet = nic.subnet_id().unwrap_or_default();
            if !explicit.get(subnet).copied().unwrap_or(main) {
                continue;
            }
            let addresses: BTreeSet<IpAddr> = nic
                .private_ip_addresses()
                .iter()
                .filter_map(|a| a.private_ip_address()?.parse().ok())
                .chain(nic.private_ip_address().and_then(|a| a.parse().ok()))
                .collect();
            let rules: Vec<&(u16, u16, IpNet)> = nic
                .groups()
                .iter()
                .filter_map(|g| allowed.get(g.group_id()?))
                .flatten()
                .collect();
            for flow in universe
                .iter()
                .filter(|f| addresses.contains(&f.destination))
            {
                if rules.iter().any(|(from, to, net)| {
                    (*from..=*to).contains(&flow.port) && net.contains(&flow.source)
                }) {
                    flows.insert(*flow);
                }
            }
        }
    }
    Ok(flows)
}

/// The managed rule that allows `flow` in the running configuration (registrations included),
/// evaluated inside the simulator so that no injected fault is spent on a probe.
pub fn managed_allow(sim: &RunningSimulator, flow: &Flow, tag: &str) -> Option<String> {
    let query = MatchQuery {
        from: Some("untrust".into()),
        to: Some("trust".into()),
        source: flow.source,
        destination: flow.destination,
        protocol: 6,
        port: Some(flow.port),
        application: Some(
            if flow.port == 443 {
                "ssl"
            } else {
                "unknown-tcp"
            }
            .into(),
        ),
        source_user: None,
        category: None,
        show_all: false,
    };
    sim.with_state(|s| {
        let hits = policy_match::evaluate_with_registrations(
            &s.store.running,
            "vsys1",
            &query,
            s.registrations.vsys("vsys1"),
        )?;
        let hit = hits.into_iter().find(|h| h.action == "allow")?;
        let rule = hit.rule?;
        rule.members("tag").contains(&tag).then_some(hit.name)
    })
}

/// Every flow of `universe` a managed rule allows now.
pub fn allowed(sim: &RunningSimulator, universe: &[Flow], tag: &str) -> BTreeSet<Flow> {
    universe
        .iter()
        .filter(|f| managed_allow(sim, f, tag).is_some())
        .copied()
        .collect()
}
