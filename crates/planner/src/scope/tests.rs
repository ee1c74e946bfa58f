use super::*;
use model::{
    Attachment, Instance, InstanceState, Route, RouteDestination, RouteState, RouteTable,
    RouteTableAssociation, RouteTargets,
};

fn topology(routes: Vec<Route>) -> Topology {
    let eni = |id: &str, instance: &str| NetworkInterface {
        id: id.into(),
        vpc_id: "vpc-1".into(),
        subnet_id: "subnet-1".into(),
        attachment: Some(Attachment {
            instance_id: instance.into(),
            attachment_id: None,
            device_index: Some(0),
        }),
        private_ipv4: vec!["10.0.0.5".parse().unwrap()],
        ipv6: vec!["2600::5".parse().unwrap()],
        security_groups: vec![],
    };
    let instance = |id: &str| Instance {
        id: id.into(),
        state: InstanceState::Running,
        vpc_id: None,
    };
    Topology {
        vpcs: vec![model::Vpc {
            id: "vpc-1".into(),
            cidr_blocks: vec![],
        }],
        subnets: vec![model::Subnet {
            id: "subnet-1".into(),
            vpc_id: "vpc-1".into(),
            ipv4_cidr: None,
            ipv6_cidrs: vec![],
        }],
        route_tables: vec![RouteTable {
            id: "rtb-1".into(),
            vpc_id: "vpc-1".into(),
            associations: vec![RouteTableAssociation {
                id: "rtbassoc-1".into(),
                main: true,
                subnet_id: None,
                gateway_id: None,
            }],
            routes,
        }],
        instances: vec![instance("i-1"), instance("i-fw")],
        network_interfaces: vec![eni("eni-1", "i-1"), eni("eni-fw", "i-fw")],
        ..Topology::default()
    }
}

fn default_route(cidr: &str, state: RouteState) -> Route {
    Route {
        destination: RouteDestination::Cidr(cidr.parse().unwrap()),
        targets: RouteTargets {
            instance_id: Some("i-fw".into()),
            ..RouteTargets::default()
        },
        state,
    }
}

fn in_scope(routes: Vec<Route>) -> Vec<(String, Vec<IpAddr>)> {
    let settings = Settings::new("i-fw", "b", "u", "t").unwrap();
    let topology = topology(routes);
    in_scope_enis(&topology, &settings)
        .in_scope
        .iter()
        .map(|e| (e.eni.id.to_string(), e.addresses().collect()))
        .collect()
}

#[test]
fn each_family_needs_its_own_default_route() {
    let v6_only = in_scope(vec![default_route("::/0", RouteState::Active)]);
    assert_eq!(
        v6_only,
        [("eni-1".into(), vec!["2600::5".parse().unwrap()])]
    );
    let v4_only = in_scope(vec![default_route("0.0.0.0/0", RouteState::Active)]);
    assert_eq!(
        v4_only,
        [("eni-1".into(), vec!["10.0.0.5".parse().unwrap()])]
    );
}

#[test]
fn blackhole_routes_count_non_default_routes_do_not_and_the_firewall_is_never_a_destination() {
    let stopped_firewall = in_scope(vec![default_route("0.0.0.0/0", RouteState::Blackhole)]);
    assert_eq!(stopped_firewall.len(), 1);
    assert!(in_scope(vec![default_route("0.0.0.0/1", RouteState::Active)]).is_empty());
    let both = in_scope(vec![
        default_route("0.0.0.0/0", RouteState::Active),
        default_route("::/0", RouteState::Active),
    ]);
    assert_eq!(both.len(), 1, "the firewall's own interface is excluded");
    assert_eq!(both[0].1.len(), 2);
}

const SERVICE: &str = "vpce-svc-0f1";

fn to(target: &str, cidr: &str) -> Route {
    let mut targets = RouteTargets::default();
    match target.split('-').next() {
        Some("i") => targets.instance_id = Some(target.into()),
        Some("eni") => targets.network_interface_id = Some(target.into()),
        _ => targets.gateway_id = Some(target.into()),
    }
    Route {
        destination: RouteDestination::Cidr(cidr.parse().unwrap()),
        targets,
        state: RouteState::Active,
    }
}

/// A spoke: subnet-1 is 10.0.0.0/24 and 2600::/64 in vpc-1 (10.0.0.0/16), the firewall's
/// interface eni-fw, endpoints vpce-fw (of SERVICE) and vpce-other (of another service), an
/// internet gateway igw-1 whose edge table holds `edge` routes.
fn spoke(subnet_routes: Vec<Route>, edge: Vec<Route>) -> Topology {
    let mut topology = topology(subnet_routes);
    topology.subnets[0].ipv4_cidr = Some("10.0.0.0/24".parse().unwrap());
    topology.subnets[0].ipv6_cidrs = vec!["2600::/64".parse().unwrap()];
    let endpoint = |id: &str, service: &str| model::VpcEndpoint {
        id: id.into(),
        vpc_id: "vpc-1".into(),
        service_name: format!("com.amazonaws.vpce.eu-west-1.{service}"),
        subnet_ids: vec![],
    };
    topology.vpc_endpoints = vec![
        endpoint("vpce-fw", SERVICE),
        endpoint("vpce-other", "vpce-svc-0ee"),
    ];
    if !edge.is_empty() {
        let mut routes = vec![to("local", "10.0.0.0/16")];
        routes.extend(edge);
        topology.route_tables.push(RouteTable {
            id: "rtb-edge".into(),
            vpc_id: "vpc-1".into(),
            associations: vec![RouteTableAssociation {
                id: "rtbassoc-edge".into(),
                main: false,
                subnet_id: None,
                gateway_id: Some("igw-1".into()),
            }],
            routes,
        });
    }
    topology
}

fn gwlb_settings() -> Settings {
    Settings::new("i-fw", "b", "u", "t")
        .unwrap()
        .with_gwlb_services(vec![SERVICE.into()])
        .unwrap()
}

/// `(eni, ipv4 in scope, ipv6 in scope)` of every in-scope interface, and the incomplete ones.
fn scoped(topology: &Topology) -> (Vec<(String, bool, bool)>, Vec<String>) {
    let settings = gwlb_settings();
    let scoped = in_scope_enis(topology, &settings);
    let in_scope = scoped.in_scope.iter();
    let in_scope = in_scope.map(|e| (e.eni.id.to_string(), e.ipv4, e.ipv6));
    let incomplete = scoped.incomplete.iter().map(|i| i.reason.clone());
    (in_scope.collect(), incomplete.collect())
}

#[test]
fn a_default_route_to_an_endpoint_of_a_configured_service_is_through_the_firewall() {
    let topology = spoke(vec![to("vpce-fw", "0.0.0.0/0")], vec![]);
    assert_eq!(scoped(&topology).0, [("eni-1".into(), true, false)]);
}

#[test]
fn a_default_route_to_an_endpoint_of_another_service_is_not() {
    let topology = spoke(vec![to("vpce-other", "0.0.0.0/0")], vec![]);
    assert_eq!(scoped(&topology), (vec![], vec![]));
    // Without any configured service a vpce route means nothing (unless an extra target).
    let settings = Settings::new("i-fw", "b", "u", "t").unwrap();
    let fw = spoke(vec![to("vpce-fw", "0.0.0.0/0")], vec![]);
    assert!(in_scope_enis(&fw, &settings).in_scope.is_empty());
}

#[test]
fn a_route_to_an_endpoint_the_read_lacks_is_undecided_and_a_deleted_one_leads_nowhere() {
    let mut topology = spoke(vec![to("vpce-unread", "0.0.0.0/0")], vec![]);
    let (in_scope, incomplete) = scoped(&topology);
    assert!(in_scope.is_empty());
    assert_eq!(
        incomplete,
        [
            "rtb-1 (main): default route to vpce-unread, endpoint vpce-unread is not in the \
          topology read, undecided"
        ]
    );
    topology.absent_vpc_endpoints = vec!["vpce-unread".into()];
    assert_eq!(scoped(&topology), (vec![], vec![]));
}

#[test]
fn an_edge_route_for_the_subnet_to_the_firewall_interface_is_through_while_its_default_route_goes_to_the_gateway()
 {
    let topology = spoke(
        vec![to("igw-1", "0.0.0.0/0")],
        vec![to("eni-fw", "10.0.0.0/24")],
    );
    assert_eq!(scoped(&topology).0, [("eni-1".into(), true, false)]);
    let settings = gwlb_settings();
    let routes = RouteIndex::new(&topology);
    let firewall = FirewallTargets::new(&topology, &settings);
    let why = firewall
        .subnet_scope(&routes, &topology.subnets[0], IpFamily::V4)
        .unwrap();
    assert_eq!(
        why.why,
        "internet gateway igw-1 edge table rtb-edge sends 10.0.0.0/24 to eni-fw, through the \
         firewall"
    );
}

#[test]
fn an_edge_route_to_an_endpoint_counts_per_family() {
    let topology = spoke(
        vec![to("igw-1", "0.0.0.0/0"), to("igw-1", "::/0")],
        vec![to("vpce-fw", "2600::/64")],
    );
    assert_eq!(scoped(&topology).0, [("eni-1".into(), false, true)]);
}

#[test]
fn an_edge_route_for_another_subnet_is_not() {
    let topology = spoke(
        vec![to("igw-1", "0.0.0.0/0")],
        vec![
            to("eni-fw", "10.0.1.0/24"),
            to("vpce-fw", "2600:0:0:1::/64"),
        ],
    );
    assert_eq!(scoped(&topology), (vec![], vec![]));
}

#[test]
fn the_most_specific_edge_route_wins() {
    // The VPC's block to the firewall, the subnet's own block back to local: not through.
    let back_to_local = spoke(
        vec![to("igw-1", "0.0.0.0/0")],
        vec![to("eni-fw", "10.0.0.0/8"), to("local", "10.0.0.0/24")],
    );
    assert_eq!(scoped(&back_to_local), (vec![], vec![]));
    // A larger block to the firewall covers the subnet when nothing more specific does.
    let larger = spoke(
        vec![to("igw-1", "0.0.0.0/0")],
        vec![to("local", "10.0.0.0/8"), to("i-fw", "10.0.0.0/20")],
    );
    assert_eq!(scoped(&larger).0, [("eni-1".into(), true, false)]);
}

#[test]
fn edge_tables_of_other_gateways_do_not_count() {
    let mut topology = spoke(
        vec![to("igw-1", "0.0.0.0/0")],
        vec![to("eni-fw", "10.0.0.0/24")],
    );
    topology.route_tables[1].associations[0].gateway_id = Some("vgw-1".into());
    assert_eq!(scoped(&topology), (vec![], vec![]));
}
