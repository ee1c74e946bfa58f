//! Panorama scenarios: device-group rules and objects, the commit to Panorama, the push
//! (`commit-all`) to managed firewalls and what each firewall then enforces, device failures,
//! `show devicegroups`, and `target=` requests answered by one firewall.

mod support;

use std::time::Duration;

use panos_sim::ManagedDevice;
use support::pano::{
    COMMIT, commit_all_cmd, config_with_zone, device_results, dg, dg_rules, job_id, panorama, rule,
};
use support::{lines, status};

const FW1: &str = "007951000000001";
const FW2: &str = "007951000000002";
const FW3: &str = "007951000000003";

/// dg1 with FW1 and FW2, dg2 with FW3; FW2 lacks nothing, FW1 also has zone `dmz`.
fn two_groups() -> support::Fw {
    panorama(&[
        ManagedDevice::new(FW1, "dg1")
            .hostname("edge-1")
            .config_xml(config_with_zone("dmz")),
        ManagedDevice::new(FW2, "dg1").hostname("edge-2"),
        ManagedDevice::new(FW3, "dg2"),
    ])
}

/// dg1's web server object, a port service and an allow rule for it.
fn web_rule(p: &mut support::Fw) {
    let set = p.set(
        &format!("{}/address", dg("dg1")),
        "<entry name=\"web-srv\"><ip-netmask>10.1.1.5</ip-netmask></entry>",
    );
    assert_eq!(status(&set), ("success", Some("20")), "{}", lines(&set));
    p.set(
        &format!("{}/service", dg("dg1")),
        "<entry name=\"tcp-8443\"><protocol><tcp><port>8443</port></tcp></protocol></entry>",
    );
    let set = p.set(
        &dg_rules("dg1", "pre-rulebase"),
        &rule("allow-web", "untrust", "trust", "web-srv", "tcp-8443"),
    );
    assert_eq!(status(&set), ("success", Some("20")), "{}", lines(&set));
}

#[test]
fn a_device_group_rule_reaches_the_firewall_only_through_commit_and_push() {
    let mut p = two_groups();
    web_rule(&mut p);
    let committed = p.commit_panorama();
    assert_eq!(committed.child_text("result"), Some("OK"));
    // The commit to Panorama changes no firewall.
    assert_eq!(p.device_rule_names(FW1), ["Clean up"]);
    assert_eq!(
        p.target_match(FW1, "untrust", "trust", "10.1.1.5", 8443),
        ["Clean up"]
    );

    let id = p.push("dg1", &[]);
    p.advance(COMMIT);
    let job = p.job(&id);
    assert_eq!(job.child_text("type"), Some("CommitAll"));
    assert_eq!(job.child_text("dgname"), Some("dg1"));
    assert_eq!(
        (job.child_text("status"), job.child_text("result")),
        (Some("FIN"), Some("OK"))
    );
    // Devices finish half a commit after the job.
    let pending: Vec<String> = device_results(&job).into_iter().map(|d| d.1).collect();
    assert_eq!(pending, ["PEND", "PEND"]);
    p.advance(COMMIT / 2);
    let job = p.job(&id);
    assert_eq!(
        device_results(&job),
        [
            (
                FW1.to_string(),
                "OK".to_string(),
                "commit succeeded".to_string()
            ),
            (
                FW2.to_string(),
                "OK".to_string(),
                "commit succeeded".to_string()
            ),
        ]
    );
    let entry = job
        .child("devices")
        .and_then(|d| d.children_named("entry").next())
        .cloned();
    let entry = entry.expect("device entry");
    assert_eq!(entry.child_text("devicename"), Some("edge-1"));
    assert!(!entry.child_text("tstart").unwrap_or_default().is_empty());
    assert_eq!(
        entry
            .descend(&["details", "msg", "errors", "line"])
            .map(|l| l.text.as_str()),
        Some("Configuration committed successfully")
    );

    assert_eq!(p.device_rule_names(FW1), ["allow-web", "Clean up"]);
    assert_eq!(
        p.target_match(FW1, "untrust", "trust", "10.1.1.5", 8443),
        ["allow-web"]
    );
    // The pushed service object decides: another port falls through to the local rule.
    assert_eq!(
        p.target_match(FW1, "untrust", "trust", "10.1.1.5", 80),
        ["Clean up"]
    );
    // The push left dg2's firewall alone, and no firewall shows a pending change.
    assert_eq!(p.device_rule_names(FW3), ["Clean up"]);
    assert!(!p.device(FW1).state.store.pending_changes());
    assert_eq!(p.state.stats.commit_all_requests, 1);
    assert_eq!(p.state.stats.pushes, 2);
}

#[test]
fn a_push_takes_panoramas_running_config_not_its_candidate() {
    let mut p = two_groups();
    web_rule(&mut p);
    let job = p.push_to_end("dg1");
    assert_eq!(job.child_text("result"), Some("OK"));
    assert_eq!(p.device_rule_names(FW2), ["Clean up"]);
    assert_eq!(p.sync_statuses("dg1")[1].1, "In Sync");
}

#[test]
fn shared_rules_wrap_device_group_rules_pre_first_and_post_last() {
    let mut p = two_groups();
    web_rule(&mut p);
    p.set(
        "/config/shared/pre-rulebase/security/rules",
        &rule("shared-pre", "any", "any", "10.7.7.7", "any"),
    );
    p.set(
        "/config/shared/post-rulebase/security/rules",
        &rule("shared-post", "any", "any", "10.7.7.8", "any"),
    );
    p.set(
        &dg_rules("dg1", "post-rulebase"),
        &rule("dg-post", "any", "any", "10.7.7.9", "any"),
    );
    p.commit_panorama();
    p.push_to_end("dg1");
    assert_eq!(
        p.device_rule_names(FW2),
        [
            "shared-pre",
            "allow-web",
            "Clean up",
            "dg-post",
            "shared-post"
        ]
    );
}

#[test]
fn a_zone_the_firewall_lacks_fails_that_firewall_only() {
    let mut p = two_groups();
    p.set(
        &dg_rules("dg1", "pre-rulebase"),
        &rule("from-dmz", "dmz", "trust", "any", "any"),
    );
    // Panorama does not check zones: they live in templates.
    assert_eq!(p.commit_panorama().child_text("result"), Some("OK"));
    let job = p.push_to_end("dg1");
    assert_eq!(job.child_text("result"), Some("OK"), "the job ran");
    let results = device_results(&job);
    assert_eq!(results[0].1, "OK");
    assert_eq!(
        (results[1].1.as_str(), results[1].2.as_str()),
        ("FAIL", "commit failed")
    );
    let errors = lines(&job);
    assert!(
        errors.contains(
            " vsys -> vsys1 -> pre-rulebase -> security -> rules -> from-dmz -> from 'dmz' is not a valid reference"
        ),
        "{errors}"
    );
    assert_eq!(p.device_rule_names(FW1), ["from-dmz", "Clean up"]);
    assert_eq!(p.device_rule_names(FW2), ["Clean up"]);
    assert_eq!(
        p.sync_statuses("dg1"),
        [
            (FW1.to_string(), "In Sync".to_string()),
            (FW2.to_string(), "Out of Sync".to_string())
        ]
    );
    assert_eq!(p.state.stats.pushes_failed, 1);
}

#[test]
fn a_push_narrowed_to_devices_leaves_the_others_out_of_sync() {
    let mut p = two_groups();
    web_rule(&mut p);
    p.commit_panorama();
    let id = p.push("dg1", &[FW2]);
    p.advance(COMMIT * 2);
    let job = p.job(&id);
    assert_eq!(device_results(&job).len(), 1);
    assert_eq!(p.device_rule_names(FW1), ["Clean up"]);
    assert_eq!(p.device_rule_names(FW2), ["allow-web", "Clean up"]);
    let bad = p.call(&[
        ("type", "commit"),
        ("action", "all"),
        ("cmd", &commit_all_cmd("dg1", &[FW3])),
    ]);
    assert_eq!(status(&bad).0, "error");
}

#[test]
fn pushing_to_an_empty_or_unknown_device_group_is_refused() {
    let mut p = two_groups();
    let empty = p.call(&[
        ("type", "commit"),
        ("action", "all"),
        ("cmd", &commit_all_cmd("", &[])),
    ]);
    assert_eq!(
        lines(&empty),
        "commit-all -> shared-policy -> device-group ->  '' needs to be at least 1 character"
    );
    let unknown = p.call(&[
        ("type", "commit"),
        ("action", "all"),
        ("cmd", &commit_all_cmd("nope", &[])),
    ]);
    assert_eq!(status(&unknown).0, "error");
    assert!(lines(&unknown).contains("'nope' is not a valid reference"));
    assert_eq!(p.state.jobs.len(), 0);
}

#[test]
fn commit_all_on_a_firewall_is_refused() {
    let mut fw = support::Fw::new();
    let r = fw.call(&[
        ("type", "commit"),
        ("action", "all"),
        ("cmd", &commit_all_cmd("dg1", &[])),
    ]);
    assert_eq!(status(&r).0, "error");
    assert_eq!(
        lines(&r),
        "commit action 'all' is not supported on a firewall"
    );
}

#[test]
fn operator_rules_of_another_device_group_survive_a_push_to_this_one() {
    let mut p = two_groups();
    p.set(
        &dg_rules("dg2", "pre-rulebase"),
        &rule("operator-rule", "trust", "untrust", "10.5.5.5", "any"),
    );
    p.commit_panorama();
    p.push_to_end("dg2");
    assert_eq!(p.device_rule_names(FW3), ["operator-rule", "Clean up"]);
    web_rule(&mut p);
    p.commit_panorama();
    p.push_to_end("dg1");
    assert_eq!(p.device_rule_names(FW3), ["operator-rule", "Clean up"]);
    assert_eq!(p.device_rule_names(FW1), ["allow-web", "Clean up"]);
}

#[test]
fn device_group_rules_resolve_objects_in_the_group_then_shared() {
    let mut p = two_groups();
    let missing = p.set(
        &dg_rules("dg1", "pre-rulebase"),
        &rule("r", "untrust", "trust", "no-such-host", "any"),
    );
    assert_eq!(status(&missing), ("error", Some("12")));
    assert!(lines(&missing).contains("'no-such-host' is not a valid reference"));
    // An object of another device group does not resolve.
    p.set(
        &format!("{}/address", dg("dg2")),
        "<entry name=\"dg2-host\"><ip-netmask>10.2.0.1</ip-netmask></entry>",
    );
    let other = p.set(
        &dg_rules("dg1", "pre-rulebase"),
        &rule("r", "untrust", "trust", "dg2-host", "any"),
    );
    assert_eq!(status(&other).0, "error");
    p.set(
        "/config/shared/address",
        "<entry name=\"shared-host\"><ip-netmask>10.3.0.1</ip-netmask></entry>",
    );
    let shared = p.set(
        &dg_rules("dg1", "pre-rulebase"),
        &rule("r", "no-such-zone", "trust", "shared-host", "any"),
    );
    assert_eq!(
        status(&shared),
        ("success", Some("20")),
        "{}",
        lines(&shared)
    );
    // Shared objects travel with the push and resolve on the firewall.
    p.set(
        &format!(
            "{}/pre-rulebase/security/rules/entry[@name='r']/from",
            dg("dg1")
        ),
        "<member>untrust</member>",
    );
    p.config(
        "delete",
        &format!(
            "{}/pre-rulebase/security/rules/entry[@name='r']/from/member[text()='no-such-zone']",
            dg("dg1")
        ),
        &[],
    );
    p.commit_panorama();
    p.push_to_end("dg1");
    assert_eq!(
        p.target_match(FW2, "untrust", "trust", "10.3.0.1", 22),
        ["r"]
    );
}

#[test]
fn deleting_an_object_a_device_group_rule_names_is_refused() {
    let mut p = two_groups();
    web_rule(&mut p);
    let r = p.config(
        "delete",
        &format!("{}/address/entry[@name='web-srv']", dg("dg1")),
        &[],
    );
    assert_eq!(status(&r), ("error", Some("10")));
    assert!(lines(&r).starts_with("web-srv cannot be deleted because of references from:"));
    assert!(
        lines(&r).contains(
            "device-group -> dg1 -> pre-rulebase -> security -> rules -> allow-web -> destination"
        ),
        "{}",
        lines(&r)
    );
}

#[test]
fn a_disconnected_firewall_fails_its_push_and_refuses_target_requests() {
    let mut p = two_groups();
    web_rule(&mut p);
    p.commit_panorama();
    p.device_mut(FW2).connected = false;
    let job = p.push_to_end("dg1");
    let results = device_results(&job);
    assert_eq!(
        (results[0].1.as_str(), results[1].1.as_str()),
        ("OK", "FAIL")
    );
    assert!(lines(&job).contains(&format!("Device {FW2} is not connected to Panorama")));
    let r = p.target_op(FW2, "<show><system><info/></system></show>");
    assert_eq!(status(&r), ("error", None));
    let r = p.target_op("000000000000999", "<show><system><info/></system></show>");
    assert_eq!(
        lines(&r),
        "Device 000000000000999 is not managed by Panorama"
    );
    assert_eq!(
        p.op("<show><devices><connected/></devices></show>")
            .descend(&["result", "devices"])
            .map(|d| d.children_named("entry").count()),
        Some(2)
    );
}

#[test]
fn system_info_tells_panorama_from_its_firewalls() {
    let mut p = two_groups();
    let own = p.op("<show><system><info/></system></show>");
    assert_eq!(
        own.descend(&["result", "system", "model"])
            .map(|m| m.text.as_str()),
        Some("Panorama")
    );
    let fw = p.target_op(FW1, "<show><system><info/></system></show>");
    let system = fw.descend(&["result", "system"]).expect("system info");
    assert_eq!(system.child_text("serial"), Some(FW1));
    assert_eq!(system.child_text("hostname"), Some("edge-1"));
    assert_eq!(system.child_text("model"), Some("PA-VM"));
}

#[test]
fn jobs_of_a_firewall_answer_through_target() {
    let mut p = two_groups();
    let r = p.call(&[
        ("type", "op"),
        ("cmd", "<validate><full/></validate>"),
        ("target", FW1),
    ]);
    let id = job_id(&r);
    p.advance(Duration::from_secs(2));
    let job = p.target_op(FW1, &format!("<show><jobs><id>{id}</id></jobs></show>"));
    assert_eq!(
        job.descend(&["result", "job", "type"])
            .map(|t| t.text.as_str()),
        Some("Validate")
    );
    assert_eq!(p.state.jobs.len(), 0, "Panorama's own queue is untouched");
}

#[test]
fn pan_pythons_legacy_commit_all_form_pushes_too() {
    let mut p = two_groups();
    web_rule(&mut p);
    p.commit_panorama();
    let cmd = "<commit-all><shared-policy><device-group>dg1</device-group>\
               <merge-with-candidate-cfg>no</merge-with-candidate-cfg></shared-policy></commit-all>";
    let r = p.call(&[("type", "commit"), ("action", "all"), ("cmd", cmd)]);
    let id = job_id(&r);
    p.advance(COMMIT * 2);
    assert_eq!(device_results(&p.job(&id)).len(), 2);
    assert_eq!(p.device_rule_names(FW2), ["allow-web", "Clean up"]);
}
