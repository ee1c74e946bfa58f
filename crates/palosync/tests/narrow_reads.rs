//! Issue 12, item 7, end to end against moto and the simulator: a reconcile narrowed to one
//! group's key must not delete what it did not read. The inventory reads whatever the managed
//! rules in scope point at (an interface that has left the group) before the plan is made.

mod support;

use aws_sdk_ec2::types::IpPermission;
use serde_json::json;
use std::collections::BTreeSet;
use support::moto::{cidr, launch_with_interface, tcp};
use support::*;

const PARTNER: &str = "198.51.100.0/24";

/// Ping from the partner: ICMP echo request, every code.
fn echo_from(source: &str) -> IpPermission {
    IpPermission::builder()
        .ip_protocol("icmp")
        .from_port(8)
        .to_port(-1)
        .ip_ranges(cidr(source))
        .build()
}

/// Group `admin`: ssh and ping from the partner.
async fn admin_group(h: &Harness) -> String {
    let vpc = h.vpc_id().await;
    testkit::create_group(
        &h.ec2,
        &vpc,
        "admin",
        vec![tcp(22).ip_ranges(cidr(PARTNER)).build(), echo_from(PARTNER)],
    )
    .await
}

async fn move_interface(h: &Harness, eni: &str, group: &str) {
    h.ec2
        .modify_network_interface_attribute()
        .network_interface_id(eni)
        .groups(group)
        .send()
        .await
        .expect("swap groups in moto");
}

/// web gains tcp/8443 from the partner (in moto), and its ModifySecurityGroupRules event is
/// delivered.
async fn web_changes(h: &mut Harness) -> palosync::report::Report {
    let web = h.vpc.web_group.clone();
    h.ec2
        .authorize_security_group_ingress()
        .group_id(&web)
        .ip_permissions(tcp(8443).ip_ranges(cidr(PARTNER)).build())
        .send()
        .await
        .expect("authorize 8443");
    let (report, result) = h
        .event(
            "ModifySecurityGroupRules",
            json!({ "ModifySecurityGroupRulesRequest": { "GroupId": web, "SecurityGroupRule": {
                "SecurityGroupRuleId": "sgr-0000000000000000a", "SecurityGroupRule": {
                    "IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, "CidrIpv4": PARTNER } } } }),
        )
        .await;
    result.unwrap_or_else(|e| panic!("web's change reconciles: {e}\n{}", report.to_table()));
    report
}

/// What the firewall allows on palosync's behalf to `address`: (source, app/service).
async fn allowed_to(h: &Harness, address: &str) -> BTreeSet<(String, String)> {
    h.coverage()
        .await
        .into_iter()
        .filter(|(_, destination, _)| destination == address)
        .map(|(source, _, app)| (source, app))
        .collect()
}

fn admin_allowances() -> BTreeSet<(String, String)> {
    BTreeSet::from([
        (PARTNER.to_owned(), "ping/application-default".to_owned()),
        (PARTNER.to_owned(), "ssh/application-default".to_owned()),
    ])
}

/// Instance `b`, its interface in `web` behind the firewall, synced.
async fn b_in_web(h: &mut Harness) -> (String, String, String) {
    let (image, subnet, web) = (
        h.vpc.image.clone(),
        h.vpc.app_subnet.clone(),
        h.vpc.web_group.clone(),
    );
    let (b, eni, b_ip) = launch_with_interface(&h.ec2, &image, &subnet, &web).await;
    h.sync().await.1.expect("sync");
    assert!(
        allowed_to(h, &b_ip)
            .await
            .contains(&("any".to_owned(), "ssl/application-default".to_owned())),
        "b starts with web's https"
    );
    (b, eni, b_ip)
}

#[tokio::test]
async fn a_group_event_keeps_the_allowances_of_an_interface_that_left_the_group() {
    let mut h = Harness::new("mx-central-1").await;
    let (_b, eni, b_ip) = b_in_web(&mut h).await;
    let admin = admin_group(&h).await;
    move_interface(&h, &eni, &admin).await;
    h.event(
        "ModifyNetworkInterfaceAttribute",
        json!({ "networkInterfaceId": eni, "groupSet": { "items": [{ "groupId": admin }] } }),
    )
    .await
    .1
    .expect("the move reconciles");
    assert_eq!(allowed_to(&h, &b_ip).await, admin_allowances());

    // web's rules change: the read for web's key no longer holds b, but web's rule that now
    // carries admin's ssh for b points at it, so b is read as well.
    let report = web_changes(&mut h).await;
    let claimed = report
        .claimed_targets
        .expect("the rules on b were followed");
    assert!(
        claimed.addresses.contains(&b_ip.parse().expect("address")),
        "{claimed:?}"
    );
    assert_eq!(
        allowed_to(&h, &b_ip).await,
        admin_allowances(),
        "b keeps admin's ssh and ping"
    );
    let web1_ip = h.vpc.web1_ip.clone();
    assert!(
        allowed_to(&h, &web1_ip)
            .await
            .contains(&(PARTNER.to_owned(), "any/tcp_8443".to_owned())),
        "web's change itself lands"
    );
    // A full sync finds nothing left to do: the narrow run decided exactly.
    let (report, result) = h.sync().await;
    result.expect("sync");
    assert!(report.operations().is_empty(), "{}", report.to_table());
}

#[tokio::test]
async fn a_group_event_fixes_the_stale_allowances_of_an_interface_whose_move_was_missed() {
    let mut h = Harness::new("ap-southeast-5").await;
    let (_b, eni, b_ip) = b_in_web(&mut h).await;
    let admin = admin_group(&h).await;
    // The move's event never arrives (dropped, or not yet delivered).
    move_interface(&h, &eni, &admin).await;

    // web's change: its rule on b's address is web's own, so b is read too, and the https
    // web no longer grants b is removed in this run, not at the next sync.
    web_changes(&mut h).await;
    let after_event = allowed_to(&h, &b_ip).await;
    assert!(
        !after_event.contains(&("any".to_owned(), "ssl/application-default".to_owned())),
        "web's https on b was stale and is gone: {after_event:?}"
    );
    assert!(
        after_event.is_subset(&admin_allowances()),
        "nothing b's groups do not allow: {after_event:?}"
    );
    h.sync().await.1.expect("sync");
    assert_eq!(allowed_to(&h, &b_ip).await, admin_allowances());
}
