//! Scenarios: which interfaces are behind the firewall, which sources are external, and how
//! permissions become applications and services.

mod support;

use model::{IcmpMatch, InstanceState, Protocol};
use support::*;

/// Full-sync the topology onto an empty firewall; the managed allowances, as text.
fn synced(topology: &model::Topology, settings: &model::Settings) -> Vec<String> {
    let mut firewall = empty_firewall();
    converge(&mut firewall, topology, settings, &sync());
    let got = allowances(&firewall, settings);
    let oracle: Vec<String> = support::oracle::desired(topology, settings)
        .iter()
        .map(|a| format!("{} -> {} {}", a.source, a.destination, a.service))
        .collect();
    assert_eq!(got, oracle, "planner and oracle disagree");
    got
}

fn ssh_from(cidr: &str) -> Vec<model::IngressPermission> {
    vec![allow(tcp(22, 22), &[cidr])]
}

#[test]
fn subnet_without_association_falls_back_to_the_main_table() {
    let topology = Net::new().route_table("rtb-main2", false, vec![]).build();
    // Make the main table route through the firewall, and put a server on an unassociated subnet.
    let mut topology = topology;
    topology.route_tables[0].routes = vec![route("0.0.0.0/0", to_instance(FIREWALL))];
    let topology = Net { topology }
        .subnet("subnet-main", None)
        .instance("i-1", InstanceState::Running)
        .eni("eni-1", "i-1", "subnet-main", &["10.0.5.5"], &[], &["sg-1"])
        .group("sg-1", ssh_from("203.0.113.0/24"))
        .build();
    assert_eq!(
        synced(&topology, &settings()),
        ["203.0.113.0/24 -> 10.0.5.5 ssh/application-default"]
    );
}

#[test]
fn route_naming_only_the_firewall_interface_counts() {
    let topology = Net::new()
        .route_table(
            "rtb-eni",
            false,
            vec![route("0.0.0.0/0", to_eni("eni-f00"))],
        )
        .subnet("subnet-b", Some("rtb-eni"))
        .instance("i-1", InstanceState::Running)
        .eni("eni-1", "i-1", "subnet-b", &["10.0.6.6"], &[], &["sg-1"])
        .group("sg-1", ssh_from("203.0.113.0/24"))
        .build();
    assert_eq!(synced(&topology, &settings()).len(), 1);
}

#[test]
fn gwlb_endpoint_is_a_firewall_target_only_when_configured() {
    let endpoint = model::RouteTargets {
        gateway_id: Some("vpce-0gwlb".into()),
        ..model::RouteTargets::default()
    };
    let topology = Net::new()
        .route_table("rtb-gwlb", false, vec![route("0.0.0.0/0", endpoint)])
        .subnet("subnet-g", Some("rtb-gwlb"))
        .instance("i-1", InstanceState::Running)
        .eni("eni-1", "i-1", "subnet-g", &["10.0.7.7"], &[], &["sg-1"])
        .group("sg-1", ssh_from("203.0.113.0/24"))
        .build();
    assert!(synced(&topology, &settings()).is_empty());
    let with_endpoint = settings()
        .with_extra_route_targets(vec!["vpce-0gwlb".into()])
        .expect("valid targets");
    assert_eq!(synced(&topology, &with_endpoint).len(), 1);
}

#[test]
fn internet_gateway_subnet_is_out_of_scope() {
    let topology = Net::new()
        .instance("i-1", InstanceState::Running)
        .eni("eni-1", "i-1", "subnet-pub", &["10.0.8.8"], &[], &["sg-1"])
        .group("sg-1", ssh_from("0.0.0.0/0"))
        .build();
    assert!(synced(&topology, &settings()).is_empty());
}

#[test]
fn stopped_instance_gets_no_rules() {
    let topology = Net::new()
        .instance("i-1", InstanceState::Stopped)
        .eni("eni-1", "i-1", "subnet-a", &["10.0.1.1"], &[], &["sg-1"])
        .group("sg-1", ssh_from("0.0.0.0/0"))
        .build();
    assert!(synced(&topology, &settings()).is_empty());
}

#[test]
fn multi_interface_instance_with_one_interface_in_scope() {
    let topology = Net::new()
        .instance("i-1", InstanceState::Running)
        .eni("eni-1a", "i-1", "subnet-a", &["10.0.1.1"], &[], &["sg-1"])
        .eni("eni-1b", "i-1", "subnet-pub", &["10.0.9.9"], &[], &["sg-1"])
        .group("sg-1", ssh_from("203.0.113.9/32"))
        .build();
    assert_eq!(
        synced(&topology, &settings()),
        ["203.0.113.9/32 -> 10.0.1.1 ssh/application-default"]
    );
}

#[test]
fn sources_inside_a_secondary_vpc_block_or_internal_cidrs_are_not_external() {
    let topology = Net::new()
        .server("i-1", "10.0.1.1", &["sg-1"])
        .group(
            "sg-1",
            vec![allow(
                tcp(22, 22),
                &["100.64.3.0/24", "192.168.0.0/24", "198.51.100.0/24"],
            )],
        )
        .build();
    let settings = settings().with_internal_cidrs(vec![net("192.168.0.0/16")]);
    assert_eq!(
        synced(&topology, &settings),
        ["198.51.100.0/24 -> 10.0.1.1 ssh/application-default"]
    );
}

#[test]
fn ipv6_sources_pair_only_with_ipv6_destinations() {
    let topology = Net::new()
        .instance("i-1", InstanceState::Running)
        .eni(
            "eni-1",
            "i-1",
            "subnet-a",
            &["10.0.1.1"],
            &["2600:1f00::10"],
            &["sg-1"],
        )
        .group(
            "sg-1",
            vec![
                allow(tcp(443, 443), &["::/0"]),
                allow(tcp(80, 80), &["0.0.0.0/0", "2001:db8::/32"]),
            ],
        )
        .build();
    assert_eq!(
        synced(&topology, &settings()),
        [
            "any -> 10.0.1.1 web-browsing/application-default",
            "any -> 2600:1f00::10 ssl/application-default",
            "2001:db8::/32 -> 2600:1f00::10 web-browsing/application-default",
        ]
    );
}

#[test]
fn ipv6_only_permission_opens_nothing_to_an_ipv4_only_instance() {
    let topology = Net::new()
        .server("i-1", "10.0.1.1", &["sg-1"])
        .group("sg-1", vec![allow(Protocol::All, &["::/0"])])
        .build();
    assert!(synced(&topology, &settings()).is_empty());
}

#[test]
fn prefix_list_entries_are_classified_one_by_one() {
    let topology = Net::new()
        .server("i-1", "10.0.1.1", &["sg-1"])
        .prefix_list("pl-1", &["10.0.200.0/24", "203.0.113.0/24"])
        .group("sg-1", vec![allow_prefix_list(tcp(22, 22), "pl-1")])
        .build();
    assert_eq!(
        synced(&topology, &settings()),
        ["203.0.113.0/24 -> 10.0.1.1 ssh/application-default"]
    );
}

#[test]
fn group_references_are_never_external() {
    let mut permission = allow(tcp(22, 22), &[]);
    permission.groups.push(model::GroupReference {
        group_id: "sg-other".into(),
        user_id: None,
    });
    let topology = Net::new()
        .server("i-1", "10.0.1.1", &["sg-1"])
        .group("sg-1", vec![permission])
        .build();
    assert!(synced(&topology, &settings()).is_empty());
}

#[test]
fn port_range_gets_a_full_range_service_object() {
    let topology = Net::new()
        .server("i-1", "10.0.1.1", &["sg-1"])
        .group("sg-1", vec![allow(tcp(1000, 2000), &["203.0.113.0/24"])])
        .build();
    let mut firewall = empty_firewall();
    let plan = converge(&mut firewall, &topology, &settings(), &sync());
    assert_eq!(
        allowances(&firewall, &settings()),
        ["203.0.113.0/24 -> 10.0.1.1 any/tcp_1000-2000"]
    );
    let service = &firewall.services[0];
    assert_eq!(
        (service.name.as_str(), service.ports.as_str()),
        ("tcp_1000-2000", "1000-2000")
    );
    assert_eq!(service.tags, ["palosync"]);
    assert!(matches!(
        plan.operations[0],
        planner::Operation::CreateService { .. }
    ));
}

#[test]
fn all_traffic_is_any_application_on_any_service() {
    let topology = Net::new()
        .server("i-1", "10.0.1.1", &["sg-1"])
        .group("sg-1", vec![allow(Protocol::All, &["203.0.113.0/24"])])
        .build();
    assert_eq!(
        synced(&topology, &settings()),
        ["203.0.113.0/24 -> 10.0.1.1 any/any"]
    );
}

#[test]
fn icmp_becomes_the_icmp_application() {
    let topology = Net::new()
        .server("i-1", "10.0.1.1", &["sg-1"])
        .group(
            "sg-1",
            vec![allow(
                Protocol::Icmp {
                    icmp: IcmpMatch::ANY,
                },
                &["203.0.113.0/24"],
            )],
        )
        .build();
    assert_eq!(
        synced(&topology, &settings()),
        ["203.0.113.0/24 -> 10.0.1.1 icmp/application-default"]
    );
}

#[test]
fn unknown_protocol_number_is_skipped_with_a_reason() {
    let topology = Net::new()
        .server("i-1", "10.0.1.1", &["sg-1"])
        .group(
            "sg-1",
            vec![allow(Protocol::Other { number: 253 }, &["0.0.0.0/0"])],
        )
        .build();
    let plan = empty_firewall()
        .plan(&topology, &settings(), &sync())
        .expect("plan");
    assert!(plan.is_empty());
    assert_eq!(plan.skipped.len(), 1);
    assert_eq!(plan.skipped[0].group, "sg-1");
    assert_eq!(plan.skipped[0].permission, "protocol 253");
    assert!(
        plan.skipped[0].reason.contains("no App-ID"),
        "{}",
        plan.skipped[0].reason
    );
}

#[test]
fn app_id_off_uses_service_objects_for_well_known_ports() {
    let topology = Net::new()
        .server("i-1", "10.0.1.1", &["sg-1"])
        .group("sg-1", ssh_from("203.0.113.0/24"))
        .build();
    let settings = settings().with_app_id(false);
    assert_eq!(
        synced(&topology, &settings),
        ["203.0.113.0/24 -> 10.0.1.1 any/tcp_22"]
    );
}
