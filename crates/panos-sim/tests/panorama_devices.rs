//! Panorama scenarios about the firewalls themselves: push faults, sync status, User-ID
//! registrations sent through `target=` changing a pushed dynamic group and what matches it,
//! and the in-process accessors of a served Panorama.

mod support;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use panos_sim::{FaultPlan, ManagedDevice, MatchQuery, Simulator};
use support::pano::{device_results, dg, dg_rules, panorama, rule};
use support::{lines, status};

const FW1: &str = "007951000000011";
const FW2: &str = "007951000000012";

fn group() -> support::Fw {
    panorama(&[
        ManagedDevice::new(FW1, "dg1"),
        ManagedDevice::new(FW2, "dg1"),
    ])
}

fn one_rule(p: &mut support::Fw, name: &str) {
    p.set(
        &dg_rules("dg1", "pre-rulebase"),
        &rule(name, "untrust", "trust", "10.4.4.4", "any"),
    );
    p.commit_panorama();
}

fn faults(p: &mut support::Fw, plan: FaultPlan) {
    panos_sim::server::apply_faults(&mut p.state, plan);
}

#[test]
fn fail_pushes_fails_the_next_pushes_to_that_firewall_only() {
    let mut p = group();
    one_rule(&mut p, "first");
    faults(
        &mut p,
        FaultPlan {
            fail_pushes: BTreeMap::from([(FW2.to_string(), 1)]),
            ..Default::default()
        },
    );
    let job = p.push_to_end("dg1");
    let results = device_results(&job);
    assert_eq!(
        (results[0].1.as_str(), results[1].1.as_str()),
        ("OK", "FAIL")
    );
    assert!(lines(&job).contains("injected push failure"));
    assert_eq!(p.device_rule_names(FW2), ["Clean up"]);
    // The fault is used up: the next push applies.
    let job = p.push_to_end("dg1");
    assert_eq!(device_results(&job)[1].1, "OK");
    assert_eq!(p.device_rule_names(FW2), ["first", "Clean up"]);
}

#[test]
fn an_out_of_sync_push_reports_ok_but_leaves_the_firewall_behind() {
    let mut p = group();
    one_rule(&mut p, "first");
    p.push_to_end("dg1");
    assert_eq!(p.sync_statuses("dg1")[0].1, "In Sync");
    one_rule(&mut p, "second");
    assert_eq!(
        p.sync_statuses("dg1")[0].1,
        "Out of Sync",
        "Panorama changed since"
    );
    faults(
        &mut p,
        FaultPlan {
            out_of_sync_pushes: BTreeMap::from([(FW1.to_string(), 1)]),
            ..Default::default()
        },
    );
    let job = p.push_to_end("dg1");
    assert_eq!(device_results(&job)[0].1, "OK", "the job says OK");
    assert_eq!(p.device_rule_names(FW1), ["first", "Clean up"]);
    assert_eq!(p.device_rule_names(FW2), ["first", "second", "Clean up"]);
    assert_eq!(
        p.sync_statuses("dg1"),
        [
            (FW1.to_string(), "Out of Sync".to_string()),
            (FW2.to_string(), "In Sync".to_string())
        ]
    );
    p.push_to_end("dg1");
    assert_eq!(p.sync_statuses("dg1")[0].1, "In Sync");
}

#[test]
fn a_registration_through_target_changes_the_pushed_dynamic_group_and_its_matches() {
    let mut p = group();
    p.set(
        &format!("{}/address-group", dg("dg1")),
        "<entry name=\"web-servers\"><dynamic><filter>'palosync.web'</filter></dynamic></entry>",
    );
    p.set(
        &dg_rules("dg1", "pre-rulebase"),
        &rule("to-web", "untrust", "trust", "web-servers", "service-https"),
    );
    p.commit_panorama();
    p.push_to_end("dg1");
    assert_eq!(
        p.target_match(FW1, "untrust", "trust", "10.6.0.7", 443),
        ["Clean up"]
    );
    let msg = "<uid-message><version>1.0</version><type>update</type><payload><register>\
               <entry ip=\"10.6.0.7\"><tag><member>palosync.web</member></tag></entry>\
               </register></payload></uid-message>";
    let r = p.call(&[("type", "user-id"), ("cmd", msg), ("target", FW1)]);
    assert_eq!(status(&r).0, "success", "{}", lines(&r));
    assert_eq!(
        p.target_match(FW1, "untrust", "trust", "10.6.0.7", 443),
        ["to-web"]
    );
    // Only that firewall learned the address; Panorama itself holds no registrations.
    assert_eq!(
        p.target_match(FW2, "untrust", "trust", "10.6.0.7", 443),
        ["Clean up"]
    );
    assert!(p.state.registrations.vsys("vsys1").is_none());
    let members = p
        .device(FW1)
        .state
        .dynamic_group_members("vsys1", "web-servers");
    assert_eq!(members, Some(vec!["10.6.0.7".parse().expect("ip")]));
    let members = p
        .device(FW2)
        .state
        .dynamic_group_members("vsys1", "web-servers");
    assert_eq!(members, Some(vec![]));
    let shown = p.target_op(
        FW1,
        "<show><object><dynamic-address-group><name>web-servers</name></dynamic-address-group></object></show>",
    );
    assert!(shown.to_xml().contains("10.6.0.7"), "{}", shown.to_xml());
}

#[tokio::test]
async fn a_served_panorama_exposes_its_firewalls_to_tests() {
    let sim = Simulator::builder()
        .panorama()
        .api_key("k")
        .commit_delay(Duration::from_millis(20))
        .managed_device(ManagedDevice::new(FW1, "dg1"))
        .managed_device(ManagedDevice::new(FW2, "dg1").connected(false))
        .start()
        .await
        .expect("starts");
    assert!(sim.is_panorama());
    assert_eq!(sim.managed_devices(), [FW1, FW2]);
    let client = reqwest::Client::new();
    let api = format!("{}/api/", sim.url());
    let call = |params: Vec<(&'static str, String)>| {
        let client = client.clone();
        let api = api.clone();
        async move {
            let mut params = params;
            params.push(("key", "k".to_string()));
            client
                .post(&api)
                .form(&params)
                .send()
                .await
                .expect("answers")
                .text()
                .await
                .expect("body")
        }
    };
    call(vec![
        ("type", "config".into()),
        ("action", "set".into()),
        ("xpath", dg_rules("dg1", "post-rulebase")),
        (
            "element",
            rule("late", "untrust", "trust", "10.8.0.1", "any"),
        ),
    ])
    .await;
    call(vec![("type", "commit".into()), ("cmd", "<commit/>".into())]).await;
    tokio::time::sleep(Duration::from_millis(40)).await;
    let enq = call(vec![
        ("type", "commit".into()),
        ("action", "all".into()),
        ("cmd", support::pano::commit_all_cmd("dg1", &[])),
    ])
    .await;
    assert!(enq.contains("<job>"), "{enq}");
    tokio::time::sleep(Duration::from_millis(80)).await;
    let names: Vec<String> = sim
        .device_running_rules(FW1)
        .iter()
        .filter_map(|r| r.entry_name().map(str::to_string))
        .collect();
    assert_eq!(names, ["Clean up", "late"]);
    assert_eq!(
        sim.device_running_rules(FW2).len(),
        1,
        "disconnected: unchanged"
    );
    assert_eq!(sim.device_sync_status(FW2), Some("Out of Sync"));
    let query = MatchQuery {
        from: Some("untrust".into()),
        to: Some("trust".into()),
        source: "10.0.0.1".parse().expect("ip"),
        destination: "10.8.0.1".parse().expect("ip"),
        protocol: 6,
        port: Some(22),
        application: None,
        source_user: None,
        category: None,
        show_all: false,
    };
    // The local deny-all comes first; post-rules follow local rules.
    assert_eq!(sim.device_policy_match(FW1, &query)[0].name, "Clean up");
    let ip: IpAddr = "10.8.0.2".parse().expect("ip");
    sim.with_device(FW1, |fw| {
        let limits = fw.settings.registration_limits;
        let change = panos_sim::registrations::RegistrationChange::Register {
            ip,
            persistent: true,
            tags: vec![("t".into(), None)],
        };
        fw.registrations
            .apply("vsys1", &[change], limits, std::time::Instant::now())
            .expect("registers");
    });
    assert_eq!(sim.device_registered_ips(FW1)[&ip], ["t"]);
    assert_eq!(sim.device_dynamic_group_members(FW1, "nope"), None);
    assert!(sim.set_device_connected(FW2, true));
    let stats = sim.stats();
    assert_eq!(
        (stats.commit_all_requests, stats.pushes, stats.pushes_failed),
        (1, 2, 1)
    );
    sim.reset();
    assert!(sim.device_registered_ips(FW1).is_empty());
    assert_eq!(sim.device_running_rules(FW1).len(), 1);
    sim.shutdown().await;
}

#[test]
fn a_given_panorama_config_replaces_the_default_device_groups() {
    let config = panos_sim::panorama::default_config(&[
        ManagedDevice::new(FW1, "dg1"),
        ManagedDevice::new("unused", "spare"),
    ])
    .to_xml();
    let mut p = support::Fw::with(
        Simulator::builder()
            .panorama()
            .config_xml(config)
            .managed_device(ManagedDevice::new(FW1, "dg1")),
    );
    // A device group without managed devices is listed with no devices, and pushes to nobody.
    let r = p.op("<show><devicegroups/></show>");
    let spare = r
        .descend(&["result", "devicegroups"])
        .and_then(|g| g.entry("entry", "spare"))
        .cloned()
        .expect("spare listed");
    assert_eq!(spare.child("devices").map(|d| d.children.len()), Some(0));
    let job = p.push_to_end("spare");
    assert_eq!(job.child_text("result"), Some("OK"));
    assert!(device_results(&job).is_empty());
    assert_eq!(
        p.sync_statuses("dg1"),
        [(FW1.to_string(), "Out of Sync".to_string())]
    );
}

#[test]
fn a_standalone_firewall_ignores_target_and_knows_no_device_groups() {
    let mut fw = support::Fw::new();
    let info = fw.call(&[
        ("type", "op"),
        ("cmd", "<show><system><info/></system></show>"),
        ("target", FW1),
    ]);
    assert_eq!(
        info.descend(&["result", "system", "model"])
            .map(|m| m.text.as_str()),
        Some("PA-VM")
    );
    let r = fw.op("<show><devicegroups/></show>");
    assert_eq!(status(&r).0, "error");
}
