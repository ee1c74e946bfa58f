//! A synthetic estate for benchmarks and scale tests: the same topology the full-sync
//! benchmark plans, at any size.

use model::{
    Attachment, CidrSource, IngressPermission, Instance, InstanceId, InstanceState,
    NetworkInterface, PortRange, Protocol, Route, RouteDestination, RouteState, RouteTable,
    RouteTableAssociation, RouteTargets, SecurityGroup, Subnet, SubnetId, Topology, Vpc, VpcId,
};
use std::net::Ipv4Addr;

/// The benchmark estate: `instances` running instances in one VPC behind the firewall, each
/// with one interface holding two of `groups` groups, each group with `permissions` ingress
/// permissions (a mix of App-ID ports, single ports and ranges, one or two external /24s).
pub fn estate(instances: u32, groups: u32, permissions: u32) -> Topology {
    let vpc = VpcId::new("vpc-1");
    let mut topology = Topology {
        vpcs: vec![Vpc {
            id: vpc.clone(),
            cidr_blocks: vec!["10.0.0.0/16".parse().expect("cidr")],
        }],
        subnets: vec![Subnet {
            id: SubnetId::new("subnet-1"),
            vpc_id: vpc.clone(),
            ipv4_cidr: Some("10.0.0.0/16".parse().expect("cidr")),
            ipv6_cidrs: Vec::new(),
        }],
        route_tables: vec![RouteTable {
            id: "rtb-main".into(),
            vpc_id: vpc.clone(),
            associations: vec![RouteTableAssociation {
                id: "rtbassoc-main".into(),
                main: true,
                subnet_id: None,
                gateway_id: None,
            }],
            routes: vec![Route {
                destination: RouteDestination::Cidr("0.0.0.0/0".parse().expect("cidr")),
                targets: RouteTargets {
                    instance_id: Some("i-f00".into()),
                    ..RouteTargets::default()
                },
                state: RouteState::Active,
            }],
        }],
        ..Topology::default()
    };
    for g in 0..groups {
        let ingress = (0..permissions)
            .map(|p| {
                let protocol = match p % 4 {
                    0 => Protocol::Tcp {
                        ports: PortRange::single([22, 443, 80, 3306][(p / 4 % 4) as usize]),
                    },
                    1 => Protocol::Tcp {
                        ports: PortRange::single(8000 + (g * 20 + p) as u16 % 1000),
                    },
                    2 => Protocol::Udp {
                        ports: PortRange::new(10_000, 10_000 + p as u16).expect("ordered"),
                    },
                    _ => Protocol::Tcp {
                        ports: PortRange::single(9000 + p as u16),
                    },
                };
                let source = |i: u32| CidrSource {
                    cidr: format!("198.{}.{}.0/24", 18 + i % 2, (g + p + i) % 250)
                        .parse()
                        .expect("cidr"),
                    description: None,
                };
                IngressPermission {
                    protocol,
                    ipv4_ranges: (0..1 + p % 2).map(source).collect(),
                    ipv6_ranges: Vec::new(),
                    prefix_lists: Vec::new(),
                    groups: Vec::new(),
                }
            })
            .collect();
        topology.security_groups.push(SecurityGroup {
            id: format!("sg-{g:x}").into(),
            name: String::new(),
            vpc_id: Some(vpc.clone()),
            ingress,
        });
    }
    for i in 0..instances {
        let id = InstanceId::new(format!("i-{i:x}"));
        topology.instances.push(Instance {
            id: id.clone(),
            state: InstanceState::Running,
            vpc_id: Some(vpc.clone()),
        });
        let groups = [i % groups, (i * 7 + 3) % groups];
        topology.network_interfaces.push(NetworkInterface {
            id: format!("eni-{i:x}").into(),
            vpc_id: vpc.clone(),
            subnet_id: SubnetId::new("subnet-1"),
            attachment: Some(Attachment {
                instance_id: id,
                attachment_id: None,
                device_index: Some(0),
            }),
            private_ipv4: vec![Ipv4Addr::new(10, 0, (i / 250) as u8, (i % 250) as u8 + 1)],
            ipv6: Vec::new(),
            security_groups: groups.iter().map(|g| format!("sg-{g:x}").into()).collect(),
        });
    }
    topology
}
