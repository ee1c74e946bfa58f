//! Property: the planner's static shadow analysis against a brute-force first-match evaluation
//! of sampled flows (the in-memory firewall's evaluator, written apart from it), over random
//! operator rulebases with CIDRs, ranges, wildcards, objects, nested groups, service groups and
//! negation. A static "covered" must hold on every sampled flow (never narrower than desired);
//! with at most one operator allow rule, a static "not covered" must be visible on some flow
//! (no redundant managed twin where one rule already allows it all).

mod support;

use model::{IcmpMatch, PortRange, Protocol};
use planner::services::service_for;
use planner::shadow::StaticShadows;
use planner::{Allowance, RuleAction, Source, StaticVerdict};
use proptest::prelude::*;
use support::operators::{add_operators, operator_rules};
use support::*;

const ALLOWANCE_SOURCES: &[&str] = &[
    "any",
    "198.51.100.0/24",
    "198.51.100.0/25",
    "198.51.100.128/26",
    "203.0.113.7/32",
    "203.0.113.0/24",
    "192.0.2.0/24",
    "2001:db8::/32",
    "2001:db8::7/128",
];

fn allowance_protocol(index: u8) -> Protocol {
    match index % 8 {
        0 => tcp(22, 22),
        1 => tcp(443, 443),
        2 => tcp(8080, 8080),
        3 => tcp(1000, 2000),
        4 => Protocol::Udp {
            ports: PortRange::single(53),
        },
        5 => Protocol::All,
        6 => Protocol::Icmp {
            icmp: IcmpMatch::ANY,
        },
        _ => tcp(1500, 1501),
    }
}

fn allowance() -> impl Strategy<Value = Allowance> {
    (0..ALLOWANCE_SOURCES.len(), 0u8..3, 0u8..8, any::<bool>()).prop_map(
        |(source, destination, protocol, app_id)| {
            let text = ALLOWANCE_SOURCES[source];
            let source = Source::parse_member(text).expect("a source");
            let v6 = text.contains(':');
            let destination = match (v6, destination) {
                (true, _) => "2600:1f00::5",
                (false, 0) => "10.0.1.10",
                (false, 1) => "10.0.2.200",
                (false, _) => "10.0.2.100",
            };
            Allowance {
                source,
                destination: destination.parse().expect("address"),
                service: service_for(&allowance_protocol(protocol), app_id).expect("mappable"),
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn static_shadowing_agrees_with_brute_force_first_match(
        operators in operator_rules(),
        allowances in prop::collection::vec(allowance(), 1..6),
    ) {
        let settings = settings();
        let mut firewall = empty_firewall();
        add_operators(&mut firewall, &operators);
        let bottom = firewall.rules.len() - 1;
        let shadows = StaticShadows::new(
            &firewall.rules,
            bottom,
            &firewall.services,
            &firewall.objects,
            &settings,
        );
        let allow_rules = firewall.rules[..bottom]
            .iter()
            .filter(|r| r.action == RuleAction::Allow)
            .count();
        for allowance in &allowances {
            let verdict = shadows.decide(allowance);
            let uncovered = firewall.flow_not_shadowed(allowance, &settings);
            match verdict {
                StaticVerdict::Covered { rule } => prop_assert!(
                    uncovered.is_none(),
                    "{allowance:?} called covered by {} but {uncovered:?} is not allowed by it: {:#?}",
                    firewall.rules[rule].name,
                    firewall.rules
                ),
                StaticVerdict::NotCovered if allow_rules <= 1 => prop_assert!(
                    uncovered.is_some(),
                    "{allowance:?} called not covered, yet every sampled flow is: {:#?}",
                    firewall.rules
                ),
                StaticVerdict::NotCovered | StaticVerdict::Undecidable => {}
            }
        }
    }
}

/// Group permissions: (protocol, IPv4 sources) per permission.
fn permissions() -> impl Strategy<Value = Vec<(u8, Vec<usize>)>> {
    prop::collection::vec((0u8..8, prop::collection::vec(0..7usize, 1..3)), 1..4)
}

fn group(permissions: &[(u8, Vec<usize>)]) -> Vec<model::IngressPermission> {
    permissions
        .iter()
        .map(|(protocol, sources)| {
            let cidrs: Vec<&str> = sources
                .iter()
                .map(|&s| match ALLOWANCE_SOURCES[s] {
                    "any" => "0.0.0.0/0",
                    cidr => cidr,
                })
                .collect();
            allow(allowance_protocol(*protocol), &cidrs)
        })
        .collect()
}

fn two_servers(sg1: &[(u8, Vec<usize>)], sg2: &[(u8, Vec<usize>)]) -> model::Topology {
    Net::new()
        .server("i-1", "10.0.1.10", &["sg-1"])
        .server("i-2", "10.0.1.20", &["sg-1", "sg-2"])
        .group("sg-1", group(sg1))
        .group("sg-2", group(sg2))
        .build()
}

/// Held never wider than desired; desired but not held only where every sampled flow
/// first-matches an operator allow rule above the block.
fn check(
    firewall: &planner::testing::InMemoryFirewall,
    topology: &model::Topology,
    settings: &model::Settings,
) -> Result<(), TestCaseError> {
    support::exact::check_exact(firewall, topology, settings)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn with_operator_rules_above_the_block_the_managed_rules_are_never_wider_and_never_narrower(
        operators in operator_rules(),
        app_id in any::<bool>(),
        sg1 in permissions(),
        sg2 in permissions(),
        changes in prop::collection::vec((any::<bool>(), permissions()), 0..4),
    ) {
        let settings = settings().with_app_id(app_id);
        let mut firewall = empty_firewall();
        add_operators(&mut firewall, &operators);
        let operator_rules: Vec<_> = firewall.rules.clone();
        let (mut sg1, mut sg2) = (sg1, sg2);
        let topology = two_servers(&sg1, &sg2);
        converge(&mut firewall, &topology, &settings, &sync());
        check(&firewall, &topology, &settings)?;
        for (first, permissions) in changes {
            let id = if first { sg1 = permissions; "sg-1" } else { sg2 = permissions; "sg-2" };
            let topology = two_servers(&sg1, &sg2);
            converge(&mut firewall, &topology, &settings, &group_key(id, "ModifySecurityGroupRules"));
            check(&firewall, &topology, &settings)?;
        }
        let untouched: Vec<_> = firewall
            .rules
            .iter()
            .filter(|r| !r.tags.contains(&settings.managed_tag))
            .cloned()
            .collect();
        prop_assert_eq!(untouched, operator_rules);
    }
}
