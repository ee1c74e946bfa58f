//! Scenario: centralised inspection designs bring a spoke subnet into scope, read through the
//! real SDK inventory from moto and planned. (a) The spoke's default route goes to a Gateway
//! Load Balancer endpoint of the firewall's endpoint service; (b) ingress routing: the internet
//! gateway's edge table sends the spoke subnet's block to the firewall's interface or to such
//! an endpoint while the subnet's own default route goes to the internet gateway. In both, a
//! server whose group allows tcp/443 from 0.0.0.0/0 gets an allowance; the same server behind
//! an endpoint of another service gets none.
//!
//! moto creates GWLB endpoints of any service name without the endpoint service existing (a
//! real `vpce-svc-…` needs an ELBv2 gateway load balancer, another SDK crate): the endpoints
//! here name a service id that was never created. See docs/architecture.md.

use aws::{Inventory, InventoryOptions, ScopeOptions, SdkInventory};
use aws_sdk_ec2::Client;
use model::{InstanceId, ReconcileKey, Settings, Topology};
use planner::scope::{FirewallTargets, RouteIndex, in_scope_enis};
use planner::services::ServiceMatch;
use planner::sources::{IpFamily, Source};
use std::net::IpAddr;

const REGION: &str = "ap-southeast-6";
const SERVICE: &str = "vpce-svc-0123456789abcdef0";
const OTHER_SERVICE: &str = "vpce-svc-0fedcba9876543210";

/// A VPC with an internet gateway.
struct Vpc {
    id: String,
    igw: String,
}

async fn vpc(ec2: &Client, cidr: &str) -> Vpc {
    let id = testkit::create_vpc(ec2, cidr).await;
    let igw = testkit::internet_gateway(ec2, &id).await;
    Vpc { id, igw }
}

/// A Gateway Load Balancer endpoint of `service` in `subnet`; returns its id.
async fn endpoint(ec2: &Client, vpc: &str, subnet: &str, service: &str) -> String {
    testkit::gwlb_endpoint(ec2, REGION, vpc, subnet, service).await
}

/// An instance at `ip` in `subnet` with a group allowing tcp/443 from anywhere; returns
/// (instance id, its interface id).
async fn server(ec2: &Client, vpc: &str, subnet: &str, ip: &str) -> (String, String) {
    let (instance, eni, _) = testkit::https_server(ec2, vpc, subnet, ip).await;
    (instance, eni)
}

/// The firewall: an instance in a subnet of `vpc`; returns (instance id, interface id).
async fn firewall(ec2: &Client, vpc: &str, cidr: &str, ip: &str) -> (String, String) {
    let subnet = testkit::create_subnet(ec2, vpc, cidr, None).await;
    server(ec2, vpc, &subnet, ip).await
}

fn settings(firewall: &str) -> Settings {
    Settings::new(firewall, "Clean up", "untrust", "trust")
        .unwrap()
        .with_gwlb_services(vec![format!("com.amazonaws.vpce.{REGION}.{SERVICE}")])
        .unwrap()
}

/// The full read, and how many `DescribeVpcEndpoints` calls it took.
async fn read_everything(config: &aws_config::SdkConfig, firewall: &str) -> (Topology, u64) {
    let inventory = SdkInventory::new(
        config,
        InventoryOptions::new(ScopeOptions {
            firewall_instance_id: Some(InstanceId::new(firewall)),
            extra_route_targets: Vec::new(),
        }),
    );
    let topology = inventory.topology_for(&[ReconcileKey::Everything]).await;
    let calls = inventory.call_count().of("DescribeVpcEndpoints");
    (topology.expect("read"), calls)
}

/// Whether the plan allows tcp/443 from anywhere to `ip` (ssl on its default port).
fn allows_https_to(topology: &Topology, settings: &Settings, ip: &str) -> bool {
    let scoped = in_scope_enis(topology, settings);
    assert!(scoped.incomplete.is_empty(), "{:?}", scoped.incomplete);
    let desired = planner::desired::desired_for(topology, settings, &scoped.in_scope, &|_| None);
    let ip: IpAddr = ip.parse().unwrap();
    let ssl = ServiceMatch::parse("ssl", "application-default").unwrap();
    desired.contains(&(ip, ssl), &Source::Any)
}

/// The sentence `explain` prints for the IPv4 scope of `subnet`.
fn why(topology: &Topology, settings: &Settings, subnet: &str) -> String {
    let routes = RouteIndex::new(topology);
    let firewall = FirewallTargets::new(topology, settings);
    let subnet = topology.subnet(&subnet.into()).expect("subnet read");
    let scope = firewall.subnet_scope(&routes, subnet, IpFamily::V4);
    scope.expect("a route table applies").why
}

fn assert_why_ends(topology: &Topology, settings: &Settings, subnet: &str, end: &str) {
    let why = why(topology, settings, subnet);
    assert!(why.ends_with(end), "{why}");
}

#[tokio::test]
async fn a_default_route_to_a_gwlb_endpoint_of_the_firewall_service_brings_a_spoke_into_scope() {
    let config = testkit::moto_config_in_account(REGION, "100000000051").await;
    let ec2 = Client::new(&config);
    let hub = vpc(&ec2, "10.60.0.0/16").await;
    let (fw, _) = firewall(&ec2, &hub.id, "10.60.0.0/24", "10.60.0.10").await;
    let spoke = vpc(&ec2, "10.61.0.0/16").await;
    let endpoints = testkit::create_subnet(&ec2, &spoke.id, "10.61.0.0/24", None).await;
    let ours = endpoint(&ec2, &spoke.id, &endpoints, SERVICE).await;
    let theirs = endpoint(&ec2, &spoke.id, &endpoints, OTHER_SERVICE).await;
    let app = testkit::create_subnet(&ec2, &spoke.id, "10.61.1.0/24", None).await;
    testkit::route(
        &ec2,
        &testkit::route_table(&ec2, &spoke.id, &[&app]).await.0,
        "0.0.0.0/0",
        &ours,
    )
    .await;
    server(&ec2, &spoke.id, &app, "10.61.1.20").await;
    let elsewhere = testkit::create_subnet(&ec2, &spoke.id, "10.61.2.0/24", None).await;
    let (table, _) = testkit::route_table(&ec2, &spoke.id, &[&elsewhere]).await;
    testkit::route(&ec2, &table, "0.0.0.0/0", &theirs).await;
    server(&ec2, &spoke.id, &elsewhere, "10.61.2.20").await;

    let (topology, endpoint_calls) = read_everything(&config, &fw).await;
    assert_eq!(endpoint_calls, 1, "one batched read of the endpoints");
    let settings = settings(&fw);
    assert!(
        topology.vpc(&spoke.id.as_str().into()).is_some(),
        "Everything covers a VPC routed to GWLB endpoints"
    );
    let read: Vec<&str> = topology
        .vpc_endpoints
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    assert!(
        read.contains(&ours.as_str()) && read.contains(&theirs.as_str()),
        "{read:?}"
    );
    assert!(allows_https_to(&topology, &settings, "10.61.1.20"));
    assert!(!allows_https_to(&topology, &settings, "10.61.2.20"));
    let end = format!("(associated): default route to {ours}, through the firewall");
    assert_why_ends(&topology, &settings, &app, &end);
}

#[tokio::test]
async fn an_internet_gateway_edge_table_routing_the_subnet_to_the_firewall_brings_it_into_scope() {
    let config = testkit::moto_config_in_account(REGION, "100000000052").await;
    let ec2 = Client::new(&config);
    let spoke = vpc(&ec2, "10.62.0.0/16").await;
    let (fw, fw_eni) = firewall(&ec2, &spoke.id, "10.62.0.0/24", "10.62.0.10").await;
    let endpoints = testkit::create_subnet(&ec2, &spoke.id, "10.62.9.0/24", None).await;
    let ours = endpoint(&ec2, &spoke.id, &endpoints, SERVICE).await;
    // Three public subnets, each with its default route to the internet gateway.
    let mut public = Vec::new();
    for n in 1..=3 {
        let subnet =
            testkit::create_subnet(&ec2, &spoke.id, &format!("10.62.{n}.0/24"), None).await;
        let (table, _) = testkit::route_table(&ec2, &spoke.id, &[&subnet]).await;
        testkit::route(&ec2, &table, "0.0.0.0/0", &spoke.igw).await;
        server(&ec2, &spoke.id, &subnet, &format!("10.62.{n}.20")).await;
        public.push(subnet);
    }
    // The edge table: 10.62.1.0/24 to the firewall's interface, 10.62.2.0/24 to our endpoint,
    // 10.62.3.0/24 stays local.
    let edge = testkit::edge_route_table(&ec2, &spoke.id, &spoke.igw).await;
    testkit::route(&ec2, &edge, "10.62.1.0/24", &fw_eni).await;
    testkit::route(&ec2, &edge, "10.62.2.0/24", &ours).await;

    let (topology, _) = read_everything(&config, &fw).await;
    let settings = settings(&fw);
    assert!(allows_https_to(&topology, &settings, "10.62.1.20"));
    assert!(allows_https_to(&topology, &settings, "10.62.2.20"));
    assert!(!allows_https_to(&topology, &settings, "10.62.3.20"));
    assert_eq!(
        why(&topology, &settings, &public[1]),
        format!(
            "internet gateway {} edge table {edge} sends 10.62.2.0/24 to {ours}, through the \
             firewall",
            spoke.igw
        )
    );
    let end = format!(
        "(associated): default route to {}, not through the firewall",
        spoke.igw
    );
    assert_why_ends(&topology, &settings, &public[2], &end);
}
