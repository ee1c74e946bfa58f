//! Scenario (offline, from a snapshot): a spoke VPC routes its default route to a Gateway Load
//! Balancer endpoint and names a second endpoint that was deleted. A full read covers the spoke
//! although no route in it names the firewall, carries the live endpoint with its service, and
//! lists the deleted one as absent; a VPC without such routes is left out, and an older
//! snapshot without endpoints still loads.

use aws::{Inventory, ScopeOptions, Snapshot, SnapshotInventory};
use model::{
    InstanceId, ReconcileKey, Route, RouteDestination, RouteState, RouteTable,
    RouteTableAssociation, RouteTargets, Topology, Vpc, VpcEndpoint,
};

fn main_table(id: &str, vpc: &str, routes: &[(&str, &str)]) -> RouteTable {
    RouteTable {
        id: id.into(),
        vpc_id: vpc.into(),
        associations: vec![RouteTableAssociation {
            id: format!("rtbassoc-{id}").as_str().into(),
            main: true,
            subnet_id: None,
            gateway_id: None,
        }],
        routes: routes
            .iter()
            .map(|(cidr, target)| Route {
                destination: RouteDestination::Cidr(cidr.parse().unwrap()),
                targets: RouteTargets {
                    gateway_id: Some((*target).to_owned()),
                    ..RouteTargets::default()
                },
                state: RouteState::Active,
            })
            .collect(),
    }
}

fn vpc(id: &str, cidr: &str) -> Vpc {
    Vpc {
        id: id.into(),
        cidr_blocks: vec![cidr.parse().unwrap()],
    }
}

fn estate() -> Topology {
    Topology {
        vpcs: vec![
            vpc("vpc-spoke", "10.1.0.0/16"),
            vpc("vpc-other", "10.2.0.0/16"),
        ],
        route_tables: vec![
            main_table(
                "rtb-spoke",
                "vpc-spoke",
                &[("0.0.0.0/0", "vpce-live"), ("10.9.0.0/16", "vpce-gone")],
            ),
            main_table("rtb-other", "vpc-other", &[("0.0.0.0/0", "igw-other")]),
        ],
        vpc_endpoints: vec![VpcEndpoint {
            id: "vpce-live".into(),
            vpc_id: "vpc-spoke".into(),
            service_name: "com.amazonaws.vpce.eu-west-1.vpce-svc-0f1".into(),
            subnet_ids: vec![],
        }],
        ..Topology::default()
    }
}

fn scope() -> ScopeOptions {
    ScopeOptions {
        firewall_instance_id: Some(InstanceId::new("i-fw")),
        extra_route_targets: vec![],
    }
}

#[tokio::test]
async fn a_full_read_covers_vpcs_routed_to_gwlb_endpoints_and_names_deleted_ones() {
    let snapshot = Snapshot::new(estate(), None, &scope());
    let inventory = SnapshotInventory::from_snapshot(snapshot);
    let topology = inventory
        .topology_for(&[ReconcileKey::Everything])
        .await
        .unwrap();
    let vpcs: Vec<&str> = topology.vpcs.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(vpcs, ["vpc-spoke"]);
    assert_eq!(topology.vpc_endpoints, estate().vpc_endpoints);
    assert_eq!(topology.absent_vpc_endpoints, ["vpce-gone"]);
}

#[tokio::test]
async fn a_read_without_routes_to_endpoints_carries_none() {
    let snapshot = Snapshot::new(estate(), None, &scope());
    let inventory = SnapshotInventory::from_snapshot(snapshot);
    let topology = inventory
        .topology_for(&[ReconcileKey::Vpc("vpc-other".into())])
        .await
        .unwrap();
    assert!(topology.vpc_endpoints.is_empty());
    assert!(topology.absent_vpc_endpoints.is_empty());
}

#[test]
fn snapshots_without_endpoints_still_load_and_empty_lists_are_not_written() {
    let old = r#"{"version": 1, "vpcs": [{"id": "vpc-1", "cidr_blocks": ["10.0.0.0/16"]}]}"#;
    let snapshot = Snapshot::from_json(old).unwrap();
    assert!(snapshot.topology.vpc_endpoints.is_empty());
    assert!(!snapshot.to_json_pretty().contains("vpc_endpoints"));
}
