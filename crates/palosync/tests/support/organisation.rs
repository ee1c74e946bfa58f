//! A central account with the firewall's own VPC and a spoke account in two regions whose
//! workload subnets route through a transit gateway, with palosync serving all three places
//! through the roles it assumes there (tests/accounts.rs).

use super::*;
use model::PolicyMode;
use palosync::accounts::{Accounts, Place};
use palosync::app::{App, TopologySource};
use palosync::config::{Config, RawSettings};
use std::collections::BTreeMap;

pub const PARTNER: &str = "198.51.100.7";
pub const SPOKE_REGIONS: [&str; 2] = ["ap-southeast-6", "ap-southeast-7"];

/// A web server in a spoke VPC whose workload subnet routes through the transit gateway.
pub struct Spoke {
    pub region: &'static str,
    pub ec2: aws_sdk_ec2::Client,
    pub transit_gateway: String,
    pub web_group: String,
    pub web: String,
    pub web_ip: String,
}

pub async fn spoke(account: &str, region: &'static str, cidr: &str) -> Spoke {
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
    let (table, _) = testkit::route_table(&ec2, &vpc, &[&subnet]).await;
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
pub struct Organisation {
    pub central: Harness,
    pub spokes: Vec<Spoke>,
    pub central_account: String,
    pub spoke_account: String,
}

impl Organisation {
    pub async fn new(central: &str, spoke_account: &str, mode: PolicyMode) -> Self {
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
    pub async fn spoke_event(
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
    pub fn payload(
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

    pub async fn event_from(
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

    /// Make `broken`'s role impossible to assume; returns that role. moto lets any role be
    /// assumed ("the role does not need to exist"), so the refusal is made real the other
    /// way: STS is unreachable for that place (nothing listens on port 9), while its EC2
    /// calls would still reach moto.
    pub async fn break_place(&mut self, broken: &model::AccountRegion) -> String {
        self.assume_through(std::slice::from_ref(broken), "http://127.0.0.1:9")
            .await;
        member_role(&broken.account)
    }

    /// Read `places` through their member role assumed from the STS at `sts`; EC2 stays moto.
    pub async fn assume_through(&mut self, places: &[model::AccountRegion], sts: &str) {
        let config = self.central.app.config.clone();
        let options = aws::InventoryOptions::new(config.scope_options());
        let mut inventories = Vec::new();
        for at in places {
            let base = aws::config_for(&testkit::moto_config("us-east-1").await, &at.region, None)
                .await
                .to_builder()
                .endpoint_url(sts)
                .build();
            let role = member_role(&at.account);
            let through = aws::config_for(&base, &at.region, Some(&role))
                .await
                .to_builder()
                .endpoint_url(testkit::moto_endpoint())
                .build();
            inventories.push((
                at.clone(),
                aws::SdkInventory::new(&through, options.clone()),
            ));
        }
        let inventories = std::sync::Mutex::new(inventories);
        self.central.app = app(&self.central, config, |at| {
            let mut inventories = inventories.lock().expect("not poisoned");
            let index = inventories.iter().position(|(place, _)| place == at)?;
            Some(inventories.swap_remove(index).1)
        })
        .await;
    }

    /// What the same API call costs a deployment serving only its own spoke account and
    /// `region` (as before PALOSYNC_ACCOUNTS), planned without writing: the baseline of the
    /// per-place call budget, measured in the same process on the same firewall.
    pub async fn alone_in(
        &self,
        region: &'static str,
        event_name: &str,
        request: serde_json::Value,
    ) -> palosync::report::Report {
        let mut config = self.central.app.config.clone();
        config.accounts.clear();
        config.account = Some(self.spoke_account.clone());
        config.region = Some(region.to_owned());
        let options = aws::InventoryOptions::new(config.scope_options());
        let sdk = testkit::moto_config_in_account(region, &self.spoke_account).await;
        let inventory = aws::SdkInventory::new(&sdk, options);
        let firewall = firewall(&self.central, &config);
        let alone = App::from_parts(config, firewall, TopologySource::Aws(Box::new(inventory)));
        let payload = Self::payload(&self.spoke_account, region, event_name, request);
        let ingest = events::parse_payload(payload.to_string().as_bytes(), &alone.event_filter())
            .expect("payload parses");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let (report, result) = alone
            .run(
                "baseline",
                palosync::app::Work::Ingest(ingest),
                true,
                deadline,
            )
            .await;
        result.unwrap_or_else(|e| panic!("baseline: {e}\n{}", report.to_table()));
        report
    }

    /// Each `(port, allowed)` to each destination, asked of the firewall itself.
    pub async fn assert_flows(&self, destinations: &[&String], flows: &[(u16, bool)], step: &str) {
        for destination in destinations {
            for &(port, allowed) in flows {
                let answer = self.allows(destination, port).await;
                assert_eq!(answer, allowed, "{step}: {PARTNER} -> {destination}:{port}");
            }
        }
    }

    /// Whether a managed rule allows the partner's tcp `port` to `destination`, asked of the
    /// firewall itself.
    pub async fn allows(&self, destination: &str, port: u16) -> bool {
        let admin = &self.central.admin;
        managed_rule_allowing(admin, PARTNER, destination, port, app_id_of(port))
            .await
            .is_some()
    }
}

/// The role palosync assumes in `account` by default.
pub fn member_role(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/palosync-reader")
}

/// The deployment's environment: the test firewall's settings, the three places, the transit
/// gateways as route targets.
pub fn organisation_env(
    harness: &Harness,
    central: &str,
    spoke_account: &str,
    spokes: &[Spoke],
    mode: PolicyMode,
) -> BTreeMap<String, String> {
    let regions: Vec<&str> = spokes.iter().map(|s| s.region).collect();
    let targets: Vec<&str> = spokes.iter().map(|s| s.transit_gateway.as_str()).collect();
    let mut env = settings_map(&harness.sim, &harness.vpc.firewall);
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

pub fn organisation_config(
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
pub async fn app(
    harness: &Harness,
    config: Config,
    replace: impl Fn(&model::AccountRegion) -> Option<aws::SdkInventory>,
) -> App {
    let topology = accounts_source(&config, replace).await;
    let firewall = firewall(harness, &config);
    App::from_parts(config, firewall, topology)
}

/// A client of the harness's firewall with `config`'s firewall settings.
fn firewall(harness: &Harness, config: &Config) -> palosync::firewall::Firewall {
    palosync::firewall::Firewall::connect_polling(
        &harness.sim.url(),
        &config.firewall,
        panos::ApiKey::new(API_KEY),
        std::time::Duration::from_millis(20),
    )
    .expect("client builds")
}

/// Every place of `config` read through its role from moto; `replace` may swap a place's
/// inventory.
pub async fn accounts_source(
    config: &Config,
    replace: impl Fn(&model::AccountRegion) -> Option<aws::SdkInventory>,
) -> TopologySource {
    let options = aws::InventoryOptions::new(config.scope_options());
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
    TopologySource::Accounts(Box::new(accounts))
}
