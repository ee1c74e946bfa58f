//! The events the original never handled: each one makes palosync re-read AWS and leave the
//! rulebase exactly as the topology now requires. Against moto and the simulator.

mod support;

use serde_json::json;
use std::collections::BTreeSet;
use support::moto::{cidr, interfaces_of, launch, launch_with_interface, tcp};
use support::*;

fn instances(ids: &[&str]) -> serde_json::Value {
    let items: Vec<_> = ids.iter().map(|id| json!({ "instanceId": id })).collect();
    json!({ "instancesSet": { "items": items } })
}

fn destinations(coverage: &BTreeSet<(String, String, String)>) -> BTreeSet<String> {
    coverage.iter().map(|(_, d, _)| d.clone()).collect()
}

#[tokio::test]
async fn run_instances_and_terminate_instances() {
    let mut h = Harness::new("eu-central-1").await;
    let (app_subnet, group, image) = (
        h.vpc.app_subnet.clone(),
        h.vpc.web_group.clone(),
        h.vpc.image.clone(),
    );
    let (web2, web2_ip) = launch(&h.ec2, &image, &app_subnet, &group).await;
    h.event_with_response(
        "RunInstances",
        json!({ "instancesSet": { "items": [{ "imageId": image, "minCount": 1, "maxCount": 1 }] } }),
        json!({ "requestId": "r", "instancesSet": { "items": [{ "instanceId": web2 }] } }),
    )
    .await
    .1
    .expect("run reconciles");
    assert_eq!(
        destinations(&h.coverage().await),
        BTreeSet::from([web2_ip.clone()])
    );
    let managed = h.managed_rules().await;
    assert!(
        managed
            .iter()
            .all(|r| r.name.starts_with(&format!("{web2}-")))
    );

    h.ec2
        .terminate_instances()
        .instance_ids(&web2)
        .send()
        .await
        .expect("terminate in moto");
    h.event("TerminateInstances", instances(&[&web2]))
        .await
        .1
        .expect("terminate reconciles");
    assert!(h.coverage().await.is_empty());
}

#[tokio::test]
async fn a_rule_modified_in_place_then_revoked_by_its_id() {
    let mut h = Harness::new("eu-north-1").await;
    let (web1, group) = (h.vpc.web1.clone(), h.vpc.web_group.clone());
    h.event("StartInstances", instances(&[&web1]))
        .await
        .1
        .expect("start");

    let https = h.ingress_rule_id(&group, 443).await;
    h.modify_rule_to_port(&group, &https, 8443)
        .await
        .1
        .expect("modify reconciles");
    let web1_ip = h.vpc.web1_ip.clone();
    assert_eq!(
        h.coverage().await,
        BTreeSet::from([("any".to_owned(), web1_ip, "any/tcp_8443".to_owned())])
    );

    h.ec2
        .revoke_security_group_ingress()
        .group_id(&group)
        .security_group_rule_ids(&https)
        .send()
        .await
        .expect("revoke by id in moto");
    h.event(
        "RevokeSecurityGroupIngress",
        json!({ "groupId": group, "securityGroupRuleIds": { "items": [{ "securityGroupRuleId": https }] } }),
    )
    .await
    .1
    .expect("revoke reconciles");
    assert!(h.coverage().await.is_empty());
}

#[tokio::test]
async fn route_and_association_changes_move_subnets_in_and_out_of_scope() {
    let mut h = Harness::new("ap-northeast-3").await;
    let web1 = h.vpc.web1.clone();
    let (table, igw, association) = (
        h.vpc.app_table.clone(),
        h.vpc.igw.clone(),
        h.vpc.app_association.clone(),
    );
    h.event("StartInstances", instances(&[&web1]))
        .await
        .1
        .expect("start");
    assert!(!h.coverage().await.is_empty());

    // The app subnet goes straight to the internet: nothing passes the firewall any more.
    h.ec2
        .replace_route()
        .route_table_id(&table)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .expect("replace route in moto");
    let route =
        json!({ "routeTableId": table, "destinationCidrBlock": "0.0.0.0/0", "gatewayId": igw });
    h.event("ReplaceRoute", route).await.1.expect("reconciles");
    assert!(h.coverage().await.is_empty());

    // Back through the firewall, this time named by its interface id only.
    let fw_eni = interfaces_of(&h.ec2, &h.vpc.firewall).await.remove(0);
    h.ec2
        .replace_route()
        .route_table_id(&table)
        .destination_cidr_block("0.0.0.0/0")
        .network_interface_id(&fw_eni)
        .send()
        .await
        .expect("replace route in moto");
    let route = json!({ "routeTableId": table, "destinationCidrBlock": "0.0.0.0/0", "networkInterfaceId": fw_eni });
    h.event("ReplaceRoute", route).await.1.expect("reconciles");
    assert_eq!(
        destinations(&h.coverage().await),
        BTreeSet::from([h.vpc.web1_ip.clone()])
    );

    // Without its association the subnet falls back to the main table, which has no default
    // route: out of scope again.
    h.ec2
        .disassociate_route_table()
        .association_id(&association)
        .send()
        .await
        .expect("disassociate in moto");
    h.event(
        "DisassociateRouteTable",
        json!({ "associationId": association }),
    )
    .await
    .1
    .expect("reconciles");
    assert!(h.coverage().await.is_empty());
}

#[tokio::test]
async fn an_interface_group_swap_replaces_what_it_allows() {
    let mut h = Harness::new("me-south-1").await;
    let (web3, eni, web3_ip) =
        launch_with_interface(&h.ec2, &h.vpc.image, &h.vpc.app_subnet, &h.vpc.web_group).await;
    h.event("StartInstances", instances(&[&web3]))
        .await
        .1
        .expect("start");
    assert_eq!(
        h.coverage().await,
        BTreeSet::from([(
            "any".to_owned(),
            web3_ip.clone(),
            "ssl/application-default".to_owned()
        )])
    );
    let vpc_id = h.vpc_id().await;
    let api = h
        .ec2
        .create_security_group()
        .group_name("api")
        .description("api")
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect("create api group")
        .group_id()
        .expect("id")
        .to_owned();
    h.ec2
        .authorize_security_group_ingress()
        .group_id(&api)
        .ip_permissions(tcp(9443).ip_ranges(cidr("192.0.2.0/24")).build())
        .send()
        .await
        .expect("authorize api");
    h.ec2
        .modify_network_interface_attribute()
        .network_interface_id(&eni)
        .groups(&api)
        .send()
        .await
        .expect("swap groups in moto");
    h.event(
        "ModifyNetworkInterfaceAttribute",
        json!({ "networkInterfaceId": eni, "groupSet": { "items": [{ "groupId": api }] } }),
    )
    .await
    .1
    .expect("reconciles");
    assert_eq!(
        h.coverage().await,
        BTreeSet::from([(
            "192.0.2.0/24".to_owned(),
            web3_ip,
            "any/tcp_9443".to_owned()
        )])
    );
}

#[tokio::test]
async fn the_same_events_in_another_order_give_the_same_rulebase() {
    let mut forward = Harness::new("af-south-1").await;
    let mut backward = forward.twin().await;
    let (web1, group) = (forward.vpc.web1.clone(), forward.vpc.web_group.clone());
    for h in [&mut forward, &mut backward] {
        h.event("StartInstances", instances(&[&web1]))
            .await
            .1
            .expect("start");
    }

    // Three changes in AWS, then their three events, delivered in opposite orders.
    forward
        .ec2
        .authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(tcp(8443).ip_ranges(cidr("198.51.100.0/24")).build())
        .send()
        .await
        .expect("authorize");
    forward
        .ec2
        .revoke_security_group_ingress()
        .group_id(&group)
        .ip_permissions(tcp(443).ip_ranges(cidr("0.0.0.0/0")).build())
        .send()
        .await
        .expect("revoke");
    let (web2, _) = launch(
        &forward.ec2,
        &forward.vpc.image,
        &forward.vpc.app_subnet,
        &group,
    )
    .await;
    let events = [
        ("AuthorizeSecurityGroupIngress", json!({ "groupId": group })),
        ("RevokeSecurityGroupIngress", json!({ "groupId": group })),
        ("StartInstances", instances(&[&web2])),
    ];
    for (name, request) in &events {
        forward
            .event(name, request.clone())
            .await
            .1
            .expect("forward");
    }
    for (name, request) in events.iter().rev() {
        backward
            .event(name, request.clone())
            .await
            .1
            .expect("backward");
    }

    let coverage = forward.coverage().await;
    assert_eq!(coverage, backward.coverage().await);
    assert_eq!(destinations(&coverage).len(), 2, "{coverage:?}");
    assert!(
        coverage.iter().all(|(_, _, app)| app == "any/tcp_8443"),
        "{coverage:?}"
    );
}
