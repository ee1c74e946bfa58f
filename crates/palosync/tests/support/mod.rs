//! Test harness: a simulated firewall in-process, the example topology, and settings that
//! match both, so a scenario is a few readable lines.

#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod runtime_api;

use model::{Settings, Topology};
use palosync::config::{ApiKeySource, FirewallConfig, TlsChoice};
use palosync::firewall::Firewall;
use panos_sim::RunningSimulator;
use std::time::Duration;

pub const API_KEY: &str = "palosync-test-key";
pub const ADMIN: &str = "admin";
pub const FIREWALL_INSTANCE: &str = "i-07cc661e97589ca4a";
pub const WEB_INSTANCE: &str = "i-063f65da874007cb4";
pub const WEB_GROUP: &str = "sg-0a9b7e3ea1d1d784f";
/// A second administrator of the simulator, with a key of its own.
pub const BOB: &str = "bob";

/// The sample topology users see in `examples/snapshot.json`.
pub fn example_topology() -> Topology {
    serde_json::from_str(include_str!("../../../../examples/snapshot.json"))
        .expect("examples/snapshot.json is a topology")
}

pub fn settings() -> Settings {
    Settings::new(FIREWALL_INSTANCE, "Clean up", "untrust", "trust")
        .and_then(|s| s.with_profile_group(Some("default")))
        .expect("valid settings")
}

pub async fn start_simulator() -> RunningSimulator {
    start_simulator_committing_in(Duration::from_millis(20)).await
}

/// A simulator whose commits take `commit_delay`.
pub async fn start_simulator_committing_in(commit_delay: Duration) -> RunningSimulator {
    panos_sim::Simulator::builder()
        .api_key(API_KEY)
        .admin("other-admin", "other-password")
        .admin(BOB, "bob-password")
        .commit_delay(commit_delay)
        .start()
        .await
        .expect("simulator starts")
}

/// What every simulated firewall of a test shares (key, admin, vsys, TLS).
pub fn firewall_config() -> FirewallConfig {
    FirewallConfig {
        api_key: ApiKeySource::Inline(API_KEY.to_owned()),
        admin: Some(ADMIN.to_owned()),
        full_commit: false,
        vsys: "vsys1".to_owned(),
        tls: TlsChoice::Verified { ca_file: None },
        max_rules: None,
    }
}

pub fn firewall(sim: &RunningSimulator) -> Firewall {
    Firewall::connect(&sim.url(), &firewall_config(), panos::ApiKey::new(API_KEY))
        .expect("client builds")
}

/// Names of the committed (running) rules, in order.
pub fn running_rule_names(sim: &RunningSimulator) -> Vec<String> {
    sim.running_rules("vsys1")
        .iter()
        .filter_map(|r| r.entry_name().map(str::to_owned))
        .collect()
}

/// Names of the candidate rules, in order.
pub fn candidate_rule_names(sim: &RunningSimulator) -> Vec<String> {
    sim.candidate_rules("vsys1")
        .iter()
        .filter_map(|r| r.entry_name().map(str::to_owned))
        .collect()
}

pub mod moto;
pub mod organisation;
mod policy;
pub mod sts_counter;

pub use policy::*;

use palosync::app::{App, AppError, TopologySource, Work};
use palosync::config::{Config, RawSettings};
use palosync::report::Report;
use panos::{ConfigEntry, Location, SecurityRule};
use std::time::Instant;

/// An operator's rule above palosync's block: ssh from one bastion host to anything inside.
pub const OPERATOR_RULE: &str = "ops-bastion-ssh";
pub const BASTION: &str = "203.0.113.9";

/// moto + the simulator + palosync wired as the Lambda wires them, for one test region.
pub struct Harness {
    pub sim: RunningSimulator,
    pub app: App,
    pub ec2: aws_sdk_ec2::Client,
    pub sdk: aws_config::SdkConfig,
    pub vpc: moto::Vpc,
    pub admin: panos::Client,
    sequence: usize,
}

/// The environment a deployment of palosync against `sim` would have.
pub fn settings_env(
    sim: &RunningSimulator,
    firewall_instance: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("PANOS_URL", sim.url()),
        ("PANOS_API_KEY", API_KEY.to_owned()),
        ("PANOS_ADMIN", ADMIN.to_owned()),
        ("PANOS_BOTTOM_RULE", "Clean up".to_owned()),
        ("PANOS_UNTRUST_ZONE", "untrust".to_owned()),
        ("PANOS_TRUST_ZONE", "trust".to_owned()),
        ("PANOS_PROFILE_GROUP", "default".to_owned()),
        ("FIREWALL_INSTANCE_ID", firewall_instance.to_owned()),
    ]
}

/// Those settings as an environment map, to add to.
pub fn settings_map(
    sim: &RunningSimulator,
    firewall_instance: &str,
) -> std::collections::BTreeMap<String, String> {
    settings_env(sim, firewall_instance)
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// Those settings, validated as the binary validates them.
pub fn settings_for(sim: &RunningSimulator, firewall_instance: &str) -> Config {
    let env = settings_map(sim, firewall_instance);
    Config::validate(&RawSettings::from_env_map(&env).0).expect("valid test settings")
}

/// The real binary with exactly those settings and nothing inherited but `PATH`.
pub fn palosync_command(sim: &RunningSimulator, firewall_instance: &str) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_palosync"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(settings_env(sim, firewall_instance));
    command
}

/// The repository's `examples/` directory (the bundled snapshot and payloads).
pub fn examples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Run `palosync ARGS` against `sim` with the bundled snapshot as the topology, without the
/// settings named in `unset`, off the async runtime so the in-process simulator keeps serving.
pub async fn palosync_offline(
    sim: &RunningSimulator,
    unset: &[&str],
    args: &[&str],
) -> std::process::Output {
    let mut command = palosync_command(sim, FIREWALL_INSTANCE);
    for name in unset {
        command.env_remove(name);
    }
    command
        .arg("--topology")
        .arg(examples().join("snapshot.json"))
        .args(args);
    tokio::task::spawn_blocking(move || command.output().expect("palosync runs"))
        .await
        .expect("join")
}

/// The operator's own client, as admin.
pub fn admin_client(sim: &RunningSimulator) -> panos::Client {
    panos::Client::builder(sim.url())
        .api_key(panos::ApiKey::new(API_KEY))
        .job_poll_interval(Duration::from_millis(20))
        .build()
        .expect("admin client")
}

impl Harness {
    pub async fn new(region: &'static str) -> Self {
        Self::build(
            moto::moto_config(region).await,
            model::PolicyMode::Addresses,
        )
        .await
    }

    /// A harness in an AWS account of its own (12 digits, unique per test), so it shares no
    /// moto state with any other test, with palosync in `mode`.
    pub async fn in_account(account: &str, mode: model::PolicyMode) -> Self {
        let sdk = testkit::moto_config_in_account("us-east-1", account).await;
        Self::build(sdk, mode).await
    }

    /// As [`Harness::in_account`], with a firewall whose commits take `commit_delay`.
    pub async fn in_account_committing_in(account: &str, commit_delay: Duration) -> Self {
        let sdk = testkit::moto_config_in_account("us-east-1", account).await;
        Self::build_with(sdk, model::PolicyMode::Addresses, commit_delay).await
    }

    async fn build(sdk: aws_config::SdkConfig, mode: model::PolicyMode) -> Self {
        Self::build_with(sdk, mode, Duration::from_millis(20)).await
    }

    async fn build_with(
        sdk: aws_config::SdkConfig,
        mode: model::PolicyMode,
        commit_delay: Duration,
    ) -> Self {
        let ec2 = aws_sdk_ec2::Client::new(&sdk);
        let vpc = moto::build_vpc(&ec2).await;
        let sim = start_simulator_committing_in(commit_delay).await;
        let admin = admin_client(&sim);
        seed_operator_rule(&admin).await;
        let mut app = Self::app_for(&sim, &sdk, &vpc.firewall);
        app.config.policy = app.config.policy.clone().with_mode(mode);
        Self {
            sim,
            app,
            ec2,
            sdk,
            vpc,
            admin,
            sequence: 0,
        }
    }

    /// A second firewall (simulator and palosync) over the same AWS state, for comparing two
    /// event orders.
    pub async fn twin(&self) -> Harness {
        let sim = start_simulator().await;
        let admin = admin_client(&sim);
        seed_operator_rule(&admin).await;
        let app = Self::app_for(&sim, &self.sdk, &self.vpc.firewall);
        Harness {
            sim,
            app,
            ec2: self.ec2.clone(),
            sdk: self.sdk.clone(),
            vpc: self.vpc.clone(),
            admin,
            sequence: 1000,
        }
    }

    pub fn app_for(sim: &RunningSimulator, sdk: &aws_config::SdkConfig, firewall: &str) -> App {
        let config = settings_for(sim, firewall);
        let firewall_session = Firewall::connect_polling(
            &sim.url(),
            &config.firewall,
            panos::ApiKey::new(API_KEY),
            Duration::from_millis(20),
        )
        .expect("client builds");
        let inventory = aws::SdkInventory::new(
            sdk,
            aws::InventoryOptions::new(aws::ScopeOptions {
                firewall_instance_id: Some(model::InstanceId::new(firewall)),
                extra_route_targets: vec![],
            }),
        );
        App::from_parts(
            config,
            firewall_session,
            TopologySource::Aws(Box::new(inventory)),
        )
    }

    /// palosync's client of the harness's one firewall.
    pub fn firewall(&self) -> &Firewall {
        &self.app.targets.listed().expect("a listed firewall")[0]
    }

    /// Replace palosync's firewall session with one built from `config` (admin, full commit),
    /// writing at most `batch_size` actions per multi-config request.
    pub fn reconnect(&mut self, config: &FirewallConfig, batch_size: usize) {
        let firewall = Firewall::connect_polling(
            &self.sim.url(),
            config,
            panos::ApiKey::new(API_KEY),
            Duration::from_millis(20),
        )
        .expect("client builds")
        .with_batch_size(batch_size);
        self.app.targets = palosync::targets::Targets::one(firewall);
        self.app.config.firewall = config.clone();
    }

    /// The id of `group`'s ingress rule for tcp `port`.
    pub async fn ingress_rule_id(&self, group: &str, port: i32) -> String {
        let rules = self
            .ec2
            .describe_security_group_rules()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-id")
                    .values(group)
                    .build(),
            )
            .send()
            .await
            .expect("describe rules");
        rules
            .security_group_rules()
            .iter()
            .find(|r| r.from_port() == Some(port) && r.is_egress() == Some(false))
            .and_then(|r| r.security_group_rule_id())
            .expect("the rule")
            .to_owned()
    }

    /// Rule `rule` of `group` becomes tcp/`port` from 0.0.0.0/0 in place (in moto), and its
    /// ModifySecurityGroupRules event is delivered.
    pub async fn modify_rule_to_port(
        &mut self,
        group: &str,
        rule: &str,
        port: i32,
    ) -> (Report, Result<(), AppError>) {
        self.ec2
            .modify_security_group_rules()
            .group_id(group)
            .security_group_rules(
                aws_sdk_ec2::types::SecurityGroupRuleUpdate::builder()
                    .security_group_rule_id(rule)
                    .security_group_rule(
                        aws_sdk_ec2::types::SecurityGroupRuleRequest::builder()
                            .ip_protocol("tcp")
                            .from_port(port)
                            .to_port(port)
                            .cidr_ipv4("0.0.0.0/0")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("modify in moto");
        self.event(
            "ModifySecurityGroupRules",
            serde_json::json!({ "ModifySecurityGroupRulesRequest": { "GroupId": group, "SecurityGroupRule": {
                "SecurityGroupRuleId": rule, "SecurityGroupRule": {
                    "IpProtocol": "tcp", "FromPort": port, "ToPort": port, "CidrIpv4": "0.0.0.0/0" } } } }),
        )
        .await
    }

    /// The test VPC's id.
    pub async fn vpc_id(&self) -> String {
        self.ec2
            .describe_security_groups()
            .group_ids(&self.vpc.web_group)
            .send()
            .await
            .expect("describe web")
            .security_groups()[0]
            .vpc_id()
            .expect("vpc")
            .to_owned()
    }

    /// Another administrator's client (`bob`), with bob's own key.
    pub fn bob(&self) -> panos::Client {
        let key = self.sim.key_of(BOB).expect("bob has a key");
        panos::Client::builder(self.sim.url())
            .api_key(panos::ApiKey::new(key))
            .job_poll_interval(Duration::from_millis(20))
            .build()
            .expect("bob's client")
    }

    /// A full sync, as the schedule or `palosync sync` runs it.
    pub async fn sync(&self) -> (Report, Result<(), AppError>) {
        let deadline = Instant::now() + Duration::from_secs(60);
        self.app
            .run(
                "test",
                Work::Everything(model::Provenance::sync("test")),
                false,
                deadline,
            )
            .await
    }

    /// Deliver one CloudTrail API call through EventBridge, as the Lambda receives it.
    pub async fn event(
        &mut self,
        event_name: &str,
        request: serde_json::Value,
    ) -> (Report, Result<(), AppError>) {
        self.sequence += 1;
        let payload = palosync::demo::api_call_event(event_name, "alice", self.sequence, request);
        self.payload(payload.to_string().as_bytes()).await
    }

    /// As [`Harness::event`], with the call's `responseElements` (ids that only the response
    /// carries, such as RunInstances').
    pub async fn event_with_response(
        &mut self,
        event_name: &str,
        request: serde_json::Value,
        response: serde_json::Value,
    ) -> (Report, Result<(), AppError>) {
        self.sequence += 1;
        let mut payload =
            palosync::demo::api_call_event(event_name, "alice", self.sequence, request);
        payload["detail"]["responseElements"] = response;
        self.payload(payload.to_string().as_bytes()).await
    }

    /// (source, destination, application/service) of every managed rule: what the firewall
    /// allows on palosync's behalf, whatever the rules are called.
    pub async fn coverage(&self) -> std::collections::BTreeSet<(String, String, String)> {
        self.managed_rules()
            .await
            .iter()
            .flat_map(|rule| {
                let app = format!("{}/{}", rule.application.join(","), rule.service.join(","));
                rule.source.iter().flat_map(move |source| {
                    let app = app.clone();
                    rule.destination
                        .iter()
                        .map(move |destination| (source.clone(), destination.clone(), app.clone()))
                })
            })
            .collect()
    }

    pub async fn payload(&self, bytes: &[u8]) -> (Report, Result<(), AppError>) {
        let ingest =
            events::parse_payload(bytes, &self.app.event_filter()).expect("payload parses");
        let deadline = Instant::now() + Duration::from_secs(60);
        self.app
            .run("test", Work::Ingest(ingest), false, deadline)
            .await
    }

    /// Rules committed to the running configuration: (name, sources, destinations, app/service).
    pub async fn running_rules(&self) -> Vec<SecurityRule> {
        running_rules_of(&self.admin).await
    }

    pub async fn managed_rules(&self) -> Vec<SecurityRule> {
        managed_rules_of(&self.admin).await
    }

    pub async fn operator_rule(&self) -> SecurityRule {
        self.running_rules()
            .await
            .into_iter()
            .find(|r| r.name == OPERATOR_RULE)
            .expect("operator rule is still there")
    }
}

/// The partner network's tcp/8443 opened on `web` in moto, and the CloudTrail request
/// parameters of that `AuthorizeSecurityGroupIngress`.
pub async fn authorize_partner_8443(ec2: &aws_sdk_ec2::Client, web: &str) -> serde_json::Value {
    ec2.authorize_security_group_ingress()
        .group_id(web)
        .ip_permissions(
            moto::tcp(8443)
                .ip_ranges(moto::cidr("198.51.100.0/24"))
                .build(),
        )
        .send()
        .await
        .expect("authorize in moto");
    serde_json::json!({ "groupId": web, "ipPermissions": { "items": [{
        "ipProtocol": "tcp", "fromPort": 8443, "toPort": 8443,
        "ipRanges": { "items": [{ "cidrIp": "198.51.100.0/24" }] } }] } })
}
