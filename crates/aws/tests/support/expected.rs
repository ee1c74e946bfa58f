//! What a read of the scenario VPC must return, written out from how the scenario was built.
//!
//! Each value is spelled out from the scenario's own description (addresses, CIDRs, rules);
//! only the ids AWS generated come from the build. Lists are in the inventory's documented
//! canonical order (sorted by id; routes by destination).

use super::scenario::Scenario;
use ipnet::{IpNet, Ipv6Net};
use model::{
    Attachment, CidrSource, EniId, GroupId, GroupReference, IcmpMatch, IngressPermission, Instance,
    InstanceId, InstanceState, ManagedPrefixList, NetworkInterface, PortRange, PrefixListEntry,
    PrefixListReference, Protocol, Route, RouteDestination, RouteState, RouteTable,
    RouteTableAssociation, RouteTableId, RouteTargets, SecurityGroup, Subnet, SubnetId, Topology,
    Vpc,
};
use std::net::Ipv6Addr;

/// moto's account id, which it reports as the owner of referenced groups.
pub const MOTO_ACCOUNT: &str = "123456789012";

fn net(text: &str) -> IpNet {
    text.parse().expect("expected CIDR")
}

fn tcp(from: u16, to: u16) -> Protocol {
    Protocol::Tcp {
        ports: PortRange { from, to },
    }
}

fn permission(protocol: Protocol) -> IngressPermission {
    IngressPermission {
        protocol,
        ipv4_ranges: vec![],
        ipv6_ranges: vec![],
        prefix_lists: vec![],
        groups: vec![],
    }
}

fn v4_sources(cidrs: &[&str]) -> Vec<CidrSource<ipnet::Ipv4Net>> {
    cidrs
        .iter()
        .map(|c| CidrSource {
            cidr: c.parse().expect("expected CIDR"),
            description: None,
        })
        .collect()
}

impl Scenario {
    pub fn app_a_ipv6(&self) -> Ipv6Net {
        Ipv6Net::new(self.ipv6_block.network(), 64).expect("/64")
    }

    pub fn web1_ipv6(&self) -> Ipv6Addr {
        Ipv6Addr::from(u128::from(self.app_a_ipv6().network()) + 0x10)
    }

    pub fn expected_vpc(&self) -> Vpc {
        Vpc {
            id: self.vpc.clone(),
            cidr_blocks: vec![
                net("10.0.0.0/16"),
                net("10.1.0.0/16"),
                IpNet::V6(self.ipv6_block),
            ],
        }
    }

    pub fn expected_subnet(&self, id: &SubnetId) -> Subnet {
        let cidr = [
            (&self.fw_untrust, "10.0.0.0/24"),
            (&self.fw_trust, "10.0.10.0/24"),
            (&self.app_a, "10.0.1.0/24"),
            (&self.app_b, "10.1.2.0/24"),
            (&self.implicit, "10.0.3.0/24"),
            (&self.public, "10.0.4.0/24"),
        ]
        .into_iter()
        .find(|(s, _)| *s == id)
        .map(|(_, c)| c)
        .expect("a scenario subnet");
        Subnet {
            id: id.clone(),
            vpc_id: self.vpc.clone(),
            ipv4_cidr: Some(cidr.parse().expect("subnet CIDR")),
            ipv6_cidrs: if id == &self.app_a {
                vec![self.app_a_ipv6()]
            } else {
                vec![]
            },
        }
    }

    pub fn all_subnets(&self) -> Vec<&SubnetId> {
        vec![
            &self.fw_untrust,
            &self.fw_trust,
            &self.app_a,
            &self.app_b,
            &self.implicit,
            &self.public,
        ]
    }

    fn local_routes(&self) -> Vec<Route> {
        [
            net("10.0.0.0/16"),
            net("10.1.0.0/16"),
            IpNet::V6(self.ipv6_block),
        ]
        .into_iter()
        .map(|cidr| Route {
            destination: RouteDestination::Cidr(cidr),
            targets: RouteTargets {
                gateway_id: Some("local".into()),
                ..RouteTargets::default()
            },
            state: RouteState::Active,
        })
        .collect()
    }

    /// A default route to the firewall's eth1 names the firewall instance too, as AWS reports.
    pub fn to_fw_eth1(&self, destination: &str) -> Route {
        Route {
            destination: RouteDestination::Cidr(net(destination)),
            targets: RouteTargets {
                instance_id: Some(self.fw.clone()),
                network_interface_id: Some(self.fw_eth1.clone()),
                ..RouteTargets::default()
            },
            state: RouteState::Active,
        }
    }

    pub fn to_fw_instance(&self) -> Route {
        Route {
            destination: RouteDestination::Cidr(net("0.0.0.0/0")),
            targets: RouteTargets {
                instance_id: Some(self.fw.clone()),
                ..RouteTargets::default()
            },
            state: RouteState::Active,
        }
    }

    pub fn to_igw(&self) -> Route {
        Route {
            destination: RouteDestination::Cidr(net("0.0.0.0/0")),
            targets: RouteTargets {
                gateway_id: Some(self.igw.clone()),
                ..RouteTargets::default()
            },
            state: RouteState::Active,
        }
    }

    pub fn table(
        &self,
        id: &RouteTableId,
        associations: Vec<RouteTableAssociation>,
        extra_routes: Vec<Route>,
    ) -> RouteTable {
        let mut routes = self.local_routes();
        routes.extend(extra_routes);
        routes.sort_by_key(|r| match &r.destination {
            RouteDestination::Cidr(c) => c.to_string(),
            other => format!("~{other:?}"),
        });
        let mut associations = associations;
        associations.sort_by(|a, b| a.id.cmp(&b.id));
        RouteTable {
            id: id.clone(),
            vpc_id: self.vpc.clone(),
            associations,
            routes,
        }
    }

    pub fn subnet_association(
        &self,
        id: &model::AssociationId,
        subnet: &SubnetId,
    ) -> RouteTableAssociation {
        RouteTableAssociation {
            id: id.clone(),
            main: false,
            subnet_id: Some(subnet.clone()),
            gateway_id: None,
        }
    }

    /// The four tables as the scenario built them.
    pub fn expected_tables(&self) -> Vec<RouteTable> {
        let main = RouteTableAssociation {
            id: self.main_association.clone(),
            main: true,
            subnet_id: None,
            gateway_id: None,
        };
        vec![
            self.table(
                &self.main_table,
                vec![main],
                vec![self.to_fw_eth1("0.0.0.0/0")],
            ),
            self.table(
                &self.table_a,
                vec![self.subnet_association(&self.assoc_a, &self.app_a)],
                vec![self.to_fw_instance()],
            ),
            self.table(
                &self.table_b,
                vec![self.subnet_association(&self.assoc_b, &self.app_b)],
                vec![self.to_fw_eth1("0.0.0.0/0"), self.to_fw_eth1("::/0")],
            ),
            self.table(
                &self.table_c,
                vec![
                    self.subnet_association(&self.assoc_fw_untrust, &self.fw_untrust),
                    self.subnet_association(&self.assoc_fw_trust, &self.fw_trust),
                    self.subnet_association(&self.assoc_public, &self.public),
                ],
                vec![self.to_igw()],
            ),
        ]
    }

    pub fn expected_instance(&self, id: &InstanceId) -> Instance {
        Instance {
            id: id.clone(),
            state: if id == &self.app1 {
                InstanceState::Stopped
            } else {
                InstanceState::Running
            },
            vpc_id: Some(self.vpc.clone()),
        }
    }

    pub fn all_instances(&self) -> Vec<&InstanceId> {
        vec![
            &self.fw,
            &self.web1,
            &self.app1,
            &self.db1,
            &self.multi,
            &self.pub1,
        ]
    }

    pub fn expected_eni(&self, id: &EniId) -> NetworkInterface {
        let primary = |instance: &InstanceId| {
            self.primary_attachments
                .iter()
                .find(|(i, _, _)| i == instance)
                .map(|(_, _, a)| a.clone())
        };
        #[allow(clippy::type_complexity)]
        let table: [(
            &EniId,
            &InstanceId,
            Option<model::AttachmentId>,
            u32,
            &SubnetId,
            &[&str],
            &GroupId,
        ); 8] = [
            (
                &self.fw_eth0,
                &self.fw,
                primary(&self.fw),
                0,
                &self.fw_untrust,
                &["10.0.0.10"],
                &self.fw_group,
            ),
            (
                &self.fw_eth1,
                &self.fw,
                Some(self.fw_eth1_attachment.clone()),
                1,
                &self.fw_trust,
                &["10.0.10.10"],
                &self.fw_group,
            ),
            (
                &self.web1_eth0,
                &self.web1,
                primary(&self.web1),
                0,
                &self.app_a,
                &["10.0.1.10"],
                &self.web,
            ),
            (
                &self.app1_eth0,
                &self.app1,
                primary(&self.app1),
                0,
                &self.app_b,
                &["10.1.2.10"],
                &self.app,
            ),
            (
                &self.db1_eth0,
                &self.db1,
                primary(&self.db1),
                0,
                &self.implicit,
                &["10.0.3.10"],
                &self.db,
            ),
            (
                &self.multi_eth0,
                &self.multi,
                primary(&self.multi),
                0,
                &self.app_a,
                &["10.0.1.20"],
                &self.web,
            ),
            (
                &self.multi_eth1,
                &self.multi,
                Some(self.multi_eth1_attachment.clone()),
                1,
                &self.public,
                &["10.0.4.20", "10.0.4.21"],
                &self.app,
            ),
            (
                &self.pub1_eth0,
                &self.pub1,
                primary(&self.pub1),
                0,
                &self.public,
                &["10.0.4.10"],
                &self.web,
            ),
        ];
        let (_, instance, attachment_id, device_index, subnet, addresses, group) = table
            .into_iter()
            .find(|row| row.0 == id)
            .expect("a scenario interface");
        NetworkInterface {
            id: id.clone(),
            vpc_id: self.vpc.clone(),
            subnet_id: subnet.clone(),
            attachment: Some(Attachment {
                instance_id: instance.clone(),
                attachment_id,
                device_index: Some(device_index),
            }),
            private_ipv4: addresses
                .iter()
                .map(|a| a.parse().expect("address"))
                .collect(),
            ipv6: if id == &self.web1_eth0 {
                vec![self.web1_ipv6()]
            } else {
                vec![]
            },
            security_groups: vec![group.clone()],
        }
    }

    pub fn all_enis(&self) -> Vec<&EniId> {
        vec![
            &self.fw_eth0,
            &self.fw_eth1,
            &self.web1_eth0,
            &self.app1_eth0,
            &self.db1_eth0,
            &self.multi_eth0,
            &self.multi_eth1,
            &self.pub1_eth0,
        ]
    }

    pub fn expected_group(&self, id: &GroupId) -> SecurityGroup {
        let group_ref = |g: &GroupId| GroupReference {
            group_id: g.clone(),
            user_id: Some(MOTO_ACCOUNT.into()),
        };
        let (name, ingress) = if id == &self.web {
            (
                "web",
                vec![
                    IngressPermission {
                        prefix_lists: vec![PrefixListReference {
                            id: self.corp.clone(),
                            description: None,
                        }],
                        ..permission(tcp(22, 22))
                    },
                    IngressPermission {
                        ipv4_ranges: v4_sources(&["0.0.0.0/0", "10.0.0.0/8"]),
                        ipv6_ranges: vec![CidrSource {
                            cidr: "::/0".parse().expect("::/0"),
                            description: None,
                        }],
                        ..permission(tcp(443, 443))
                    },
                ],
            )
        } else if id == &self.app {
            (
                "app",
                vec![
                    IngressPermission {
                        ipv4_ranges: v4_sources(&["10.0.0.0/16"]),
                        ..permission(Protocol::All)
                    },
                    IngressPermission {
                        ipv4_ranges: v4_sources(&["198.51.100.0/24"]),
                        ..permission(tcp(8000, 8100))
                    },
                    IngressPermission {
                        groups: vec![group_ref(&self.web)],
                        ..permission(tcp(8080, 8080))
                    },
                ],
            )
        } else if id == &self.db {
            (
                "db",
                vec![
                    IngressPermission {
                        groups: vec![group_ref(&self.app)],
                        ..permission(tcp(5432, 5432))
                    },
                    IngressPermission {
                        ipv4_ranges: v4_sources(&["203.0.113.0/24"]),
                        ..permission(Protocol::Icmp {
                            icmp: IcmpMatch::ANY,
                        })
                    },
                ],
            )
        } else {
            panic!("no expectation for group {id}")
        };
        SecurityGroup {
            id: id.clone(),
            name: name.into(),
            vpc_id: Some(self.vpc.clone()),
            ingress,
        }
    }

    pub fn expected_corp(&self) -> ManagedPrefixList {
        ManagedPrefixList {
            id: self.corp.clone(),
            name: "corp".into(),
            entries: vec![
                PrefixListEntry {
                    cidr: net("192.0.2.0/24"),
                    description: Some("office".into()),
                },
                PrefixListEntry {
                    cidr: net("198.18.0.0/15"),
                    description: None,
                },
            ],
        }
    }

    /// The scenario VPC with its tables, the given subnets, instances, interfaces and groups,
    /// plus the firewall instance and its two interfaces (always part of an answer).
    pub fn expected(
        &self,
        subnets: &[&SubnetId],
        instances: &[&InstanceId],
        enis: &[&EniId],
        groups: &[&GroupId],
        with_corp: bool,
    ) -> Topology {
        let mut instances: Vec<&InstanceId> = instances.to_vec();
        instances.push(&self.fw);
        let mut enis: Vec<&EniId> = enis.to_vec();
        enis.extend([&self.fw_eth0, &self.fw_eth1]);
        let mut topology = Topology {
            vpcs: vec![self.expected_vpc()],
            subnets: subnets.iter().map(|s| self.expected_subnet(s)).collect(),
            route_tables: self.expected_tables(),
            instances: instances
                .iter()
                .map(|i| self.expected_instance(i))
                .collect(),
            network_interfaces: enis.iter().map(|e| self.expected_eni(e)).collect(),
            security_groups: groups.iter().map(|g| self.expected_group(g)).collect(),
            prefix_lists: if with_corp {
                vec![self.expected_corp()]
            } else {
                vec![]
            },
            vpc_endpoints: vec![],
            absent_vpc_endpoints: vec![],
            absent_instances: vec![],
            absent_security_groups: vec![],
            absent_network_interfaces: vec![],
            absent_addresses: vec![],
        };
        canonical_order(&mut topology);
        topology
    }

    /// Everything the scenario VPC holds that matters to the planner.
    pub fn whole_vpc(&self) -> Topology {
        self.expected(
            &self.all_subnets(),
            &self.all_instances(),
            &self.all_enis(),
            &[&self.web, &self.app, &self.db],
            true,
        )
    }
}

/// Sort top-level lists by id and drop duplicates (the firewall may be named twice).
pub fn canonical_order(topology: &mut Topology) {
    topology.vpcs.sort_by(|a, b| a.id.cmp(&b.id));
    topology.subnets.sort_by(|a, b| a.id.cmp(&b.id));
    topology.subnets.dedup();
    topology.route_tables.sort_by(|a, b| a.id.cmp(&b.id));
    topology.instances.sort_by(|a, b| a.id.cmp(&b.id));
    topology.instances.dedup();
    topology.network_interfaces.sort_by(|a, b| a.id.cmp(&b.id));
    topology.network_interfaces.dedup();
    topology.security_groups.sort_by(|a, b| a.id.cmp(&b.id));
    topology.security_groups.dedup();
}
