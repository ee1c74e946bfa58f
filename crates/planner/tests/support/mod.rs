//! Test harness: build a VPC behind a firewall in a few lines, plan against an in-memory
//! firewall, apply, and check convergence.
#![allow(dead_code)]

pub mod exact;
pub mod groups;
pub mod operators;
pub mod oracle;
pub mod world;

use ipnet::IpNet;
use model::{
    Attachment, CidrSource, EniId, GroupId, IngressPermission, Instance, InstanceId, InstanceState,
    ManagedPrefixList, NetworkInterface, PortRange, PrefixListEntry, PrefixListId,
    PrefixListReference, Protocol, Provenance, ReconcileKey, Route, RouteDestination, RouteState,
    RouteTable, RouteTableAssociation, RouteTargets, SecurityGroup, Settings, Subnet, SubnetId,
    Topology, Vpc, VpcId,
};
use planner::testing::InMemoryFirewall;
use planner::{ObservedRule, Plan, RuleAction, Scope};

pub const FIREWALL: &str = "i-f00";
pub const BOTTOM: &str = "Clean up";

pub fn settings() -> Settings {
    Settings::new(FIREWALL, BOTTOM, "untrust", "trust").expect("valid settings")
}

/// vpc-1 (10.0.0.0/16, 100.64.0.0/16, 2600:1f00::/56) with the firewall in subnet-fw and:
/// subnet-a behind the firewall (rtb-fw, by instance id for IPv4 and IPv6), subnet-pub on an
/// internet gateway (rtb-igw), and a main table rtb-main to the internet gateway.
pub struct Net {
    pub topology: Topology,
}

impl Net {
    pub fn new() -> Self {
        let topology = Topology {
            vpcs: vec![Vpc {
                id: VpcId::new("vpc-1"),
                cidr_blocks: vec![
                    net("10.0.0.0/16"),
                    net("100.64.0.0/16"),
                    net("2600:1f00::/56"),
                ],
            }],
            ..Topology::default()
        };
        Net { topology }
            .route_table("rtb-main", true, vec![route("0.0.0.0/0", igw())])
            .route_table(
                "rtb-fw",
                false,
                vec![
                    route("0.0.0.0/0", to_instance(FIREWALL)),
                    route("::/0", to_instance(FIREWALL)),
                ],
            )
            .route_table("rtb-igw", false, vec![route("0.0.0.0/0", igw())])
            .subnet("subnet-fw", Some("rtb-igw"))
            .subnet("subnet-a", Some("rtb-fw"))
            .subnet("subnet-pub", Some("rtb-igw"))
            .instance(FIREWALL, InstanceState::Running)
            .eni("eni-f00", FIREWALL, "subnet-fw", &["10.0.0.4"], &[], &[])
    }

    pub fn route_table(mut self, id: &str, main: bool, routes: Vec<Route>) -> Self {
        let associations = if main {
            vec![RouteTableAssociation {
                id: format!("rtbassoc-{id}").as_str().into(),
                main: true,
                subnet_id: None,
                gateway_id: None,
            }]
        } else {
            Vec::new()
        };
        self.topology.route_tables.push(RouteTable {
            id: id.into(),
            vpc_id: VpcId::new("vpc-1"),
            associations,
            routes,
        });
        self
    }

    /// A subnet, explicitly associated with `table` when given (else on the main table).
    pub fn subnet(mut self, id: &str, table: Option<&str>) -> Self {
        self.topology.subnets.push(Subnet {
            id: SubnetId::new(id),
            vpc_id: VpcId::new("vpc-1"),
            ipv4_cidr: None,
            ipv6_cidrs: Vec::new(),
        });
        if let Some(table) = table {
            let table = self
                .topology
                .route_tables
                .iter_mut()
                .find(|t| t.id == table)
                .expect("route table declared before its subnets");
            table.associations.push(RouteTableAssociation {
                id: format!("rtbassoc-{id}").as_str().into(),
                main: false,
                subnet_id: Some(SubnetId::new(id)),
                gateway_id: None,
            });
        }
        self
    }

    pub fn instance(mut self, id: &str, state: InstanceState) -> Self {
        self.topology.instances.push(Instance {
            id: InstanceId::new(id),
            state,
            vpc_id: Some(VpcId::new("vpc-1")),
        });
        self
    }

    pub fn eni(
        mut self,
        id: &str,
        instance: &str,
        subnet: &str,
        ipv4: &[&str],
        ipv6: &[&str],
        groups: &[&str],
    ) -> Self {
        let index = self
            .topology
            .interfaces_of(&InstanceId::new(instance))
            .len();
        self.topology.network_interfaces.push(NetworkInterface {
            id: EniId::new(id),
            vpc_id: VpcId::new("vpc-1"),
            subnet_id: SubnetId::new(subnet),
            attachment: Some(Attachment {
                instance_id: InstanceId::new(instance),
                attachment_id: Some(format!("eni-attach-{id}").as_str().into()),
                device_index: Some(u32::try_from(index).expect("few interfaces")),
            }),
            private_ipv4: ipv4.iter().map(|a| a.parse().expect("ipv4")).collect(),
            ipv6: ipv6.iter().map(|a| a.parse().expect("ipv6")).collect(),
            security_groups: groups.iter().map(|g| GroupId::new(*g)).collect(),
        });
        self
    }

    /// A running instance with one interface in subnet-a holding `groups`.
    pub fn server(self, instance: &str, address: &str, groups: &[&str]) -> Self {
        let eni = format!("eni-{}", &instance[2..]);
        self.instance(instance, InstanceState::Running).eni(
            &eni,
            instance,
            "subnet-a",
            &[address],
            &[],
            groups,
        )
    }

    pub fn group(mut self, id: &str, ingress: Vec<IngressPermission>) -> Self {
        self.topology.security_groups.push(SecurityGroup {
            id: GroupId::new(id),
            name: id.to_owned(),
            vpc_id: Some(VpcId::new("vpc-1")),
            ingress,
        });
        self
    }

    pub fn prefix_list(mut self, id: &str, entries: &[&str]) -> Self {
        self.topology.prefix_lists.push(ManagedPrefixList {
            id: PrefixListId::new(id),
            name: id.to_owned(),
            entries: entries
                .iter()
                .map(|e| PrefixListEntry {
                    cidr: net(e),
                    description: None,
                })
                .collect(),
        });
        self
    }

    /// Give a subnet its IPv4 CIDR (group mode proves shadowing per subnet).
    pub fn subnet_cidr(mut self, id: &str, cidr: &str) -> Self {
        let subnet = self
            .topology
            .subnets
            .iter_mut()
            .find(|s| s.id == id)
            .expect("subnet declared");
        subnet.ipv4_cidr = Some(cidr.parse().expect("ipv4 cidr"));
        self
    }

    pub fn build(self) -> Topology {
        self.topology
    }
}

impl Default for Net {
    fn default() -> Self {
        Self::new()
    }
}

pub fn net(text: &str) -> IpNet {
    text.parse().expect("cidr")
}

pub fn igw() -> RouteTargets {
    RouteTargets {
        gateway_id: Some("igw-1".into()),
        ..RouteTargets::default()
    }
}

pub fn to_instance(id: &str) -> RouteTargets {
    RouteTargets {
        instance_id: Some(InstanceId::new(id)),
        ..RouteTargets::default()
    }
}

pub fn to_eni(id: &str) -> RouteTargets {
    RouteTargets {
        network_interface_id: Some(EniId::new(id)),
        ..RouteTargets::default()
    }
}

pub fn route(cidr: &str, targets: RouteTargets) -> Route {
    Route {
        destination: RouteDestination::Cidr(net(cidr)),
        targets,
        state: RouteState::Active,
    }
}

pub fn tcp(from: u16, to: u16) -> Protocol {
    Protocol::Tcp {
        ports: PortRange::new(from, to).expect("ordered ports"),
    }
}

/// A permission from CIDRs (IPv4 or IPv6 by their spelling).
pub fn allow(protocol: Protocol, cidrs: &[&str]) -> IngressPermission {
    let mut permission = IngressPermission {
        protocol,
        ipv4_ranges: Vec::new(),
        ipv6_ranges: Vec::new(),
        prefix_lists: Vec::new(),
        groups: Vec::new(),
    };
    for cidr in cidrs {
        match net(cidr) {
            IpNet::V4(v4) => permission.ipv4_ranges.push(CidrSource {
                cidr: v4,
                description: None,
            }),
            IpNet::V6(v6) => permission.ipv6_ranges.push(CidrSource {
                cidr: v6,
                description: None,
            }),
        }
    }
    permission
}

pub fn allow_prefix_list(protocol: Protocol, list: &str) -> IngressPermission {
    let mut permission = allow(protocol, &[]);
    permission.prefix_lists.push(PrefixListReference {
        id: PrefixListId::new(list),
        description: None,
    });
    permission
}

/// An unmanaged rule allowing `application` from `source` to `destination`.
pub fn unmanaged_allow(
    name: &str,
    source: &str,
    destination: &str,
    application: &str,
) -> ObservedRule {
    ObservedRule {
        name: name.to_owned(),
        from_zones: vec!["untrust".into()],
        to_zones: vec!["trust".into()],
        sources: vec![source.to_owned()],
        destinations: vec![destination.to_owned()],
        applications: vec![application.to_owned()],
        services: vec!["application-default".into()],
        ..InMemoryFirewall::catch_all(name, RuleAction::Allow)
    }
}

/// A firewall holding only the deny-all bottom rule.
pub fn empty_firewall() -> InMemoryFirewall {
    InMemoryFirewall::new(
        vec![InMemoryFirewall::catch_all(BOTTOM, RuleAction::Deny)],
        Vec::new(),
    )
}

pub fn event(name: &str) -> Provenance {
    Provenance {
        event_name: name.to_owned(),
        event_id: Some(format!("{name}-id")),
        principal_arn: Some("arn:aws:iam::111122223333:user/alice".into()),
        event_time: Some("2026-11-27T01:02:03Z".into()),
        ..Provenance::default()
    }
}

pub fn sync() -> Scope {
    Scope::everything(Provenance::sync("sync"))
}

pub fn instance_key(id: &str, name: &str) -> Scope {
    Scope::single(ReconcileKey::Instance(InstanceId::new(id)), event(name))
}

pub fn group_key(id: &str, name: &str) -> Scope {
    Scope::single(ReconcileKey::SecurityGroup(GroupId::new(id)), event(name))
}

/// Plan, apply, and check that planning again changes nothing. Returns the applied plan.
pub fn converge(
    firewall: &mut InMemoryFirewall,
    topology: &Topology,
    settings: &Settings,
    scope: &Scope,
) -> Plan {
    let plan = firewall.plan(topology, settings, scope).expect("plan");
    firewall
        .apply(&plan)
        .expect("the firewall accepts the plan");
    let again = firewall
        .plan(topology, settings, scope)
        .expect("plan again");
    assert!(again.is_empty(), "not idempotent: {:#?}", again.operations);
    plan
}

/// `(source, destination, application/service)` of every managed allowance, as text.
pub fn allowances(firewall: &InMemoryFirewall, settings: &Settings) -> Vec<String> {
    firewall
        .managed_allowances(settings)
        .expect("managed rules are readable")
        .iter()
        .map(|a| format!("{} -> {} {}", a.source, a.destination, a.service))
        .collect()
}

pub fn rule_names(plan: &Plan) -> Vec<String> {
    plan.operations
        .iter()
        .filter_map(|op| op.rule_name().map(str::to_owned))
        .collect()
}

/// The test settings in group mode.
pub fn group_settings() -> Settings {
    settings().with_mode(model::PolicyMode::Groups)
}

/// Plan, apply, and check that planning again changes nothing, registrations included (they
/// are refreshed on every run only when a registration timeout is set).
pub fn converge_all(
    firewall: &mut InMemoryFirewall,
    topology: &Topology,
    settings: &Settings,
    scope: &Scope,
) -> Plan {
    let plan = converge(firewall, topology, settings, scope);
    let again = firewall
        .plan(topology, settings, scope)
        .expect("plan again");
    if settings.registration_timeout.is_none() {
        assert!(
            again.registrations.is_empty(),
            "registrations not idempotent: {:#?}",
            again.registrations
        );
    }
    plan
}

/// What the managed rules allow, address groups expanded with the registrations, is exactly
/// what the security groups allow (no operator rule shadows anything here), and every sampled
/// flow of it first-matches an allow rule.
pub fn assert_exact(firewall: &InMemoryFirewall, topology: &Topology, settings: &Settings) {
    let held = firewall
        .managed_allowances(settings)
        .expect("managed rules are readable");
    let desired = oracle::desired(topology, settings);
    assert_eq!(held, desired, "coverage differs from what is desired");
    for allowance in &desired {
        for flow in firewall.sample_flows(allowance, settings) {
            let allowed = matches!(
                firewall.policy_match(&flow),
                planner::PolicyMatch::Rule {
                    action: RuleAction::Allow,
                    ..
                }
            );
            assert!(allowed, "desired flow denied: {flow:?}");
        }
    }
}

/// The tags registered on `address`, as text.
pub fn tags(firewall: &InMemoryFirewall, address: &str) -> Vec<String> {
    firewall.tags_of(&address.parse().expect("address"))
}

/// `(address, tags)` of each registration change, as text.
pub fn registered(changes: &[planner::Registration]) -> Vec<(String, Vec<String>)> {
    changes
        .iter()
        .map(|r| (r.address.to_string(), r.tags.clone()))
        .collect()
}
