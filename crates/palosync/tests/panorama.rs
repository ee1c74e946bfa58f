//! A Panorama with two managed firewalls in palosync's device group and a third in another
//! group (issue 17, item 2), against moto: palosync writes into the device group, commits
//! Panorama and pushes; after each event both firewalls' own `test security-policy-match`
//! (asked through Panorama, `target=<serial>`) answers exactly the desired flows, in both modes.
//! A push that fails on one firewall fails the run naming it; the event delivered again pushes
//! again and converges it. Operator rules in the group and in the other group are never
//! touched, and the other group's firewall gets nothing of palosync's.

mod support;

use model::PolicyMode;
use palosync::config::Target;
use palosync::firewall::Firewall;
use palosync::report::Report;
use palosync::targets::Targets;
use panos::{ConfigEntry, Location, PolicySync, Position, RuleAction, RulebaseSide, SecurityRule};
use panos_sim::{FaultPlan, ManagedDevice, RunningSimulator};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use support::*;

const GROUP: &str = "aws-edge";
const OTHER_GROUP: &str = "branch";
const FW_A: &str = "007951000000001";
const FW_B: &str = "007951000000002";
const FW_OTHER: &str = "007951000000003";
const PARTNER: &str = "198.51.100.7";
const OTHER_GROUP_RULE: &str = "branch-web";

fn group_rules() -> Location {
    Location::panorama_device_group(GROUP, RulebaseSide::Pre)
}

async fn start_panorama(version: &str) -> RunningSimulator {
    panos_sim::Simulator::builder()
        .panorama()
        .sw_version(version)
        .api_key(API_KEY)
        .admin("other-admin", "other-password")
        .commit_delay(Duration::from_millis(20))
        .managed_device(ManagedDevice::new(FW_A, GROUP).hostname("edge-a"))
        .managed_device(ManagedDevice::new(FW_B, GROUP).hostname("edge-b"))
        .managed_device(ManagedDevice::new(FW_OTHER, OTHER_GROUP).hostname("branch-1"))
        .start()
        .await
        .expect("Panorama starts")
}

/// What an operator set up before palosync: a profile group in shared; in palosync's group,
/// the bastion's ssh rule above a final deny (palosync's bottom rule); in the other group, a web
/// rule of its own. Committed and pushed to every firewall.
async fn seed_device_groups(admin: &panos::Client) {
    let operator = palosync::demo::operator_rule(OPERATOR_RULE, "untrust", "trust", BASTION, "ssh");
    let clean_up = SecurityRule {
        name: "Clean up".into(),
        from: vec!["any".into()],
        to: vec!["any".into()],
        source: vec!["any".into()],
        destination: vec!["any".into()],
        application: vec!["any".into()],
        service: vec!["any".into()],
        action: Some(RuleAction::Deny),
        ..SecurityRule::default()
    };
    // The profile group palosync's rules carry (PANOS_PROFILE_GROUP), in shared.
    let profiles = Location::panorama_shared(RulebaseSide::Pre)
        .base()
        .child("profile-group");
    let default_group = panos::XmlNode::new("entry").with_attr("name", "default");
    admin
        .set(&profiles, &default_group)
        .await
        .expect("shared profile group");
    admin
        .create(&group_rules(), &clean_up)
        .await
        .expect("bottom rule");
    admin
        .create(&group_rules(), &operator)
        .await
        .expect("operator rule");
    admin
        .move_entry(
            &SecurityRule::xpath(&group_rules(), OPERATOR_RULE),
            &Position::Before("Clean up".into()),
        )
        .await
        .expect("operator rule above the deny");
    let other = Location::panorama_device_group(OTHER_GROUP, RulebaseSide::Pre);
    let branch =
        palosync::demo::operator_rule(OTHER_GROUP_RULE, "untrust", "trust", "any", "web-browsing");
    admin
        .create(&other, &branch)
        .await
        .expect("other group's rule");
    admin
        .commit_and_wait(
            &panos::CommitRequest::partial_for(ADMIN),
            Duration::from_secs(10),
        )
        .await
        .expect("commit to Panorama");
    for group in [GROUP, OTHER_GROUP] {
        let push = panos::PushRequest {
            device_group: group.into(),
            devices: Vec::new(),
            description: Some("operator push".into()),
        };
        let panos::CommitStarted::Job(job) = admin.push(&push).await.expect("push") else {
            panic!("a push of {group} starts a job");
        };
        admin
            .wait_for_push(job, Duration::from_secs(10))
            .await
            .expect("push ends");
    }
}

struct Deployment {
    h: Harness,
    panorama: RunningSimulator,
    admin: panos::Client,
}

impl Deployment {
    async fn new(account: &str, mode: PolicyMode) -> Self {
        Self::running(account, mode, "11.1.2").await
    }

    async fn running(account: &str, mode: PolicyMode, version: &str) -> Self {
        let mut h = Harness::in_account(account, mode).await;
        let panorama = start_panorama(version).await;
        let admin = panos::Client::builder(panorama.url())
            .api_key(panos::ApiKey::new(API_KEY))
            .job_poll_interval(Duration::from_millis(20))
            .build()
            .expect("admin client");
        seed_device_groups(&admin).await;
        let firewall = Firewall::connect_polling(
            &panorama.url(),
            &h.app.config.firewall,
            panos::ApiKey::new(API_KEY),
            Duration::from_millis(20),
        )
        .expect("client builds")
        .into_panorama(GROUP, RulebaseSide::Pre);
        h.app.targets = Targets::one(firewall);
        h.app.config.target = Target::Panorama {
            url: panorama.url(),
            device_group: GROUP.into(),
            rulebase: RulebaseSide::Pre,
        };
        Self { h, panorama, admin }
    }

    /// The rules of a device group's pre-rulebase in Panorama's running config.
    async fn group_rules(&self, group: &str) -> Vec<SecurityRule> {
        let xpath = Location::panorama_device_group(group, RulebaseSide::Pre).security_rules();
        running_rules_at(&self.admin, &xpath).await
    }

    /// The rule of palosync's that allows the partner's tcp `port` to `destination` on the
    /// firewall `serial`, asked of that firewall through Panorama.
    async fn managed_allows(&self, serial: &str, destination: &str, port: u16) -> bool {
        let query = tcp_query(PARTNER, destination, port, app_id_of(port));
        let answer = self
            .admin
            .for_device(serial)
            .policy_match(&query)
            .await
            .expect("policy match through Panorama");
        let panos::PolicyMatch::Match { rule, .. } = answer else {
            return false;
        };
        self.group_rules(GROUP).await.iter().any(|r| {
            r.name == rule
                && r.action == Some(RuleAction::Allow)
                && r.tags.iter().any(|t| t == "palosync")
        })
    }

    /// Each of `serials` allows exactly https, 8443 when `with_8443`, and never ssh.
    async fn assert_exactly(&self, serials: &[&str], with_8443: bool, step: &str) {
        let web1 = self.h.vpc.web1_ip.clone();
        for serial in serials {
            for (port, desired) in [(443, true), (8443, with_8443), (22, false)] {
                assert_eq!(
                    self.managed_allows(serial, &web1, port).await,
                    desired,
                    "{step}: {PARTNER} -> {web1}:{port} on {serial}"
                );
            }
        }
    }

    /// What the operator set up is as it was: its rule in palosync's group and the other
    /// group's rule, and the other group holds nothing of palosync's.
    async fn assert_operators_untouched(&self) {
        let ours = self.group_rules(GROUP).await;
        let operator = ours
            .iter()
            .find(|r| r.name == OPERATOR_RULE)
            .expect("the operator's rule is still there");
        assert_eq!(operator.source, [BASTION]);
        assert_eq!(ours.last().map(|r| r.name.as_str()), Some("Clean up"));
        let other = self.group_rules(OTHER_GROUP).await;
        let names: Vec<&str> = other.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, [OTHER_GROUP_RULE], "the other group is untouched");
        let web1 = self.h.vpc.web1_ip.clone();
        assert!(
            !self.managed_allows(FW_OTHER, &web1, 443).await,
            "the other group's firewall gets nothing of palosync's"
        );
    }

    fn pushes_of(report: &Report) -> BTreeMap<String, (Option<String>, String)> {
        report
            .execution
            .as_ref()
            .and_then(|e| e.push.as_ref())
            .map(|push| {
                push.devices
                    .iter()
                    .map(|d| (d.serial.clone(), (d.result.clone(), d.policy.clone())))
                    .collect()
            })
            .unwrap_or_default()
    }
}

async fn a_device_group_kept_and_pushed(account: &str, mode: PolicyMode) {
    let mut d = Deployment::new(account, mode).await;
    let web = d.h.vpc.web_group.clone();

    let (report, result) = d.h.sync().await;
    result.unwrap_or_else(|e| panic!("{mode:?} sync: {e}\n{}", report.to_table()));
    let pushed = Deployment::pushes_of(&report);
    for serial in [FW_A, FW_B] {
        assert_eq!(
            pushed.get(serial),
            Some(&(Some("OK".to_owned()), "In Sync".to_owned())),
            "{serial} took the push: {}",
            report.to_table()
        );
    }
    assert!(report.to_table().contains("push to the device group"));
    eprintln!(
        "{mode:?} sync through Panorama: round trips {:?}, Panorama commits {}, pushes {}",
        report.firewall_round_trips,
        d.panorama.stats().commits_enqueued,
        d.panorama.stats().commit_all_requests
    );
    d.assert_exactly(&[FW_A, FW_B], false, "sync").await;
    d.assert_operators_untouched().await;
    if mode == PolicyMode::Groups {
        for serial in [FW_A, FW_B] {
            let registered = d.panorama.device_registered_ips(serial);
            let web1: std::net::IpAddr = d.h.vpc.web1_ip.parse().expect("ip");
            assert!(
                registered
                    .get(&web1)
                    .is_some_and(|tags| tags.iter().any(|t| t.contains(&web))),
                "{serial} holds web1's membership: {registered:?}"
            );
        }
    }

    let authorized = authorize_partner_8443(&d.h.ec2, &web).await;
    let (report, result) =
        d.h.event("AuthorizeSecurityGroupIngress", authorized.clone())
            .await;
    result.unwrap_or_else(|e| panic!("{mode:?} authorize: {e}\n{}", report.to_table()));
    eprintln!(
        "{mode:?} authorize through Panorama: round trips {:?}",
        report.firewall_round_trips
    );
    d.assert_exactly(&[FW_A, FW_B], true, "authorize").await;
    d.assert_operators_untouched().await;
    if mode == PolicyMode::Groups {
        stopping_an_instance_unregisters_it_on_each_firewall(&mut d).await;
    }
}

/// Group mode's fast path through Panorama: a stop changes each firewall's registrations, and
/// Panorama's configuration is neither written, committed nor pushed.
async fn stopping_an_instance_unregisters_it_on_each_firewall(d: &mut Deployment) {
    let web1 = d.h.vpc.web1.clone();
    let before = d.panorama.stats();
    d.h.ec2
        .stop_instances()
        .instance_ids(&web1)
        .send()
        .await
        .expect("stop in moto");
    let stopped = json!({ "instancesSet": { "items": [{ "instanceId": web1 }] } });
    let (report, result) = d.h.event("StopInstances", stopped).await;
    result.unwrap_or_else(|e| panic!("stop: {e}\n{}", report.to_table()));
    eprintln!(
        "Groups stop through Panorama: round trips {:?}",
        report.firewall_round_trips
    );
    let after = d.panorama.stats();
    assert_eq!(after.commits_enqueued, before.commits_enqueued, "no commit");
    assert_eq!(
        after.commit_all_requests, before.commit_all_requests,
        "no push"
    );
    let execution = report.execution.as_ref().expect("executed");
    assert!(execution.membership_only, "{}", report.to_table());
    for serial in [FW_A, FW_B] {
        let ip = d.h.vpc.web1_ip.clone();
        assert!(
            !d.managed_allows(serial, &ip, 443).await,
            "{serial}: a stopped instance is no member"
        );
        let registered = d.panorama.device_registered_ips(serial);
        let web1_ip: std::net::IpAddr = ip.parse().expect("ip");
        assert!(
            !registered.contains_key(&web1_ip),
            "{serial}: {registered:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn address_mode_through_panorama_keeps_both_firewalls_exact() {
    a_device_group_kept_and_pushed("100000000031", PolicyMode::Addresses).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_mode_through_panorama_registers_on_each_firewall() {
    a_device_group_kept_and_pushed("100000000032", PolicyMode::Groups).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_that_fails_on_one_firewall_fails_the_run_and_the_retry_converges_it() {
    let mut d = Deployment::new("100000000033", PolicyMode::Addresses).await;
    let web = d.h.vpc.web_group.clone();
    let (report, result) = d.h.sync().await;
    result.unwrap_or_else(|e| panic!("sync: {e}\n{}", report.to_table()));

    d.panorama.inject_faults(FaultPlan {
        fail_pushes: BTreeMap::from([(FW_B.to_owned(), 1)]),
        ..FaultPlan::default()
    });
    let authorized = authorize_partner_8443(&d.h.ec2, &web).await;
    let (report, result) =
        d.h.event("AuthorizeSecurityGroupIngress", authorized.clone())
            .await;
    let error = result.expect_err("one firewall refused the push");
    assert_eq!(error.error_type(), "ManagedFirewallsFailed", "{error}");
    assert!(error.to_string().contains(FW_B), "{error}");
    assert!(!error.to_string().contains(FW_A), "{error}");
    let pushed = Deployment::pushes_of(&report);
    assert_eq!(
        pushed[FW_B].0.as_deref(),
        Some("FAIL"),
        "{}",
        report.to_table()
    );
    d.assert_exactly(&[FW_A], true, "push failed on B").await;
    d.assert_exactly(&[FW_B], false, "B keeps what it had")
        .await;
    let groups = d.admin.device_groups().await.expect("device groups");
    let b = groups
        .iter()
        .flat_map(|g| &g.devices)
        .find(|dev| dev.serial == FW_B)
        .expect("B is listed");
    assert_ne!(b.policy, PolicySync::InSync, "B is behind");

    // The event comes again (the failed invocation returned it to the queue): nothing is left
    // to write or commit, and the firewall that is behind gets the push.
    let (report, result) = d.h.event("AuthorizeSecurityGroupIngress", authorized).await;
    result.unwrap_or_else(|e| panic!("retry: {e}\n{}", report.to_table()));
    let execution = report.execution.as_ref().expect("executed");
    assert!(
        execution.commit.is_none(),
        "nothing new to commit on the retry: {:?}",
        execution.commit
    );
    assert!(execution.push.as_ref().and_then(|p| p.job_id).is_some());
    d.assert_exactly(&[FW_A, FW_B], true, "retry").await;
    d.assert_operators_untouched().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_the_device_group_and_each_of_its_firewalls() {
    let d = Deployment::new("100000000034", PolicyMode::Addresses).await;
    d.panorama.set_device_connected(FW_B, false);
    let checks = palosync::check::run(&d.h.app).await;
    let table = palosync::check::render(&checks);
    let named = |name: &str| checks.iter().find(|c| c.name == name);
    let group = named("PANORAMA_DEVICE_GROUP").expect("the device group is checked");
    assert!(group.passed, "{table}");
    assert!(group.detail.contains("2 firewall(s)"), "{table}");
    assert!(
        named(&format!("firewall {FW_A}")).is_some_and(|c| c.passed),
        "{table}"
    );
    let b = named(&format!("firewall {FW_B}")).expect("B is listed");
    assert!(!b.passed && b.detail.contains("not connected"), "{table}");
    assert!(
        named("PANOS_UNTRUST_ZONE").is_none(),
        "zones live in templates and are not checked on Panorama: {table}"
    );
    assert!(
        named("PANOS_BOTTOM_RULE").is_some_and(|c| c.passed),
        "{table}"
    );
    assert!(
        named("PANOS_PROFILE_GROUP").is_some_and(|c| c.passed),
        "in shared: {table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panorama_older_than_11_0_1_is_refused_before_anything_is_written() {
    let d = Deployment::running("100000000035", PolicyMode::Addresses, "10.2.9").await;
    let before = d.panorama.candidate_config_xml();
    let (report, result) = d.h.sync().await;
    let error = result.expect_err("scoped commits there leave rule moves out");
    assert!(error.to_string().contains("11.0.1"), "{error}");
    assert!(error.to_string().contains("PANOS_FULL_COMMIT"), "{error}");
    assert_eq!(
        d.panorama.candidate_config_xml(),
        before,
        "nothing written: {}",
        report.to_table()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_that_says_ok_but_leaves_a_firewall_out_of_sync_fails_the_run() {
    let d = Deployment::new("100000000036", PolicyMode::Addresses).await;
    d.panorama.inject_faults(FaultPlan {
        out_of_sync_pushes: BTreeMap::from([(FW_A.to_owned(), 1)]),
        ..FaultPlan::default()
    });
    let (report, result) = d.h.sync().await;
    let error = result.expect_err("the push job said OK for A, but A did not take it");
    assert_eq!(error.error_type(), "ManagedFirewallsFailed", "{error}");
    assert!(error.to_string().contains(FW_A), "{error}");
    assert!(error.to_string().contains("Out of Sync"), "{error}");
    let pushed = Deployment::pushes_of(&report);
    assert_eq!(
        pushed[FW_A],
        (Some("OK".to_owned()), "Out of Sync".to_owned()),
        "{}",
        report.to_table()
    );
    d.assert_exactly(&[FW_B], false, "B took it").await;

    // The retry finds nothing to write and pushes again, as A is behind.
    let (report, result) = d.h.sync().await;
    result.unwrap_or_else(|e| panic!("retry: {e}\n{}", report.to_table()));
    d.assert_exactly(&[FW_A, FW_B], false, "retry").await;
    assert!(d.managed_allows(FW_A, &d.h.vpc.web1_ip.clone(), 443).await);
}

/// Panorama over an organisation (issue 18, item 5): the device group's firewalls get the
/// allowances of the central account and of a spoke account in two regions, from one merged
/// read, one Panorama commit and one push.
#[tokio::test]
async fn panorama_serves_every_account_and_region() {
    let (central, spoke_account) = ("100000000075", "100000000076");
    let mut d = Deployment::new(central, PolicyMode::Addresses).await;
    let mut spokes = Vec::new();
    for (region, cidr) in support::organisation::SPOKE_REGIONS
        .into_iter()
        .zip(["10.1.0.0/16", "10.2.0.0/16"])
    {
        spokes.push(support::organisation::spoke(spoke_account, region, cidr).await);
    }
    let mut config = support::organisation::organisation_config(
        &d.h,
        central,
        spoke_account,
        &spokes,
        PolicyMode::Addresses,
    );
    config.target = d.h.app.config.target.clone();
    d.h.app.topology = support::organisation::accounts_source(&config, |_| None).await;
    d.h.app.config = config;

    let (report, result) = d.h.sync().await;
    result.unwrap_or_else(|e| panic!("sync: {e}\n{}", report.to_table()));
    let web1 = d.h.vpc.web1_ip.clone();
    for serial in [FW_A, FW_B] {
        for destination in [&web1, &spokes[0].web_ip, &spokes[1].web_ip] {
            assert!(
                d.managed_allows(serial, destination, 443).await,
                "{serial}: {destination}"
            );
            assert!(
                !d.managed_allows(serial, destination, 22).await,
                "{serial}: {destination}"
            );
        }
    }
}
