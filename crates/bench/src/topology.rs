//! Generated AWS topologies: one VPC whose main route table sends the default route to the
//! firewall instance, so every instance in it is behind the firewall. The burst and the full
//! sync both build on this; nothing here does IO.
//!
//! Ids are deterministic (`i-0…`, `sg-0…`, `eni-0…` with 17 hex digits) so every run, and both
//! strategies, see exactly the same world.

use model::{
    Attachment, CidrSource, GroupId, IngressPermission, Instance, InstanceId, InstanceState,
    NetworkInterface, PortRange, Protocol, Route, RouteDestination, RouteState, RouteTable,
    RouteTableAssociation, RouteTargets, SecurityGroup, Subnet, SubnetId, Topology, Vpc, VpcId,
};
use std::net::Ipv4Addr;

pub const FIREWALL_INSTANCE: &str = "i-0f00000000000f00f";
pub const VPC_CIDR: &str = "10.0.0.0/16";
const SUBNET: &str = "subnet-0000000000000000a";

pub fn instance_id(n: u32) -> InstanceId {
    InstanceId::new(format!("i-0{:016x}", n + 1))
}

pub fn group_id(n: u32) -> GroupId {
    GroupId::new(format!("sg-0{:016x}", n + 1))
}

/// The VPC, its subnet and the main route table pointing 0.0.0.0/0 at the firewall. Every
/// part is present: the planner skips an interface whose subnet or VPC was not read.
pub fn behind_firewall() -> Topology {
    let vpc = VpcId::new("vpc-0000000000000000a");
    Topology {
        vpcs: vec![Vpc {
            id: vpc.clone(),
            cidr_blocks: vec![VPC_CIDR.parse().expect("constant CIDR is valid")],
        }],
        subnets: vec![Subnet {
            id: SubnetId::new(SUBNET),
            vpc_id: vpc.clone(),
            ipv4_cidr: Some(VPC_CIDR.parse().expect("constant CIDR is valid")),
            ipv6_cidrs: Vec::new(),
        }],
        route_tables: vec![RouteTable {
            id: "rtb-0000000000000000a".into(),
            vpc_id: vpc,
            associations: vec![RouteTableAssociation {
                id: "rtbassoc-000000000000000a".into(),
                main: true,
                subnet_id: None,
                gateway_id: None,
            }],
            routes: vec![Route {
                destination: RouteDestination::Cidr("0.0.0.0/0".parse().expect("constant")),
                targets: RouteTargets {
                    instance_id: Some(InstanceId::new(FIREWALL_INSTANCE)),
                    ..RouteTargets::default()
                },
                state: RouteState::Active,
            }],
        }],
        ..Topology::default()
    }
}

/// Adds instance `n` with one interface holding `addresses` private IPv4 addresses, in `groups`.
pub fn add_instance(
    topology: &mut Topology,
    n: u32,
    state: InstanceState,
    addresses: u32,
    groups: &[u32],
) {
    let vpc = topology.vpcs[0].id.clone();
    let id = instance_id(n);
    topology.instances.push(Instance {
        id: id.clone(),
        state,
        vpc_id: Some(vpc.clone()),
    });
    topology.network_interfaces.push(NetworkInterface {
        id: format!("eni-0{:016x}", n + 1).into(),
        vpc_id: vpc,
        subnet_id: SubnetId::new(SUBNET),
        attachment: Some(Attachment {
            instance_id: id,
            attachment_id: None,
            device_index: Some(0),
        }),
        private_ipv4: (0..addresses).map(|a| private_address(n, a)).collect(),
        ipv6: Vec::new(),
        security_groups: groups.iter().map(|g| group_id(*g)).collect(),
    });
}

/// `10.0.x.y`: unique per (instance, address index) for up to 16,000 instances × 4 addresses.
fn private_address(n: u32, index: u32) -> Ipv4Addr {
    let slot = n * 4 + index;
    Ipv4Addr::new(10, 0, (slot / 250) as u8, (slot % 250) as u8 + 4)
}

pub fn add_group(topology: &mut Topology, n: u32, ingress: Vec<IngressPermission>) {
    topology.security_groups.push(SecurityGroup {
        id: group_id(n),
        name: format!("app-{n}"),
        vpc_id: Some(topology.vpcs[0].id.clone()),
        ingress,
    });
}

pub fn tcp(port: u16) -> Protocol {
    Protocol::Tcp {
        ports: PortRange::single(port),
    }
}

/// A permission from the given IPv4 CIDRs.
pub fn permission(protocol: Protocol, cidrs: &[String]) -> IngressPermission {
    IngressPermission {
        protocol,
        ipv4_ranges: cidrs
            .iter()
            .map(|cidr| CidrSource {
                cidr: cidr.parse().expect("generated CIDRs are valid"),
                description: None,
            })
            .collect(),
        ipv6_ranges: Vec::new(),
        prefix_lists: Vec::new(),
        groups: Vec::new(),
    }
}

pub fn group_mut<'t>(topology: &'t mut Topology, id: &GroupId) -> &'t mut SecurityGroup {
    topology
        .security_groups
        .iter_mut()
        .find(|g| &g.id == id)
        .expect("generated events only name generated groups")
}

pub fn set_state(topology: &mut Topology, id: &InstanceId, state: InstanceState) {
    for instance in topology.instances.iter_mut().filter(|i| &i.id == id) {
        instance.state = state;
    }
}
