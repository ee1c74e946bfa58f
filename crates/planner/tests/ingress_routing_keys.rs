//! Scenario: ingress routing. A public subnet (default route to the internet gateway) is behind
//! the firewall only through the internet gateway's edge table. A route-table event on the edge
//! table, or on its edge association, reconciles the subnet's servers: the allowance appears
//! when the edge route goes to the firewall and goes when it goes back to local.

mod support;

use model::{ReconcileKey, RouteTableAssociation, Topology};
use planner::Scope;
use support::*;

/// subnet-pub (10.0.2.0/24, on rtb-igw) holds a web server; rtb-edge, associated with igw-1,
/// sends 10.0.2.0/24 to `target`.
fn public_server(target: model::RouteTargets) -> Topology {
    let mut topology = Net::new()
        .route_table(
            "rtb-edge",
            false,
            vec![route("10.0.0.0/16", local()), route("10.0.2.0/24", target)],
        )
        .subnet_cidr("subnet-pub", "10.0.2.0/24")
        .eni(
            "eni-web",
            "i-web",
            "subnet-pub",
            &["10.0.2.10"],
            &[],
            &["sg-web"],
        )
        .instance("i-web", model::InstanceState::Running)
        .group("sg-web", vec![allow(tcp(443, 443), &["0.0.0.0/0"])])
        .build();
    let edge = topology
        .route_tables
        .iter_mut()
        .find(|t| t.id == "rtb-edge")
        .expect("rtb-edge");
    edge.associations.push(RouteTableAssociation {
        id: "rtbassoc-edge".into(),
        main: false,
        subnet_id: None,
        gateway_id: Some("igw-1".into()),
    });
    topology
}

fn local() -> model::RouteTargets {
    model::RouteTargets {
        gateway_id: Some("local".into()),
        ..model::RouteTargets::default()
    }
}

#[test]
fn an_edge_table_key_reconciles_the_subnets_it_routes() {
    let settings = settings();
    let mut firewall = empty_firewall();
    let through = public_server(to_eni("eni-f00"));
    let key = |name| Scope::single(ReconcileKey::RouteTable("rtb-edge".into()), event(name));
    converge(&mut firewall, &through, &settings, &key("CreateRoute"));
    assert_eq!(
        allowances(&firewall, &settings),
        ["any -> 10.0.2.10 ssl/application-default"]
    );
    let back_to_local = public_server(local());
    let association = Scope::single(
        ReconcileKey::RouteTableAssociation("rtbassoc-edge".into()),
        event("AssociateRouteTable"),
    );
    converge(&mut firewall, &back_to_local, &settings, &association);
    assert!(allowances(&firewall, &settings).is_empty());
}
