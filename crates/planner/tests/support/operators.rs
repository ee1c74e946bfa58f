//! Random operator rulebases for the shadowing properties: allow, deny and drop rules with CIDR
//! sources, ranges, wildcards, address objects and nested groups, service objects with port
//! lists and service groups, negation, placed above the managed block. Every name resolves, so
//! static analysis can decide all of it (except where the default ports of an App-ID are only
//! partly known, which stays a question).

use planner::testing::InMemoryFirewall;
use planner::{
    AddressValue, DeviceObjects, ObservedAddress, ObservedAddressGroup, ObservedRule,
    ObservedService, ObservedServiceGroup, PortProtocol, RuleAction,
};
use proptest::prelude::*;

pub const OPERATOR_SOURCES: &[&str] = &[
    "any",
    "198.51.100.0/24",
    "198.51.100.0/25",
    "198.51.100.128/25",
    "203.0.113.0/24",
    "203.0.113.7",
    "0.0.0.0/1",
    "128.0.0.0/1",
    "2001:db8::/32",
    "198.51.100.10-198.51.100.250",
    "obj-range",
    "obj-net",
    "grp-partners",
    "obj-even",
];
pub const OPERATOR_DESTINATIONS: &[&str] = &[
    "any",
    "10.0.0.0/16",
    "10.0.1.0/24",
    "10.0.2.0/25",
    "obj-vpc",
    "2600:1f00::/56",
];
pub const OPERATOR_APPLICATIONS: &[&str] = &["any", "ssh", "ssl", "web-browsing"];
pub const OPERATOR_SERVICES: &[&str] = &[
    "application-default",
    "any",
    "svc-22",
    "svc-range",
    "svc-group",
    "service-https",
];
const ACTIONS: &[RuleAction] = &[RuleAction::Allow, RuleAction::Deny, RuleAction::Drop];

/// One operator rule: action, source, destination, application, service, negate source.
pub type OperatorSpec = (u8, u8, u8, u8, u8, bool);

pub fn operator_rules() -> impl Strategy<Value = Vec<OperatorSpec>> {
    prop::collection::vec(
        (
            0u8..5,
            0..OPERATOR_SOURCES.len() as u8,
            0..OPERATOR_DESTINATIONS.len() as u8,
            0..OPERATOR_APPLICATIONS.len() as u8,
            0..OPERATOR_SERVICES.len() as u8,
            prop::bool::weighted(0.15),
        ),
        1..5,
    )
}

pub fn operator_rule(n: usize, spec: &OperatorSpec) -> ObservedRule {
    let &(action, source, destination, application, service, negate) = spec;
    // Allow twice as often as each other action.
    let action = ACTIONS[usize::from(action % 4).saturating_sub(1)];
    ObservedRule {
        name: format!("operator-{n}"),
        action,
        sources: vec![OPERATOR_SOURCES[usize::from(source)].into()],
        destinations: vec![OPERATOR_DESTINATIONS[usize::from(destination)].into()],
        applications: vec![OPERATOR_APPLICATIONS[usize::from(application)].into()],
        services: vec![OPERATOR_SERVICES[usize::from(service)].into()],
        negate_source: negate,
        from_zones: vec!["untrust".into()],
        to_zones: vec!["trust".into()],
        ..InMemoryFirewall::catch_all("operator", RuleAction::Allow)
    }
}

/// The objects the operator rules name.
pub fn operator_objects() -> (DeviceObjects, Vec<ObservedService>) {
    let address = |name: &str, value| ObservedAddress {
        name: name.into(),
        value,
        tags: vec![],
    };
    let objects = DeviceObjects {
        addresses: vec![
            address(
                "obj-range",
                AddressValue::IpRange("198.51.100.0-198.51.100.200".into()),
            ),
            address("obj-net", AddressValue::IpNetmask("203.0.113.0/25".into())),
            address(
                "obj-even",
                AddressValue::IpWildcard("198.51.100.0/0.0.0.254".into()),
            ),
            address("obj-vpc", AddressValue::IpNetmask("10.0.0.0/16".into())),
        ],
        address_groups: vec![
            ObservedAddressGroup {
                name: "grp-inner".into(),
                static_members: vec!["203.0.113.128/25".into()],
                dynamic_filter: None,
                tags: vec![],
                description: String::new(),
            },
            ObservedAddressGroup {
                name: "grp-partners".into(),
                static_members: vec!["obj-net".into(), "grp-inner".into()],
                dynamic_filter: None,
                tags: vec![],
                description: String::new(),
            },
        ],
        service_groups: vec![ObservedServiceGroup {
            name: "svc-group".into(),
            members: vec!["svc-22".into(), "svc-8080".into()],
            tags: vec![],
        }],
        ..DeviceObjects::default()
    };
    let service = |name: &str, ports: &str| ObservedService {
        name: name.into(),
        protocol: PortProtocol::Tcp,
        ports: ports.into(),
        source_ports: None,
        tags: vec![],
    };
    let services = vec![
        service("svc-22", "22"),
        service("svc-8080", "8080"),
        service("svc-range", "1000-1500,1501-2000"),
    ];
    (objects, services)
}

/// Put the operator rules on top of `firewall`, with their objects.
pub fn add_operators(firewall: &mut InMemoryFirewall, specs: &[OperatorSpec]) {
    let (objects, services) = operator_objects();
    for (n, spec) in specs.iter().enumerate() {
        firewall.rules.insert(n, operator_rule(n, spec));
    }
    firewall.objects.addresses.extend(objects.addresses);
    firewall
        .objects
        .address_groups
        .extend(objects.address_groups);
    firewall
        .objects
        .service_groups
        .extend(objects.service_groups);
    firewall.services.extend(services);
}
