//! Scenario: the firewall sits behind a Gateway Load Balancer in the central account, and a
//! spoke account reaches it through endpoints of its service (issue 18). palosync reads the
//! spoke through the role it assumes there and finds three public-facing subnets:
//! - one whose default route goes to a GWLB endpoint of the firewall's service;
//! - one whose default route goes to the internet gateway, while the gateway's edge table
//!   (ingress routing) sends the subnet's block to that endpoint;
//! - one routed straight to the internet gateway, which the firewall never sees.
//!
//! The servers of the first two get allowances on the firewall, through the whole path
//! (configuration, assumed role, inventory, planner, commit); the third gets none. An event in
//! the spoke account then changes only the spoke's rules.

mod support;

use aws_sdk_ec2::Client;
use model::PolicyMode;
use palosync::config::{Config, RawSettings};
use support::organisation::*;
use support::*;

const CENTRAL: &str = "100000000082";
const SPOKE: &str = "100000000083";
const REGION: &str = SPOKE_REGIONS[0];
const SERVICE: &str = "vpce-svc-0a1b2c3d4e5f60718";

/// The spoke: its GWLB endpoint, and the three subnets' servers' groups.
struct Spoke {
    ec2: Client,
    endpoint: String,
    groups: [String; 3],
}

async fn spoke() -> Spoke {
    let sdk = testkit::moto_config_in_account(REGION, SPOKE).await;
    let ec2 = Client::new(&sdk);
    let vpc = testkit::create_vpc(&ec2, "10.5.0.0/16").await;
    let igw = testkit::internet_gateway(&ec2, &vpc).await;
    let endpoints = testkit::create_subnet(&ec2, &vpc, "10.5.9.0/24", None).await;
    let endpoint = testkit::gwlb_endpoint(&ec2, REGION, &vpc, &endpoints, SERVICE).await;
    let mut groups = Vec::new();
    for n in 1..=3 {
        let subnet = testkit::create_subnet(&ec2, &vpc, &format!("10.5.{n}.0/24"), None).await;
        let (table, _) = testkit::route_table(&ec2, &vpc, &[&subnet]).await;
        let default = if n == 1 { &endpoint } else { &igw };
        testkit::route(&ec2, &table, "0.0.0.0/0", default).await;
        let (_, _, group) =
            testkit::https_server(&ec2, &vpc, &subnet, &format!("10.5.{n}.20")).await;
        groups.push(group);
    }
    // Ingress routing: the gateway's edge table sends the second subnet's block to the endpoint.
    let edge = testkit::edge_route_table(&ec2, &vpc, &igw).await;
    testkit::route(&ec2, &edge, "10.5.2.0/24", &endpoint).await;
    Spoke {
        ec2,
        endpoint,
        groups: groups.try_into().expect("three groups"),
    }
}

fn config(harness: &Harness) -> Config {
    let mut env = settings_map(&harness.sim, &harness.vpc.firewall);
    env.insert(
        "PALOSYNC_ACCOUNTS".into(),
        format!("{CENTRAL}:us-east-1 {SPOKE}:{REGION}"),
    );
    env.insert("PALOSYNC_GWLB_SERVICES".into(), SERVICE.into());
    env.insert("AWS_REGION".into(), "us-east-1".into());
    Config::validate(&RawSettings::from_env_map(&env).0).expect("valid settings")
}

#[tokio::test]
async fn a_spoke_accounts_gwlb_endpoint_routes_bring_its_subnets_into_scope() {
    let mut harness = Harness::in_account(CENTRAL, PolicyMode::Addresses).await;
    let spoke = spoke().await;
    let config = config(&harness);
    harness.app = app(&harness, config, |_| None).await;
    let mut org = Organisation {
        central: harness,
        spokes: Vec::new(),
        central_account: CENTRAL.into(),
        spoke_account: SPOKE.into(),
    };
    let (report, result) = org.central.sync().await;
    result.unwrap_or_else(|e| panic!("sync: {e}\n{}", report.to_table()));
    let [default_route, edge_route, direct] = ["10.5.1.20", "10.5.2.20", "10.5.3.20"];
    assert!(
        org.allows(default_route, 443).await,
        "default route to {}",
        spoke.endpoint
    );
    assert!(
        org.allows(edge_route, 443).await,
        "the edge table sends it to {}",
        spoke.endpoint
    );
    assert!(
        !org.allows(direct, 443).await,
        "straight to the internet gateway: the firewall never sees it"
    );
    assert!(
        org.allows(&org.central.vpc.web1_ip, 443).await,
        "the central account's own servers as before"
    );

    // 8443 opened on the edge-routed server's group, in the spoke account.
    let request = authorize_partner_8443(&spoke.ec2, &spoke.groups[1]).await;
    let (report, result) = org
        .event_from(SPOKE, REGION, "AuthorizeSecurityGroupIngress", request)
        .await;
    result.unwrap_or_else(|e| panic!("authorize: {e}\n{}", report.to_table()));
    assert!(org.allows(edge_route, 8443).await);
    assert!(!org.allows(default_route, 8443).await);

    // The same change on the server the firewall never sees adds nothing.
    let request = authorize_partner_8443(&spoke.ec2, &spoke.groups[2]).await;
    let (report, result) = org
        .event_from(SPOKE, REGION, "AuthorizeSecurityGroupIngress", request)
        .await;
    result.unwrap_or_else(|e| panic!("out of scope: {e}\n{}", report.to_table()));
    assert!(!org.allows(direct, 8443).await);
}
