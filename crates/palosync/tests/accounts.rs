//! One palosync for several accounts and regions (issue 18), against moto: a central account
//! with the firewall's own VPC, and a spoke account in two regions whose workload subnets send
//! their default route to a transit gateway (a configured route target), each read through the
//! role palosync assumes there. Events are reconciled with the topology of the account and
//! region they came from; an event from an account not served is skipped with the reason; a
//! place whose role cannot be assumed fails alone, and keeps the rules it had.

mod support;

use support::runtime_api::{Outcome, RuntimeApi};

use model::PolicyMode;
use palosync::accounts::{Accounts, Place};
use palosync::app::{App, TopologySource};
use palosync::config::{Config, RawSettings};
use std::collections::BTreeMap;
use support::*;

const PARTNER: &str = "198.51.100.7";
const SPOKE_REGIONS: [&str; 2] = ["ap-southeast-6", "ap-southeast-7"];

/// A web server in a spoke VPC whose workload subnet routes through the transit gateway.
struct Spoke {
    region: &'static str,
    ec2: aws_sdk_ec2::Client,
    transit_gateway: String,
    web_group: String,
    web: String,
    web_ip: String,
}

async fn spoke(account: &str, region: &'static str, cidr: &str) -> Spoke {
    let sdk = testkit::moto_config_in_account(region, account).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let vpc = testkit::create_vpc(&ec2, cidr).await;
    let subnet_cidr = cidr.replace(".0.0/16", ".1.0/24");
    let subnet = testkit::create_subnet(&ec2, &vpc, &subnet_cidr, None).await;
    let web_group = testkit::create_group(
        &ec2,
        &vpc,
        "web",
        vec![
            testkit::tcp(443, 443)
                .ip_ranges(testkit::cidr("0.0.0.0/0"))
                .build(),
        ],
    )
    .await;
    let image = testkit::any_image(&ec2).await;
    let (web, _, web_ip) = moto::launch_with_interface(&ec2, &image, &subnet, &web_group).await;
    let transit_gateway = ec2
        .create_transit_gateway()
        .send()
        .await
        .expect("create transit gateway")
        .transit_gateway()
        .and_then(|t| t.transit_gateway_id())
        .expect("transit gateway id")
        .to_owned();
    let table = ec2
        .create_route_table()
        .vpc_id(&vpc)
        .send()
        .await
        .expect("create route table")
        .route_table()
        .and_then(|t| t.route_table_id())
        .expect("route table id")
        .to_owned();
    ec2.associate_route_table()
        .route_table_id(&table)
        .subnet_id(&subnet)
        .send()
        .await
        .expect("associate");
    ec2.create_route()
        .route_table_id(&table)
        .destination_cidr_block("0.0.0.0/0")
        .transit_gateway_id(&transit_gateway)
        .send()
        .await
        .expect("default route to the transit gateway");
    Spoke {
        region,
        ec2,
        transit_gateway,
        web_group,
        web,
        web_ip,
    }
}

/// The central harness (firewall, its VPC in `central`) and a spoke account in two regions,
/// palosync serving all three places through the roles it assumes.
struct Organisation {
    central: Harness,
    spokes: Vec<Spoke>,
    central_account: String,
    spoke_account: String,
}

impl Organisation {
    async fn new(central: &str, spoke_account: &str, mode: PolicyMode) -> Self {
        let mut harness = Harness::in_account(central, mode).await;
        let mut spokes = Vec::new();
        for (region, cidr) in SPOKE_REGIONS
            .into_iter()
            .zip(["10.1.0.0/16", "10.2.0.0/16"])
        {
            spokes.push(spoke(spoke_account, region, cidr).await);
        }
        let config = organisation_config(&harness, central, spoke_account, &spokes, mode);
        harness.app = app(&harness, config, |_| None).await;
        Self {
            central: harness,
            spokes,
            central_account: central.to_owned(),
            spoke_account: spoke_account.to_owned(),
        }
    }

    /// An API call in the spoke account and `region`, as the central bus receives it.
    async fn spoke_event(
        &mut self,
        region: &str,
        event_name: &str,
        request: serde_json::Value,
    ) -> (
        palosync::report::Report,
        Result<(), palosync::app::AppError>,
    ) {
        let account = self.spoke_account.clone();
        self.event_from(&account, region, event_name, request).await
    }

    /// The API call as the central bus delivers it.
    fn payload(
        account: &str,
        region: &str,
        event_name: &str,
        request: serde_json::Value,
    ) -> serde_json::Value {
        let mut payload = palosync::demo::api_call_event(event_name, "alice", 7, request);
        payload["account"] = account.into();
        payload["region"] = region.into();
        payload["detail"]["recipientAccountId"] = account.into();
        payload["detail"]["awsRegion"] = region.into();
        payload
    }

    async fn event_from(
        &mut self,
        account: &str,
        region: &str,
        event_name: &str,
        request: serde_json::Value,
    ) -> (
        palosync::report::Report,
        Result<(), palosync::app::AppError>,
    ) {
        let payload = Self::payload(account, region, event_name, request);
        self.central.payload(payload.to_string().as_bytes()).await
    }

    /// Each `(port, allowed)` to each destination, asked of the firewall itself.
    async fn assert_flows(&self, destinations: &[&String], flows: &[(u16, bool)], step: &str) {
        for destination in destinations {
            for &(port, allowed) in flows {
                let answer = self.allows(destination, port).await;
                assert_eq!(answer, allowed, "{step}: {PARTNER} -> {destination}:{port}");
            }
        }
    }

    /// Whether a managed rule allows the partner's tcp `port` to `destination`, asked of the
    /// firewall itself.
    async fn allows(&self, destination: &str, port: u16) -> bool {
        let admin = &self.central.admin;
        managed_rule_allowing(admin, PARTNER, destination, port, app_id_of(port))
            .await
            .is_some()
    }
}

/// The deployment's environment: the test firewall's settings, the three places, the transit
/// gateways as route targets.
fn organisation_env(
    harness: &Harness,
    central: &str,
    spoke_account: &str,
    spokes: &[Spoke],
    mode: PolicyMode,
) -> BTreeMap<String, String> {
    let regions: Vec<&str> = spokes.iter().map(|s| s.region).collect();
    let targets: Vec<&str> = spokes.iter().map(|s| s.transit_gateway.as_str()).collect();
    let mut env: BTreeMap<String, String> = settings_env(&harness.sim, &harness.vpc.firewall)
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    env.insert(
        "PALOSYNC_ACCOUNTS".into(),
        format!("{central}:us-east-1, {spoke_account}:{}", regions.join("+")),
    );
    env.insert("FIREWALL_ROUTE_TARGETS".into(), targets.join(","));
    env.insert("AWS_REGION".into(), "us-east-1".into());
    let mode = match mode {
        PolicyMode::Addresses => "addresses",
        PolicyMode::Groups => "groups",
    };
    env.insert("PALOSYNC_MODE".into(), mode.into());
    env
}

fn organisation_config(
    harness: &Harness,
    central: &str,
    spoke_account: &str,
    spokes: &[Spoke],
    mode: PolicyMode,
) -> Config {
    let env = organisation_env(harness, central, spoke_account, spokes, mode);
    Config::validate(&RawSettings::from_env_map(&env).0).expect("valid settings")
}

/// palosync with `config`, every place read through its role; `replace` may swap a place's
/// inventory (a role that cannot be assumed).
async fn app(
    harness: &Harness,
    config: Config,
    replace: impl Fn(&model::AccountRegion) -> Option<aws::SdkInventory>,
) -> App {
    let options = aws::InventoryOptions::new(aws::ScopeOptions {
        firewall_instance_id: Some(config.policy.firewall_instance_id.clone()),
        extra_route_targets: config.policy.extra_route_targets.clone(),
    });
    let base = testkit::moto_config("us-east-1").await;
    let mut accounts = Accounts::new(&base, &config.accounts, options).await;
    accounts.places = accounts
        .places
        .into_iter()
        .map(|place| match replace(&place.at) {
            Some(inventory) => Place { inventory, ..place },
            None => place,
        })
        .collect();
    let firewall = palosync::firewall::Firewall::connect_polling(
        &harness.sim.url(),
        &config.firewall,
        panos::ApiKey::new(API_KEY),
        std::time::Duration::from_millis(20),
    )
    .expect("client builds");
    App::from_parts(
        config,
        firewall,
        TopologySource::Accounts(Box::new(accounts)),
    )
}

async fn reconciles_each_place_with_its_own_topology(central: &str, spoke: &str, mode: PolicyMode) {
    let mut org = Organisation::new(central, spoke, mode).await;
    let (report, result) = org.central.sync().await;
    result.unwrap_or_else(|e| panic!("{mode:?} sync: {e}\n{}", report.to_table()));
    let central_web = org.central.vpc.web1_ip.clone();
    let everywhere = [&central_web, &org.spokes[0].web_ip, &org.spokes[1].web_ip];
    org.assert_flows(&everywhere, &[(443, true), (8443, false)], "sync")
        .await;
    assert!(
        report.accounts_failed.is_empty(),
        "{:?}",
        report.accounts_failed
    );

    // 8443 opened on the web group of the second spoke region: that event's group is read
    // there, and only there (the other places do not hold it, and must not take it for gone).
    let second = &org.spokes[1];
    let request = authorize_partner_8443(&second.ec2, &second.web_group).await;
    let (second_region, second_ip) = (second.region, second.web_ip.clone());
    let (report, result) = org
        .spoke_event(second_region, "AuthorizeSecurityGroupIngress", request)
        .await;
    result.unwrap_or_else(|e| panic!("{mode:?} authorize: {e}\n{}", report.to_table()));
    assert_eq!(
        report.keys,
        [model::ReconcileKey::SecurityGroup(
            org.spokes[1].web_group.as_str().into()
        )]
    );
    org.assert_flows(&[&second_ip], &[(443, true), (8443, true)], "authorized")
        .await;
    let others = [&central_web, &org.spokes[0].web_ip];
    org.assert_flows(&others, &[(443, true), (8443, false)], "elsewhere")
        .await;
    eprintln!(
        "{mode:?} authorize in {second_region}: {:?}",
        report.aws_calls
    );

    // The same group id named by an event from the first region is not there: nothing of the
    // second region's is touched.
    let request = serde_json::json!({ "groupId": org.spokes[1].web_group });
    let first_region = org.spokes[0].region;
    let (report, result) = org
        .spoke_event(first_region, "RevokeSecurityGroupIngress", request)
        .await;
    result.unwrap_or_else(|e| panic!("{mode:?} misplaced event: {e}\n{}", report.to_table()));
    assert!(
        org.allows(&second_ip, 8443).await,
        "{mode:?}: the other region's rule stays"
    );
    assert!(org.allows(&second_ip, 443).await);

    // The first region's web server stops: its allowances go, nobody else's.
    let first = &org.spokes[0];
    first
        .ec2
        .stop_instances()
        .instance_ids(&first.web)
        .send()
        .await
        .expect("stop in moto");
    let request = serde_json::json!({ "instancesSet": { "items": [{ "instanceId": first.web }] } });
    let first_ip = first.web_ip.clone();
    let (report, result) = org
        .spoke_event(first_region, "StopInstances", request)
        .await;
    result.unwrap_or_else(|e| panic!("{mode:?} stop: {e}\n{}", report.to_table()));
    org.assert_flows(&[&first_ip], &[(443, false)], "stopped")
        .await;
    org.assert_flows(&[&central_web, &second_ip], &[(443, true)], "running")
        .await;
    org.assert_flows(&[&second_ip], &[(8443, true)], "running")
        .await;

    // The second region's server moves to a group that opens nothing, and then the old group
    // changes: its rules point at an interface the group's read no longer holds, which is
    // read again in every served place before they are removed.
    let second = &org.spokes[1];
    let vpc = second
        .ec2
        .describe_security_groups()
        .group_ids(&second.web_group)
        .send()
        .await
        .expect("describe")
        .security_groups()[0]
        .vpc_id()
        .expect("vpc")
        .to_owned();
    let closed = testkit::create_group(&second.ec2, &vpc, "closed", vec![]).await;
    let eni = moto::interfaces_of(&second.ec2, &second.web)
        .await
        .remove(0);
    second
        .ec2
        .modify_network_interface_attribute()
        .network_interface_id(&eni)
        .groups(&closed)
        .send()
        .await
        .expect("regroup in moto");
    let request = serde_json::json!({ "groupId": second.web_group });
    let second_region = second.region;
    let (report, result) = org
        .spoke_event(second_region, "RevokeSecurityGroupIngress", request)
        .await;
    result.unwrap_or_else(|e| panic!("{mode:?} regrouped: {e}\n{}", report.to_table()));
    if mode == PolicyMode::Addresses {
        assert!(report.claimed_targets.is_some(), "{}", report.to_table());
        org.assert_flows(&[&second_ip], &[(443, false), (8443, false)], "regrouped")
            .await;
    }
    // Group mode keeps the member it did not read (unknown is not gone) until the
    // interface's own event, which comes next either way.
    let request = serde_json::json!({ "networkInterfaceId": eni,
        "groupSet": { "items": [{ "groupId": closed }] } });
    let (report, result) = org
        .spoke_event(second_region, "ModifyNetworkInterfaceAttribute", request)
        .await;
    result.unwrap_or_else(|e| panic!("{mode:?} instance regrouped: {e}\n{}", report.to_table()));
    org.assert_flows(&[&second_ip], &[(443, false), (8443, false)], "regrouped")
        .await;
    org.assert_flows(&[&central_web], &[(443, true)], "untouched")
        .await;
}

#[tokio::test]
async fn events_from_two_accounts_and_two_regions_are_each_read_where_they_came_from() {
    reconciles_each_place_with_its_own_topology(
        "100000000061",
        "100000000062",
        PolicyMode::Addresses,
    )
    .await;
}

#[tokio::test]
async fn group_mode_reconciles_two_accounts_and_two_regions_too() {
    reconciles_each_place_with_its_own_topology("100000000063", "100000000064", PolicyMode::Groups)
        .await;
}

#[tokio::test]
async fn an_event_from_an_account_not_served_is_skipped_with_the_reason() {
    let mut org = Organisation::new("100000000065", "100000000066", PolicyMode::Addresses).await;
    org.central.sync().await.1.expect("sync");
    let before = org.central.managed_rules().await;
    let request = serde_json::json!({ "instancesSet": { "items": [{ "instanceId": "i-0123456789abcdef0" }] } });
    let (report, result) = org
        .event_from("100000000069", "us-east-1", "StartInstances", request)
        .await;
    result.expect("a skip is not a failure");
    assert!(report.keys.is_empty(), "{:?}", report.keys);
    let reasons: Vec<String> = report
        .skipped_events
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("100000000069"), "{reasons:?}");
    // A served account in a region not served for it: skipped too.
    let request = serde_json::json!({ "groupId": org.spokes[0].web_group });
    let (report, _) = org
        .event_from(
            &org.spoke_account.clone(),
            "eu-west-1",
            "RevokeSecurityGroupIngress",
            request,
        )
        .await;
    assert!(report.keys.is_empty(), "{:?}", report.keys);
    assert!(
        report.skipped_events[0].to_string().contains("eu-west-1"),
        "{:?}",
        report.skipped_events
    );
    assert_eq!(org.central.managed_rules().await, before);
}

#[tokio::test]
async fn a_role_that_cannot_be_assumed_fails_that_place_only_and_keeps_its_rules() {
    let mut org = Organisation::new("100000000067", "100000000068", PolicyMode::Addresses).await;
    org.central
        .sync()
        .await
        .1
        .expect("first sync, every role assumed");
    let broken = model::AccountRegion::new("100000000068", SPOKE_REGIONS[1]);

    // moto lets any role be assumed ("the role does not need to exist"), so the refusal is
    // made real the other way: STS is unreachable for that place's role (nothing listens on
    // port 9), while its EC2 calls would still reach moto.
    let dead_sts = aws::config_for(
        &testkit::moto_config("us-east-1").await,
        SPOKE_REGIONS[1],
        None,
    )
    .await
    .to_builder()
    .endpoint_url("http://127.0.0.1:9")
    .build();
    let role = format!("arn:aws:iam::{}:role/palosync-reader", broken.account);
    let through_dead_sts = aws::config_for(&dead_sts, SPOKE_REGIONS[1], Some(&role))
        .await
        .to_builder()
        .endpoint_url(testkit::moto_endpoint())
        .build();
    let config = org.central.app.config.clone();
    let options = aws::InventoryOptions::new(aws::ScopeOptions {
        firewall_instance_id: Some(config.policy.firewall_instance_id.clone()),
        extra_route_targets: config.policy.extra_route_targets.clone(),
    });
    org.central.app = app(&org.central, config, |at| {
        (at == &broken).then(|| aws::SdkInventory::new(&through_dead_sts, options.clone()))
    })
    .await;

    // 8443 opened in the central account and in the broken place; a full sync follows.
    let central_group = org.central.vpc.web_group.clone();
    authorize_partner_8443(&org.central.ec2, &central_group).await;
    let second = &org.spokes[1];
    authorize_partner_8443(&second.ec2, &second.web_group).await;
    let (second_ip, first_ip) = (second.web_ip.clone(), org.spokes[0].web_ip.clone());
    let (report, result) = org.central.sync().await;
    let error = result.expect_err("the broken place fails the run");
    assert_eq!(error.error_type(), "AccountsFailed", "{error}");
    let message = error.to_string();
    assert!(
        message.contains("100000000068 in ap-southeast-7"),
        "{message}"
    );
    assert!(message.contains(&role), "{message}");
    assert_eq!(
        report.accounts_failed.len(),
        1,
        "{:?}",
        report.accounts_failed
    );

    // The others were reconciled: the central account's 8443 is open.
    let central_web = org.central.vpc.web1_ip.clone();
    assert!(org.allows(&central_web, 8443).await, "central reconciled");
    assert!(org.allows(&first_ip, 443).await, "first spoke region kept");
    // The broken place's rules are kept as they were (unknown is not gone), and its new
    // permission waits for the retry.
    assert!(
        org.allows(&second_ip, 443).await,
        "the unread place keeps https"
    );
    assert!(!org.allows(&second_ip, 8443).await, "not read, not added");
}

/// The real binary as Lambda runs it, configured only by its environment: it assumes the
/// member role of each place (moto's STS), reads the spoke region the event names, and skips an
/// account it does not serve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lambda_binary_serves_the_accounts_its_environment_lists() {
    let org = Organisation::new("100000000071", "100000000072", PolicyMode::Addresses).await;
    let env = organisation_env(
        &org.central,
        &org.central_account,
        &org.spoke_account,
        &org.spokes,
        PolicyMode::Addresses,
    );
    let api = RuntimeApi::start();
    let mut function = palosync_command(&org.central.sim, &org.central.vpc.firewall)
        .envs(env)
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", "palosync")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", testkit::moto_endpoint())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("palosync starts");
    let answer = |payload: serde_json::Value| {
        let id = api.invoke(payload.to_string().as_bytes());
        tokio::task::block_in_place(|| api.outcome(&id, std::time::Duration::from_secs(60)))
    };

    let second = &org.spokes[1];
    let request = authorize_partner_8443(&second.ec2, &second.web_group).await;
    let event = Organisation::payload(
        &org.spoke_account,
        second.region,
        "AuthorizeSecurityGroupIngress",
        request,
    );
    let Outcome::Response(reply) = answer(event) else {
        panic!("the spoke's event failed");
    };
    assert_eq!(reply["keys"], 1, "{reply}");
    assert_eq!(reply["commit"]["result"], "committed", "{reply}");
    assert!(org.allows(&second.web_ip, 443).await, "{reply}");
    assert!(org.allows(&second.web_ip, 8443).await, "{reply}");
    assert!(
        !org.allows(&org.spokes[0].web_ip, 443).await,
        "not asked yet"
    );

    let request = serde_json::json!({ "groupId": org.spokes[0].web_group });
    let event = Organisation::payload(
        "100000000079",
        "us-east-1",
        "RevokeSecurityGroupIngress",
        request,
    );
    let Outcome::Response(reply) = answer(event) else {
        panic!("a skip is not a failure");
    };
    assert_eq!(reply["keys"], 0, "{reply}");
    let _ = function.kill();
    let _ = function.wait();
}
