//! A fleet of three simulated firewalls behind one VPC (issue 17, item 3), against moto: every
//! firewall is reconciled on its own with its own commit; one that is down during an event does
//! not stop the others, the report and the error name it, and the event delivered again (as
//! SQS does after the failed invocation) brings it up to date once it is back. In both modes,
//! each firewall's own `test security-policy-match` answers exactly the desired flows.

mod support;

use model::PolicyMode;
use palosync::config::{Fleet, Target};
use palosync::firewall::Firewall;
use palosync::report::Report;
use palosync::targets::Targets;
use panos_sim::RunningSimulator;
use std::time::{Duration, Instant};
use support::*;

const PARTNER: &str = "198.51.100.7";

/// A flow from the partner: (destination, tcp port, App-ID).
struct Flow {
    destination: String,
    port: u16,
    application: &'static str,
}

fn flow(destination: &str, port: u16) -> Flow {
    Flow {
        destination: destination.to_owned(),
        port,
        application: app_id_of(port),
    }
}

/// Whether a managed rule of the firewall behind `admin` allows `flow`, asked of that firewall.
async fn managed_allows(admin: &panos::Client, flow: &Flow) -> bool {
    managed_rule_allowing(
        admin,
        PARTNER,
        &flow.destination,
        flow.port,
        flow.application,
    )
    .await
    .is_some()
}

/// The flows the test VPC's groups allow from the partner (https; 8443 once authorized), and
/// those they do not (ssh is open to the VPC only; 8443 before it is authorized).
async fn assert_exactly(firewall: &Up, web1_ip: &str, with_8443: bool, step: &str) {
    let (url, admin) = firewall;
    for (port, desired) in [(443, true), (8443, with_8443), (22, false)] {
        assert_eq!(
            managed_allows(admin, &flow(web1_ip, port)).await,
            desired,
            "{step}: {PARTNER} -> {web1_ip}:{port} on {url}"
        );
    }
}

/// A firewall that is up: its URL and its operator's client.
type Up = (String, panos::Client);

/// Three firewalls: the harness's own (`h.sim`) and two more, all reconciled by `h.app`.
struct FleetOfThree {
    h: Harness,
    second: RunningSimulator,
    /// `None` while the third firewall is down.
    third: Option<RunningSimulator>,
    third_addr: std::net::SocketAddr,
    /// The third firewall's configuration while it was down (it comes back with it).
    third_saved: String,
}

async fn firewall_with_operator_rule() -> RunningSimulator {
    let sim = start_simulator().await;
    seed_operator_rule(&admin_client(&sim)).await;
    sim
}

impl FleetOfThree {
    async fn new(account: &str, mode: PolicyMode) -> Self {
        let mut h = Harness::in_account(account, mode).await;
        let second = firewall_with_operator_rule().await;
        let third = firewall_with_operator_rule().await;
        let urls = vec![h.sim.url(), second.url(), third.url()];
        let firewalls = urls
            .iter()
            .map(|url| {
                Firewall::connect_polling(
                    url,
                    &h.app.config.firewall,
                    panos::ApiKey::new(API_KEY),
                    Duration::from_millis(20),
                )
                .expect("client builds")
            })
            .collect();
        h.app.targets = Targets::fleet(firewalls);
        h.app.config.target = Target::Fleet(Fleet::Urls(urls));
        Self {
            h,
            second,
            third_addr: third.addr(),
            third: Some(third),
            third_saved: String::new(),
        }
    }

    fn third_url(&self) -> String {
        format!("http://{}", self.third_addr)
    }

    /// The firewalls that are up, in fleet order.
    fn admins(&self) -> Vec<Up> {
        [Some(&self.h.sim), Some(&self.second), self.third.as_ref()]
            .into_iter()
            .flatten()
            .map(|sim| (sim.url(), admin_client(sim)))
            .collect()
    }

    fn commits(&self) -> Vec<u64> {
        [Some(&self.h.sim), Some(&self.second), self.third.as_ref()]
            .into_iter()
            .flatten()
            .map(|sim| sim.stats().commits_enqueued)
            .collect()
    }

    /// The third firewall stops answering: nothing listens on its address any more.
    async fn third_goes_down(&mut self) {
        let third = self.third.take().expect("up");
        self.third_saved = third.running_config_xml();
        third.shutdown().await;
    }

    /// It comes back at the same address with the configuration it had.
    async fn third_comes_back(&mut self) {
        let sim = panos_sim::Simulator::builder()
            .api_key(API_KEY)
            .admin("other-admin", "other-password")
            .admin(BOB, "bob-password")
            .commit_delay(Duration::from_millis(20))
            .listen(self.third_addr)
            .config_xml(self.third_saved.clone())
            .start()
            .await
            .expect("the third firewall restarts on its address");
        self.third = Some(sim);
    }
}

fn round_trips(report: &Report) -> Vec<u64> {
    report
        .firewalls
        .iter()
        .map(|f| f.round_trips.values().sum())
        .collect()
}

async fn a_firewall_down_during_an_event(account: &str, mode: PolicyMode) {
    let started = Instant::now();
    let mut fleet = FleetOfThree::new(account, mode).await;
    let web1_ip = fleet.h.vpc.web1_ip.clone();
    let web = fleet.h.vpc.web_group.clone();

    // Each simulator committed once already: the operator's rule.
    assert_eq!(fleet.commits(), [1, 1, 1]);
    let (report, result) = fleet.h.sync().await;
    result.unwrap_or_else(|e| panic!("sync of the fleet: {e}\n{}", report.to_table()));
    assert_eq!(report.firewalls.len(), 3, "{}", report.to_table());
    for firewall in &report.firewalls {
        let commit = firewall.execution.as_ref().and_then(|e| e.commit.as_ref());
        assert!(
            matches!(
                commit,
                Some(palosync::firewall::CommitReport::Committed { .. })
            ),
            "{}: its own commit: {commit:?}",
            firewall.firewall
        );
    }
    assert_eq!(fleet.commits(), [2, 2, 2], "one commit on each firewall");
    for admin in fleet.admins() {
        assert_exactly(&admin, &web1_ip, false, "sync").await;
    }
    eprintln!(
        "{mode:?} sync: round trips per firewall {:?}",
        round_trips(&report)
    );

    // The third firewall is down when the partner's port is opened.
    fleet.third_goes_down().await;
    let authorized = authorize_partner_8443(&fleet.h.ec2, &web).await;
    let (report, result) = fleet
        .h
        .event("AuthorizeSecurityGroupIngress", authorized.clone())
        .await;
    let error = result.expect_err("a firewall of the fleet is down");
    let third = fleet.third_url();
    assert_eq!(error.error_type(), "FleetFailed", "{error}");
    assert!(
        error.to_string().contains("1 of 3 firewalls failed"),
        "{error}"
    );
    assert!(error.to_string().contains(&third), "{error}");
    let lambda_type = error.lambda_error_type();
    assert_eq!(
        lambda_type,
        format!("FleetFailed: {third} FirewallUnreachable"),
        "the Lambda errorType names the firewall"
    );
    let reported = report.error.as_ref().expect("the report has the error");
    assert!(reported.message.contains(&third), "{}", reported.message);
    let failed: Vec<&str> = report
        .firewalls
        .iter()
        .filter(|f| f.error.is_some())
        .map(|f| f.firewall.as_str())
        .collect();
    assert_eq!(failed, [third.as_str()], "{}", report.to_table());
    assert!(report.to_table().contains(&third), "{}", report.to_table());
    // The two that are up converged, each with a commit of its own.
    assert_eq!(fleet.commits(), [3, 3], "{}", report.to_table());
    for admin in fleet.admins() {
        assert_exactly(&admin, &web1_ip, true, "authorize, third down").await;
    }
    eprintln!(
        "{mode:?} authorize, third down: round trips per firewall {:?}",
        round_trips(&report)
    );

    // It comes back; the event comes again (the failed invocation returned it to the queue).
    fleet.third_comes_back().await;
    let (report, result) = fleet
        .h
        .event("AuthorizeSecurityGroupIngress", authorized)
        .await;
    result.unwrap_or_else(|e| panic!("redelivered: {e}\n{}", report.to_table()));
    assert!(report.error.is_none());
    assert_eq!(
        fleet.commits(),
        [3, 3, 1],
        "the two converged firewalls commit nothing; the third (restarted: its counter too) \
         commits once on its own"
    );
    let admins = fleet.admins();
    assert_eq!(admins.len(), 3);
    for admin in &admins {
        assert_exactly(admin, &web1_ip, true, "redelivered").await;
    }
    let mut shapes = Vec::new();
    for (_, admin) in &admins {
        let rules = managed_rules_of(admin).await;
        let shape: Vec<_> = rules
            .iter()
            .map(|r| (r.source.clone(), r.destination.clone(), r.service.clone()))
            .collect();
        shapes.push(shape);
    }
    assert_eq!(shapes[0], shapes[1], "same policy on every firewall");
    assert_eq!(shapes[0], shapes[2], "same policy on every firewall");
    eprintln!(
        "{mode:?} redelivered: round trips per firewall {:?}; scenario took {} ms",
        round_trips(&report),
        started.elapsed().as_millis()
    );
}

#[tokio::test]
async fn address_mode_a_firewall_down_during_an_event_is_named_and_converged_later() {
    a_firewall_down_during_an_event("100000000171", PolicyMode::Addresses).await;
}

#[tokio::test]
async fn group_mode_a_firewall_down_during_an_event_is_named_and_converged_later() {
    a_firewall_down_during_an_event("100000000172", PolicyMode::Groups).await;
}

#[tokio::test]
async fn a_fleet_of_one_reports_its_firewall_and_a_single_firewall_keeps_the_old_shape() {
    let mut h = Harness::in_account("100000000173", PolicyMode::Addresses).await;
    let (report, result) = h.sync().await;
    result.expect("single firewall");
    assert!(
        report.firewalls.is_empty(),
        "a single firewall's report keeps its shape"
    );
    assert!(report.execution.is_some());

    let firewall = Firewall::connect_polling(
        &h.sim.url(),
        &h.app.config.firewall,
        panos::ApiKey::new(API_KEY),
        Duration::from_millis(20),
    )
    .expect("client builds");
    h.app.targets = Targets::fleet(vec![firewall]);
    let (report, result) = h.sync().await;
    result.expect("fleet of one");
    assert!(report.execution.is_none());
    assert_eq!(report.firewalls.len(), 1);
    assert_eq!(report.firewalls[0].firewall, h.sim.url());
    assert!(
        report.operations().is_empty() && report.executions().count() == 1,
        "{}",
        report.to_table()
    );
    assert_eq!(
        report.firewall_round_trips, report.firewalls[0].round_trips,
        "the total is the one firewall's"
    );
}

#[tokio::test]
async fn the_cli_exits_non_zero_naming_the_firewall_that_failed() {
    let up = firewall_with_operator_rule().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let down = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let mut command = palosync_command(&up, FIREWALL_INSTANCE);
    command
        .env_remove("PANOS_URL")
        .env("PANOS_TARGET", "fleet")
        .env("PANOS_URLS", format!("{},{down}", up.url()))
        .arg("--topology")
        .arg(examples().join("snapshot.json"))
        .arg("sync");
    let output = tokio::task::spawn_blocking(move || command.output().expect("palosync runs"))
        .await
        .expect("join");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&down),
        "names the firewall that failed: {stderr}"
    );
    assert!(
        !stderr.contains(&format!("{}:", up.url())),
        "and not the one that converged: {stderr}"
    );
    assert!(
        !running_rule_names(&up)
            .iter()
            .all(|n| n == OPERATOR_RULE || n == "Clean up"),
        "the firewall that was up got its rules: {:?}",
        running_rule_names(&up)
    );
}

/// The running instances tagged `key=value` in the harness's moto account, management on the
/// interface at `device_index`.
fn discovered_fleet(h: &Harness, key: &str, value: &str, device_index: i32) -> Targets {
    let query = aws::FleetQuery {
        selector: aws::FleetSelector::Tag {
            key: key.into(),
            value: value.into(),
        },
        device_index,
    };
    Targets::connect(
        &Target::Fleet(Fleet::Discovered(query)),
        &h.app.config.firewall,
        panos::ApiKey::new(API_KEY),
        Duration::from_millis(20),
    )
    .expect("no client before discovery")
}

#[tokio::test]
async fn a_discovered_fleet_that_matches_nothing_fails_the_run_before_any_read() {
    let mut h = Harness::in_account("100000000175", PolicyMode::Addresses).await;
    h.app.targets = discovered_fleet(&h, "palosync-fleet", "nobody", 0);
    let (report, result) = h.sync().await;
    let error = result.expect_err("an empty fleet is not a success");
    assert_eq!(error.error_type(), "FleetEmpty", "{error}");
    assert!(
        error
            .to_string()
            .contains("no running firewall carries tag palosync-fleet=nobody"),
        "{error}"
    );
    assert_eq!(report.aws_calls.get("DescribeInstances"), Some(&1));
    assert_eq!(
        report.aws_calls.values().sum::<u64>(),
        1,
        "no topology read"
    );
    assert!(report.firewall_round_trips.is_empty());
}

#[tokio::test]
async fn a_discovered_member_without_its_management_interface_is_named_by_instance() {
    let mut h = Harness::in_account("100000000176", PolicyMode::Addresses).await;
    // The harness's firewall instance carries the fleet's tag; it has no interface at device
    // index 3.
    let firewall = h.vpc.firewall.clone();
    h.ec2
        .create_tags()
        .resources(&firewall)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("palosync-fleet")
                .value("edge")
                .build(),
        )
        .send()
        .await
        .expect("tag");
    h.app.targets = discovered_fleet(&h, "palosync-fleet", "edge", 3);
    let (report, result) = h.sync().await;
    let error = result.expect_err("its address is unknown");
    assert_eq!(
        error.lambda_error_type(),
        format!("FleetFailed: {firewall} FirewallAddressUnknown")
    );
    assert_eq!(report.firewalls.len(), 1);
    assert_eq!(
        report.firewalls[0].instance_id.as_deref(),
        Some(firewall.as_str())
    );
    assert!(error.to_string().contains("device index 3"), "{error}");
}
