//! Random worlds for the property tests: a VPC with subnets on different routes, groups drawn
//! from a pool of protocols and sources (external, internal, IPv6, prefix list, group
//! reference), instances with one or two interfaces, unmanaged rules that shadow, deny or sit
//! below the bottom rule; and events that change the world and carry the key to reconcile.

use super::*;
use model::{
    GroupReference, IcmpMatch, IngressPermission, InstanceState, Protocol, ReconcileKey,
    RouteTargets, Settings, Topology,
};
use planner::testing::InMemoryFirewall;
use planner::{ObservedRule, ObservedService, PortProtocol, RuleAction, Scope};
use proptest::prelude::*;

pub const SOURCES: &[&str] = &[
    "0.0.0.0/0",
    "::/0",
    "203.0.113.7/32",
    "198.51.100.0/24",
    "10.0.5.0/24",
    "100.64.1.0/24",
    "2001:db8::/32",
    "2001:db8::7/128",
];
pub const PREFIX_LIST_SOURCE: usize = SOURCES.len();
pub const GROUP_SOURCE: usize = SOURCES.len() + 1;
pub const PREFIX_ENTRIES: &[&str] = &[
    "10.0.9.0/24",
    "203.0.113.0/24",
    "192.0.2.7/32",
    "2600:1f00::/64",
    "2001:db8:1::/48",
];
pub const SUBNETS: &[&str] = &["subnet-a", "subnet-b", "subnet-c", "subnet-g", "subnet-pub"];
pub const STATES: &[InstanceState] = &[
    InstanceState::Running,
    InstanceState::Pending,
    InstanceState::Stopped,
    InstanceState::Running,
];

pub fn protocol(index: u8) -> Protocol {
    let icmp = |icmp_type| IcmpMatch {
        icmp_type,
        icmp_code: None,
    };
    match index % 12 {
        0 => tcp(22, 22),
        1 => tcp(443, 443),
        2 => tcp(8080, 8080),
        3 => tcp(1000, 2000),
        4 => Protocol::Udp {
            ports: model::PortRange::single(53),
        },
        5 => Protocol::All,
        6 => Protocol::Icmp { icmp: icmp(None) },
        7 => Protocol::Icmp {
            icmp: icmp(Some(3)),
        },
        8 => Protocol::Other { number: 47 },
        9 => Protocol::Other { number: 253 },
        10 => Protocol::Icmpv6 { icmp: icmp(None) },
        _ => tcp(3389, 3389),
    }
}

pub fn permission(protocol_index: u8, sources: &[u8]) -> IngressPermission {
    let mut permission = allow(protocol(protocol_index), &[]);
    for &source in sources {
        match usize::from(source) % (SOURCES.len() + 2) {
            PREFIX_LIST_SOURCE => {
                permission = allow_prefix_list_into(permission);
            }
            GROUP_SOURCE => permission.groups.push(GroupReference {
                group_id: "sg-peer".into(),
                user_id: None,
            }),
            i => {
                let extra = allow(permission.protocol, &[SOURCES[i]]);
                permission.ipv4_ranges.extend(extra.ipv4_ranges);
                permission.ipv6_ranges.extend(extra.ipv6_ranges);
            }
        }
    }
    permission
}

pub fn allow_prefix_list_into(mut permission: IngressPermission) -> IngressPermission {
    let reference = allow_prefix_list(permission.protocol, "pl-1").prefix_lists;
    if permission.prefix_lists.is_empty() {
        permission.prefix_lists = reference;
    }
    permission
}

pub fn route_targets(choice: u8) -> RouteTargets {
    match choice % 4 {
        0 => igw(),
        1 => to_instance(FIREWALL),
        2 => to_eni("eni-f00"),
        _ => RouteTargets {
            gateway_id: Some("vpce-1".into()),
            ..RouteTargets::default()
        },
    }
}

/// An interface: subnet index, whether it has an IPv6 address, group indices.
pub type InterfaceSpec = (u8, bool, Vec<u8>);

#[derive(Debug, Clone)]
pub struct WorldSpec {
    main_route: u8,
    b_route: u8,
    groups: Vec<Vec<(u8, Vec<u8>)>>,
    /// Per instance: state and interfaces.
    instances: Vec<(u8, Vec<InterfaceSpec>)>,
    prefix_entries: Vec<u8>,
    /// Unmanaged rules above the bottom rule: kind and target instance.
    unmanaged: Vec<(u8, u8)>,
    app_id: bool,
    shared_service: bool,
    /// Owned rules left by someone else or an older version: kind and target instance.
    leftovers: Vec<(u8, u8)>,
}

#[derive(Debug, Clone)]
pub enum Event {
    State(u8, u8),
    Authorize(u8, u8, Vec<u8>),
    Revoke(u8, u8),
    InterfaceGroups(u8, Vec<u8>),
    Route(u8, u8),
    PrefixList(Vec<u8>),
    Terminate(u8),
    Sync,
}

pub fn world_spec() -> impl Strategy<Value = WorldSpec> {
    let group = prop::collection::vec((0u8..12, prop::collection::vec(0u8..10, 1..3)), 0..4);
    let eni = (0u8..5, any::<bool>(), prop::collection::vec(0u8..4, 0..3));
    let instance = (0u8..4, prop::collection::vec(eni, 1..3));
    (
        0u8..4,
        0u8..4,
        prop::collection::vec(group, 4),
        prop::collection::vec(instance, 1..6),
        prop::collection::vec(0u8..5, 0..4),
        prop::collection::vec((0u8..4, 0u8..6), 0..4),
        any::<bool>(),
        (any::<bool>(), prop::collection::vec((0u8..4, 0u8..6), 0..3)),
    )
        .prop_map(
            |(
                main_route,
                b_route,
                groups,
                instances,
                prefix_entries,
                unmanaged,
                app_id,
                (shared_service, leftovers),
            )| {
                WorldSpec {
                    main_route,
                    b_route,
                    groups,
                    instances,
                    prefix_entries,
                    unmanaged,
                    app_id,
                    shared_service,
                    leftovers,
                }
            },
        )
}

pub fn random_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (0u8..6, 0u8..4).prop_map(|(i, s)| Event::State(i, s)),
        (0u8..4, 0u8..12, prop::collection::vec(0u8..10, 1..3))
            .prop_map(|(g, p, s)| Event::Authorize(g, p, s)),
        (0u8..4, 0u8..4).prop_map(|(g, p)| Event::Revoke(g, p)),
        (0u8..12, prop::collection::vec(0u8..4, 0..3))
            .prop_map(|(e, g)| Event::InterfaceGroups(e, g)),
        (0u8..3, 0u8..4).prop_map(|(t, c)| Event::Route(t, c)),
        prop::collection::vec(0u8..5, 0..4).prop_map(Event::PrefixList),
        (0u8..6).prop_map(Event::Terminate),
        Just(Event::Sync),
    ]
}

pub fn group_id(index: u8) -> String {
    format!("sg-{}", index % 4 + 1)
}

pub fn instance_id(index: usize) -> String {
    format!("i-{}", index + 1)
}

pub fn address(instance: usize, eni: usize, subnet: u8) -> String {
    format!("10.0.{}.{}", subnet + 1, instance * 4 + eni + 1)
}

pub struct World {
    pub topology: Topology,
    pub settings: Settings,
    pub firewall: InMemoryFirewall,
}

pub fn build(spec: &WorldSpec) -> World {
    let mut net = Net::new()
        .route_table(
            "rtb-b",
            false,
            vec![route("0.0.0.0/0", route_targets(spec.b_route))],
        )
        .route_table("rtb-g", false, vec![route("0.0.0.0/0", route_targets(3))])
        .subnet("subnet-b", Some("rtb-b"))
        .subnet("subnet-c", None)
        .subnet("subnet-g", Some("rtb-g"))
        .prefix_list(
            "pl-1",
            &spec
                .prefix_entries
                .iter()
                .map(|&e| PREFIX_ENTRIES[usize::from(e)])
                .collect::<Vec<_>>(),
        );
    net.topology.route_tables[0].routes = vec![route("0.0.0.0/0", route_targets(spec.main_route))];
    for (g, permissions) in spec.groups.iter().enumerate() {
        let ingress = permissions.iter().map(|(p, s)| permission(*p, s)).collect();
        net = net.group(&group_id(g as u8), ingress);
    }
    for (i, (state, enis)) in spec.instances.iter().enumerate() {
        let id = instance_id(i);
        net = net.instance(&id, STATES[usize::from(*state)]);
        for (e, (subnet, v6, groups)) in enis.iter().enumerate() {
            let v4 = address(i, e, *subnet);
            let v6_address = format!("2600:1f00::{}", i * 4 + e + 1);
            let v6_list: Vec<&str> = if *v6 {
                vec![v6_address.as_str()]
            } else {
                vec![]
            };
            let groups: Vec<String> = groups.iter().map(|g| group_id(*g)).collect();
            let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
            net = net.eni(
                &format!("eni-{}{}", i + 1, e),
                &id,
                SUBNETS[usize::from(*subnet)],
                &[v4.as_str()],
                &v6_list,
                &groups,
            );
        }
    }
    let settings = super::settings()
        .with_app_id(spec.app_id)
        .with_internal_cidrs(vec![net_("192.168.0.0/16")])
        .with_extra_route_targets(vec!["vpce-1".into()])
        .expect("valid targets");
    let mut rules: Vec<ObservedRule> = spec
        .unmanaged
        .iter()
        .enumerate()
        .map(|(n, &(kind, target))| {
            let target = usize::from(target) % spec.instances.len();
            let subnet = spec.instances[target].1[0].0;
            let destination = address(target, 0, subnet);
            let name = format!("unmanaged-{n}");
            match kind {
                0 => unmanaged_allow(&name, "203.0.113.7", &destination, "ssh"),
                1 => ObservedRule {
                    action: RuleAction::Deny,
                    ..unmanaged_allow(&name, "198.51.100.0/24", &destination, "any")
                },
                2 => unmanaged_allow(&name, "any", &destination, "ssl"),
                _ => ObservedRule {
                    services: vec!["any".into()],
                    ..unmanaged_allow(&name, "2001:db8::7", "any", "any")
                },
            }
        })
        .collect();
    for (n, &(kind, target)) in spec.leftovers.iter().enumerate() {
        let target = usize::from(target) % spec.instances.len();
        let destination = address(target, 0, spec.instances[target].1[0].0);
        let other = address((target + 1) % spec.instances.len(), 0, 0);
        rules.insert(0, leftover(n, kind, &destination, &other));
    }
    rules.push(InMemoryFirewall::catch_all(BOTTOM, RuleAction::Deny));
    rules.push(InMemoryFirewall::catch_all(
        "after cleanup",
        RuleAction::Allow,
    ));
    let services = if spec.shared_service {
        vec![ObservedService {
            name: "tcp_8080".into(),
            protocol: PortProtocol::Tcp,
            ports: "8080".into(),
            source_ports: None,
            tags: vec!["shared".into()],
        }]
    } else {
        Vec::new()
    };
    World {
        topology: net.build(),
        settings,
        firewall: InMemoryFirewall::new(rules, services),
    }
}

/// An owned rule in a shape or place palosync would not leave it in.
fn leftover(n: usize, kind: u8, destination: &str, other: &str) -> ObservedRule {
    let rule = ObservedRule {
        tags: vec!["palosync".into()],
        ..unmanaged_allow(&format!("sg-9-{n}"), "203.0.113.7", destination, "ssh")
    };
    match kind {
        // Two destinations, two sources, misplaced at the top.
        0 => ObservedRule {
            sources: vec!["203.0.113.7".into(), "198.51.100.0/24".into()],
            destinations: vec![destination.into(), other.into()],
            ..rule
        },
        // An address object palosync never writes.
        1 => ObservedRule {
            destinations: vec!["web-servers".into()],
            ..rule
        },
        // Drifted envelope and a service object that may not exist.
        2 => ObservedRule {
            to_zones: vec!["any".into()],
            applications: vec!["any".into()],
            services: vec!["tcp_8080".into()],
            ..rule
        },
        // Wider than anything desired, named after an instance.
        _ => ObservedRule {
            name: format!("i-9-{n}"),
            sources: vec!["any".into()],
            applications: vec!["any".into()],
            services: vec!["any".into()],
            ..rule
        },
    }
}

pub fn net_(text: &str) -> ipnet::IpNet {
    super::net(text)
}

/// Change the world as the event says; the key its notification carries.
pub fn happen(topology: &mut Topology, event: &Event) -> Scope {
    let provenance = super::event("Event");
    let key = match event {
        Event::State(i, s) => {
            let Some(instance) = topology
                .instances
                .iter_mut()
                .filter(|i| i.id != FIREWALL)
                .nth(usize::from(*i))
            else {
                return Scope::everything(provenance);
            };
            instance.state = STATES[usize::from(*s)];
            ReconcileKey::Instance(instance.id.clone())
        }
        Event::Authorize(g, p, s) => {
            let group = &mut topology.security_groups[usize::from(*g)];
            group.ingress.push(permission(*p, s));
            ReconcileKey::SecurityGroup(group.id.clone())
        }
        Event::Revoke(g, p) => {
            let group = &mut topology.security_groups[usize::from(*g)];
            if !group.ingress.is_empty() {
                let p = usize::from(*p) % group.ingress.len();
                group.ingress.remove(p);
            }
            ReconcileKey::SecurityGroup(group.id.clone())
        }
        Event::InterfaceGroups(e, groups) => {
            let enis: Vec<_> = topology
                .network_interfaces
                .iter_mut()
                .filter(|n| n.id != "eni-f00")
                .collect();
            if enis.is_empty() {
                return Scope::everything(provenance);
            }
            let count = enis.len();
            let eni = enis
                .into_iter()
                .nth(usize::from(*e) % count)
                .expect("in range");
            eni.security_groups = groups
                .iter()
                .map(|g| group_id(*g).as_str().into())
                .collect();
            ReconcileKey::NetworkInterface(eni.id.clone())
        }
        Event::Route(t, c) => {
            let table = &mut topology.route_tables[usize::from(*t) % 3];
            let family = if *c % 2 == 0 { "0.0.0.0/0" } else { "::/0" };
            table
                .routes
                .retain(|r| r.destination != model::RouteDestination::Cidr(net_(family)));
            table.routes.push(route(family, route_targets(*c)));
            ReconcileKey::RouteTable(table.id.clone())
        }
        Event::PrefixList(entries) => {
            topology.prefix_lists[0].entries = entries
                .iter()
                .map(|&e| model::PrefixListEntry {
                    cidr: net_(PREFIX_ENTRIES[usize::from(e)]),
                    description: None,
                })
                .collect();
            ReconcileKey::PrefixList("pl-1".into())
        }
        Event::Terminate(i) => {
            let Some(id) = topology
                .instances
                .iter()
                .map(|i| i.id.clone())
                .filter(|i| i != FIREWALL)
                .nth(usize::from(*i))
            else {
                return Scope::everything(provenance);
            };
            topology.instances.retain(|instance| instance.id != id);
            topology
                .network_interfaces
                .retain(|n| n.attached_instance() != Some(&id));
            topology.absent_instances.push(id.clone());
            ReconcileKey::Instance(id)
        }
        Event::Sync => ReconcileKey::Everything,
    };
    Scope::single(key, provenance)
}
