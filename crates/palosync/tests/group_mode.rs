//! Group mode end to end (issue 13) against moto and the simulator: after every event the
//! firewall's own `test security-policy-match` allows each desired flow through a managed rule and
//! nothing else the security groups do not allow; instances coming and going change User-ID
//! registrations only, never the configuration, and cost no commit.

mod support;

use model::PolicyMode;
use serde_json::json;
use std::collections::BTreeMap;
use support::moto::{cidr, launch_with_interface, tcp};
use support::*;

/// A probe: (source, destination, tcp port, App-ID), and whether a managed rule must allow it.
struct Flow {
    source: &'static str,
    destination: String,
    port: u16,
    application: &'static str,
}

fn https(destination: &str) -> Flow {
    Flow {
        source: "198.51.100.7",
        destination: destination.to_owned(),
        port: 443,
        application: "ssl",
    }
}

/// A flow from a partner address on `port`, as App-ID would name it (ssh on 22).
fn partner(destination: &str, port: u16) -> Flow {
    Flow {
        source: "198.51.100.7",
        destination: destination.to_owned(),
        port,
        application: if port == 22 { "ssh" } else { "unknown-tcp" },
    }
}

/// The managed rule that allows `flow`, asked of the simulated firewall itself.
async fn managed_allow(h: &Harness, flow: &Flow) -> Option<String> {
    let Flow {
        source,
        destination,
        port,
        application,
    } = flow;
    managed_rule_allowing(&h.admin, source, destination, *port, application).await
}

async fn assert_allowed(h: &Harness, flow: Flow, step: &str) {
    assert!(
        managed_allow(h, &flow).await.is_some(),
        "{step}: {} -> {}:{} must be allowed by a managed rule",
        flow.source,
        flow.destination,
        flow.port
    );
}

async fn assert_not_allowed(h: &Harness, flow: Flow, step: &str) {
    let rule = managed_allow(h, &flow).await;
    assert!(
        rule.is_none(),
        "{step}: {} -> {}:{} is not allowed by the groups, yet {rule:?} allows it",
        flow.source,
        flow.destination,
        flow.port
    );
}

fn instances(ids: &[&str]) -> serde_json::Value {
    let items: Vec<_> = ids.iter().map(|id| json!({ "instanceId": id })).collect();
    json!({ "instancesSet": { "items": items } })
}

/// Commits and firewall round trips one step cost.
struct Cost {
    commits: u64,
    round_trips: BTreeMap<String, u64>,
}

impl Cost {
    fn total(&self) -> u64 {
        self.round_trips.values().sum()
    }
}

/// Counters before a step; [`Meter::cost`] after it.
struct Meter {
    commits: u64,
    round_trips: BTreeMap<panos::RequestKind, u64>,
}

impl Meter {
    fn start(h: &Harness) -> Self {
        Self {
            commits: h.sim.stats().commits_enqueued,
            round_trips: h.firewall().stats().round_trips,
        }
    }

    fn cost(self, h: &Harness) -> Cost {
        let after = h.firewall().stats().round_trips;
        let round_trips = after
            .iter()
            .map(|(kind, n)| {
                let before = self.round_trips.get(kind).copied().unwrap_or(0);
                (format!("{kind:?}"), n - before)
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        Cost {
            commits: h.sim.stats().commits_enqueued - self.commits,
            round_trips,
        }
    }
}

/// `event` happens to `instance` in moto, then its CloudTrail event reaches palosync.
async fn lifecycle(
    h: &mut Harness,
    event: &str,
    instance: &str,
) -> (palosync::report::Report, Cost) {
    let ec2 = &h.ec2;
    let done = match event {
        "StopInstances" => ec2
            .stop_instances()
            .instance_ids(instance)
            .send()
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
        "StartInstances" => ec2
            .start_instances()
            .instance_ids(instance)
            .send()
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
        _ => ec2
            .terminate_instances()
            .instance_ids(instance)
            .send()
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
    };
    done.unwrap_or_else(|e| panic!("{event} in moto: {e}"));
    let meter = Meter::start(h);
    let (report, result) = h.event(event, instances(&[instance])).await;
    let cost = meter.cost(h);
    result.unwrap_or_else(|e| panic!("{event}: {e}\n{}", report.to_table()));
    (report, cost)
}

#[tokio::test]
async fn instances_come_and_go_through_registrations_without_a_commit() {
    let mut h = Harness::in_account("100000000013", PolicyMode::Groups).await;
    let web = h.vpc.web_group.clone();
    let (web1_ip, pub1_ip) = (h.vpc.web1_ip.clone(), h.vpc.pub1_ip.clone());
    h.sync().await.1.expect("group-mode sync");
    let managed = h.managed_rules().await;
    assert_eq!(
        managed.len(),
        1,
        "one rule for web's one external permission"
    );
    assert_eq!(managed[0].destination, [format!("palosync.{web}")]);
    assert_eq!(managed[0].source, ["0.0.0.0/0"], "IPv4 only: never any");
    assert_allowed(&h, https(&web1_ip), "sync").await;
    assert_not_allowed(&h, partner(&web1_ip, 22), "sync: ssh only from inside").await;
    assert_not_allowed(&h, https(&pub1_ip), "sync: pub1 is not behind the firewall").await;

    let (image, subnet) = (h.vpc.image.clone(), h.vpc.app_subnet.clone());
    let (web2, _, web2_ip) = launch_with_interface(&h.ec2, &image, &subnet, &web).await;
    let meter = Meter::start(&h);
    let result = h
        .event_with_response(
            "RunInstances",
            json!({ "instancesSet": { "items": [{ "imageId": image, "minCount": 1, "maxCount": 1 }] } }),
            json!({ "requestId": "r", "instancesSet": { "items": [{ "instanceId": web2 }] } }),
        )
        .await;
    let cost = meter.cost(&h);
    result.1.expect("run");
    assert_eq!(cost.commits, 0, "a new member costs no commit");
    assert_allowed(&h, https(&web2_ip), "run").await;

    let (report, cost) = lifecycle(&mut h, "StopInstances", &web2).await;
    assert_eq!(cost.commits, 0, "a stop costs no commit");
    assert!(
        cost.total() <= 2,
        "stop: {:?}\n{}",
        cost.round_trips,
        report.to_table()
    );
    assert_not_allowed(&h, https(&web2_ip), "stop").await;
    assert_allowed(&h, https(&web1_ip), "stop leaves web1").await;

    let (report, cost) = lifecycle(&mut h, "StartInstances", &web2).await;
    assert_eq!(cost.commits, 0, "a start costs no commit");
    assert!(
        cost.total() <= 2,
        "start: {:?}\n{}",
        cost.round_trips,
        report.to_table()
    );
    assert_allowed(&h, https(&web2_ip), "start").await;

    // A cold process does not know the running address groups yet: one read more, still no
    // commit.
    let config = h.app.config.firewall.clone();
    h.reconnect(&config, 200);
    lifecycle(&mut h, "StopInstances", &web2).await;
    let (_, cost) = lifecycle(&mut h, "StartInstances", &web2).await;
    assert_eq!(cost.commits, 0);
    assert!(cost.total() <= 3, "cold start: {:?}", cost.round_trips);
    assert_allowed(&h, https(&web2_ip), "cold start").await;

    let (_, cost) = lifecycle(&mut h, "TerminateInstances", &web2).await;
    assert_eq!(cost.commits, 0);
    assert_not_allowed(&h, https(&web2_ip), "terminate").await;

    // Nothing left to do: a sync changes nothing and commits nothing.
    let meter = Meter::start(&h);
    let result = h.sync().await;
    let cost = meter.cost(&h);
    let (report, outcome) = result;
    outcome.expect("sync");
    assert!(report.operations().is_empty(), "{}", report.to_table());
    assert_eq!(cost.commits, 0);
}

#[tokio::test]
async fn group_changes_rewrite_the_groups_rules_and_swaps_and_routes_move_members() {
    let mut h = Harness::in_account("100000000014", PolicyMode::Groups).await;
    let web = h.vpc.web_group.clone();
    let web1_ip = h.vpc.web1_ip.clone();
    h.sync().await.1.expect("sync");

    // authorize 8443 from the partner: a new rule, one commit.
    h.ec2
        .authorize_security_group_ingress()
        .group_id(&web)
        .ip_permissions(tcp(8443).ip_ranges(cidr("198.51.100.0/24")).build())
        .send()
        .await
        .expect("authorize");
    let permission = json!({ "groupId": web, "ipPermissions": { "items": [{
        "ipProtocol": "tcp", "fromPort": 8443, "toPort": 8443,
        "ipRanges": { "items": [{ "cidrIp": "198.51.100.0/24" }] } }] } });
    h.event("AuthorizeSecurityGroupIngress", permission.clone())
        .await
        .1
        .expect("authorize");
    assert_allowed(&h, partner(&web1_ip, 8443), "authorize").await;

    // revoke it by permission
    h.ec2
        .revoke_security_group_ingress()
        .group_id(&web)
        .ip_permissions(tcp(8443).ip_ranges(cidr("198.51.100.0/24")).build())
        .send()
        .await
        .expect("revoke");
    h.event("RevokeSecurityGroupIngress", permission)
        .await
        .1
        .expect("revoke");
    assert_not_allowed(&h, partner(&web1_ip, 8443), "revoke").await;
    assert_allowed(&h, https(&web1_ip), "revoke keeps https").await;

    // https moves to 8443 in place (ModifySecurityGroupRules), then is revoked by its rule id
    let https_rule = h.ingress_rule_id(&web, 443).await;
    h.modify_rule_to_port(&web, &https_rule, 8443)
        .await
        .1
        .expect("modify");
    assert_not_allowed(&h, https(&web1_ip), "modify: 443 is gone").await;
    assert_allowed(&h, partner(&web1_ip, 8443), "modify: 8443 from anywhere").await;
    h.ec2
        .revoke_security_group_ingress()
        .group_id(&web)
        .security_group_rule_ids(&https_rule)
        .send()
        .await
        .expect("revoke by id in moto");
    h.event(
        "RevokeSecurityGroupIngress",
        json!({ "groupId": web, "securityGroupRuleIds": { "items": [{ "securityGroupRuleId": https_rule }] } }),
    )
    .await
    .1
    .expect("revoke by id");
    assert_not_allowed(&h, partner(&web1_ip, 8443), "revoke by id").await;
    // and back, for the steps below
    h.ec2
        .authorize_security_group_ingress()
        .group_id(&web)
        .ip_permissions(tcp(443).ip_ranges(cidr("0.0.0.0/0")).build())
        .send()
        .await
        .expect("authorize 443 again");
    h.sync().await.1.expect("sync");
    assert_allowed(&h, https(&web1_ip), "443 again").await;

    // an interface group swap: web1 moves to a group with 9443 only
    let api = testkit::create_group(
        &h.ec2,
        &h.vpc_id().await,
        "api",
        vec![tcp(9443).ip_ranges(cidr("192.0.2.0/24")).build()],
    )
    .await;
    // (An interface launched with its own groups: moto keeps an instance's launch groups apart.)
    let (image, subnet) = (h.vpc.image.clone(), h.vpc.app_subnet.clone());
    let (_web3, eni, web3_ip) = launch_with_interface(&h.ec2, &image, &subnet, &web).await;
    h.sync().await.1.expect("sync web3 in");
    assert_allowed(&h, https(&web3_ip), "web3 in web").await;
    h.ec2
        .modify_network_interface_attribute()
        .network_interface_id(&eni)
        .groups(&api)
        .send()
        .await
        .expect("swap");
    let (report, result) = h
        .event(
            "ModifyNetworkInterfaceAttribute",
            json!({ "networkInterfaceId": eni, "groupSet": { "items": [{ "groupId": api }] } }),
        )
        .await;
    result.expect("swap");
    assert!(
        report.commit().is_some(),
        "api's first member: its policy is created"
    );
    assert_not_allowed(&h, https(&web3_ip), "swap: web no longer").await;
    let api_flow = Flow {
        source: "192.0.2.10",
        destination: web3_ip.clone(),
        port: 9443,
        application: "unknown-tcp",
    };
    assert_allowed(&h, api_flow, "swap: api's 9443").await;

    // the subnet's default route leaves the firewall: nothing allowed any more
    let (table, igw) = (h.vpc.app_table.clone(), h.vpc.igw.clone());
    h.ec2
        .replace_route()
        .route_table_id(&table)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .expect("replace route");
    let route =
        json!({ "routeTableId": table, "destinationCidrBlock": "0.0.0.0/0", "gatewayId": igw });
    h.event("ReplaceRoute", route).await.1.expect("route");
    let api_flow = Flow {
        source: "192.0.2.10",
        destination: web3_ip.clone(),
        port: 9443,
        application: "unknown-tcp",
    };
    assert_not_allowed(&h, api_flow, "route: out of scope").await;
    // The route event moved members only; the groups, memberless now, keep their rules until a
    // sync removes them, and then there is nothing left to do.
    assert!(!h.managed_rules().await.is_empty());
    h.sync().await.1.expect("sync");
    assert!(h.managed_rules().await.is_empty());
    let (report, result) = h.sync().await;
    result.expect("sync");
    assert!(report.operations().is_empty(), "{}", report.to_table());
}

#[tokio::test]
async fn switching_modes_either_way_is_one_sync_and_leaves_nothing_of_the_other_mode() {
    let mut h = Harness::in_account("100000000015", PolicyMode::Addresses).await;
    let web1_ip = h.vpc.web1_ip.clone();
    h.sync().await.1.expect("address-mode sync");
    assert_allowed(&h, https(&web1_ip), "addresses").await;
    let address_rules = h.managed_rules().await;
    assert!(
        address_rules
            .iter()
            .all(|r| r.destination == [web1_ip.clone()])
    );

    for (mode, step) in [
        (PolicyMode::Groups, "to groups"),
        (PolicyMode::Addresses, "back to addresses"),
    ] {
        h.app.config.policy = h.app.config.policy.clone().with_mode(mode);
        let meter = Meter::start(&h);
        let result = h.sync().await;
        let cost = meter.cost(&h);
        let (report, outcome) = result;
        outcome.unwrap_or_else(|e| panic!("{step}: {e}\n{}", report.to_table()));
        assert_eq!(cost.commits, 1, "{step}: one commit");
        assert_allowed(&h, https(&web1_ip), step).await;
        assert_not_allowed(&h, partner(&web1_ip, 22), step).await;
        let managed = h.managed_rules().await;
        let to_groups = managed
            .iter()
            .filter(|r| r.destination.iter().any(|d| d.starts_with("palosync.")))
            .count();
        match mode {
            PolicyMode::Groups => assert_eq!(to_groups, managed.len(), "{step}: {managed:?}"),
            PolicyMode::Addresses => assert_eq!(to_groups, 0, "{step}: {managed:?}"),
        }
        let registered = h
            .admin
            .registered_ips("vsys1", panos::RegisteredIpFilter::All)
            .await
            .expect("registrations");
        let ours = registered
            .iter()
            .filter(|r| r.tags.iter().any(|t| t.starts_with("palosync.")))
            .count();
        match mode {
            PolicyMode::Groups => assert_eq!(ours, 1, "{step}: web1 registered"),
            PolicyMode::Addresses => assert_eq!(ours, 0, "{step}: nothing registered"),
        }
        let groups = h
            .sim
            .running_config_xml()
            .matches("<entry name=\"palosync.")
            .count();
        match mode {
            PolicyMode::Groups => assert!(groups > 0, "{step}: the group's address group"),
            PolicyMode::Addresses => assert_eq!(groups, 0, "{step}: no address group left"),
        }
        let (again, _) = h.sync().await;
        assert!(again.operations().is_empty(), "{step}: idempotent");
    }
}
