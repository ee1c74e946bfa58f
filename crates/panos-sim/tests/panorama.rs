//! The Panorama personality as its clients meet it: a device group's rule is committed to
//! Panorama and changes no firewall until a push; the push reaches every firewall of the group
//! (whose own policy match then hits it) and no other group's; a zone the firewall lacks fails
//! that firewall only; faults fail a push or leave a firewall out of sync; `target=<serial>`
//! registrations change that firewall's dynamic group members.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use panos_sim::{Element, FaultPlan, ManagedDevice, Simulator};
use support::{Fw, lines, status};

const DG: &str =
    "/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='aws']";
const A: &str = "0079000000001";
const B: &str = "0079000000002";
const OTHER: &str = "0079000000003";
const CLEAN_UP: &str = "Clean up";

fn panorama() -> Fw {
    Fw::with(
        Simulator::builder()
            .panorama()
            .sw_version("11.1.2")
            .managed_device(ManagedDevice::new(A, "aws").hostname("fw-a"))
            .managed_device(ManagedDevice::new(B, "aws"))
            .managed_device(ManagedDevice::new(OTHER, "branch")),
    )
}

fn rule(name: &str, zone: &str, source: &str, destination: &str) -> String {
    format!(
        "<entry name=\"{name}\"><from><member>{zone}</member></from><to><member>trust</member></to><source><member>{source}</member></source><destination><member>{destination}</member></destination><application><member>any</member></application><service><member>application-default</member></service><action>allow</action></entry>"
    )
}

fn commit(fw: &mut Fw) {
    let resp = fw.call(&[("type", "commit"), ("cmd", "<commit></commit>")]);
    assert_eq!(status(&resp).0, "success", "{}", resp.to_xml());
    fw.advance(Duration::from_millis(1100));
}

/// Pushes `group` and runs the job and every firewall's part to the end; returns the job.
fn push(fw: &mut Fw, group: &str) -> Element {
    let cmd = format!(
        "<commit-all><shared-policy><device-group><entry name=\"{group}\"/></device-group><description>push</description></shared-policy></commit-all>"
    );
    let resp = fw.call(&[("type", "commit"), ("action", "all"), ("cmd", &cmd)]);
    assert_eq!(status(&resp).0, "success", "{}", resp.to_xml());
    let id = resp
        .descend(&["result", "job"])
        .map(|j| j.text.clone())
        .expect("a push job");
    fw.advance(Duration::from_millis(1600));
    let job = fw.op(&format!("<show><jobs><id>{id}</id></jobs></show>"));
    job.descend(&["result", "job"]).expect("job").clone()
}

fn device_results(job: &Element) -> BTreeMap<String, String> {
    job.child("devices")
        .map(|d| {
            d.children_named("entry")
                .map(|e| {
                    (
                        e.child_text("serial-no").unwrap_or_default().to_owned(),
                        e.child_text("result").unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The first rule `serial` matches for tcp/443 from `source` to `destination`, asked through
/// Panorama (each firewall's own rulebase ends with its local deny `Clean up`).
fn matched(fw: &mut Fw, serial: &str, source: &str, destination: &str) -> Option<String> {
    let cmd = format!(
        "<test><security-policy-match><source>{source}</source><destination>{destination}</destination><protocol>6</protocol><destination-port>443</destination-port><from>untrust</from><to>trust</to></security-policy-match></test>"
    );
    let resp = fw.call(&[("type", "op"), ("cmd", &cmd), ("target", serial)]);
    assert_eq!(status(&resp).0, "success", "{}", resp.to_xml());
    let entry = resp.descend(&["result", "rules", "entry"])?;
    let name = entry
        .attr("name")
        .map(str::to_owned)
        .or_else(|| Some(entry.text.clone()))?;
    (!name.ends_with("-default")).then_some(name)
}

fn sync_status(fw: &mut Fw) -> BTreeMap<String, (String, String)> {
    let resp = fw.op("<show><devicegroups/></show>");
    let groups = resp
        .descend(&["result", "devicegroups"])
        .expect("groups")
        .clone();
    let mut out = BTreeMap::new();
    for group in groups.children_named("entry") {
        for device in group
            .child("devices")
            .into_iter()
            .flat_map(|d| d.children_named("entry"))
        {
            out.insert(
                device.child_text("serial").unwrap_or_default().to_owned(),
                (
                    group.attr("name").unwrap_or_default().to_owned(),
                    device
                        .child_text("shared-policy-status")
                        .unwrap_or_default()
                        .to_owned(),
                ),
            );
        }
    }
    out
}

#[test]
fn a_commit_to_panorama_changes_no_firewall_until_the_push() {
    let mut fw = panorama();
    let info = fw.op("<show><system><info/></system></show>");
    assert_eq!(
        info.descend(&["result", "system", "model"])
            .map(|m| m.text.as_str()),
        Some("Panorama")
    );
    let resp = fw.set(
        &format!("{DG}/pre-rulebase/security/rules"),
        &rule("partner-web", "untrust", "198.51.100.0/24", "10.0.1.10"),
    );
    assert_eq!(status(&resp).0, "success", "{}", lines(&resp));
    commit(&mut fw);
    assert_eq!(
        matched(&mut fw, A, "198.51.100.7", "10.0.1.10").as_deref(),
        Some(CLEAN_UP)
    );
    assert_eq!(
        sync_status(&mut fw)[A].1,
        "Out of Sync",
        "committed, not pushed"
    );

    let job = push(&mut fw, "aws");
    assert_eq!(job.child_text("type"), Some("CommitAll"));
    assert_eq!(job.child_text("dgname"), Some("aws"));
    let results = device_results(&job);
    assert_eq!(results.len(), 2, "only the group's firewalls: {results:?}");
    assert_eq!(results[A], "OK");
    assert_eq!(results[B], "OK");
    for serial in [A, B] {
        assert_eq!(
            matched(&mut fw, serial, "198.51.100.7", "10.0.1.10").as_deref(),
            Some("partner-web"),
            "{serial} evaluates the pushed rule"
        );
    }
    assert_eq!(
        matched(&mut fw, OTHER, "198.51.100.7", "10.0.1.10").as_deref(),
        Some(CLEAN_UP)
    );
    let status = sync_status(&mut fw);
    assert_eq!(status[A], ("aws".into(), "In Sync".into()));
    assert_eq!(status[OTHER].0, "branch");
}

#[test]
fn firewall_results_stay_pending_for_a_while_after_the_job() {
    let mut fw = panorama();
    let cmd = "<commit-all><shared-policy><device-group><entry name=\"aws\"/></device-group></shared-policy></commit-all>";
    let resp = fw.call(&[("type", "commit"), ("action", "all"), ("cmd", cmd)]);
    let id = resp.descend(&["result", "job"]).expect("job").text.clone();
    fw.advance(Duration::from_millis(1100));
    let job = fw.op(&format!("<show><jobs><id>{id}</id></jobs></show>"));
    let job = job.descend(&["result", "job"]).expect("job");
    assert_eq!(job.child_text("status"), Some("FIN"));
    assert!(
        device_results(job).values().all(|r| r == "PEND"),
        "{}",
        job.to_xml()
    );
    fw.advance(Duration::from_millis(600));
    let job = fw.op(&format!("<show><jobs><id>{id}</id></jobs></show>"));
    let job = job.descend(&["result", "job"]).expect("job");
    assert!(
        device_results(job).values().all(|r| r == "OK"),
        "{}",
        job.to_xml()
    );
}

#[test]
fn a_zone_the_firewall_lacks_fails_that_push_and_panorama_never_checks_zones() {
    let mut fw = panorama();
    let resp = fw.set(
        &format!("{DG}/pre-rulebase/security/rules"),
        &rule("to-dmz", "dmz", "any", "any"),
    );
    assert_eq!(
        status(&resp).0,
        "success",
        "zones live in templates: {}",
        lines(&resp)
    );
    commit(&mut fw);
    let job = push(&mut fw, "aws");
    assert_eq!(device_results(&job)[A], "FAIL");
    assert_eq!(job.child_text("result"), Some("FAIL"));
    let errors = job.to_xml();
    assert!(
        errors.contains("from 'dmz' is not a valid reference"),
        "{errors}"
    );
    assert_eq!(sync_status(&mut fw)[A].1, "Out of Sync");
}

#[test]
fn faults_fail_one_push_or_leave_a_firewall_out_of_sync() {
    let mut fw = panorama();
    fw.set(
        &format!("{DG}/pre-rulebase/security/rules"),
        &rule("partner-web", "untrust", "198.51.100.0/24", "10.0.1.10"),
    );
    commit(&mut fw);
    panos_sim::server::apply_faults(
        &mut fw.state,
        FaultPlan {
            fail_pushes: BTreeMap::from([(B.to_owned(), 1)]),
            out_of_sync_pushes: BTreeMap::from([(A.to_owned(), 1)]),
            ..FaultPlan::default()
        },
    );
    let job = push(&mut fw, "aws");
    let results = device_results(&job);
    assert_eq!(results[A], "OK", "the push says OK");
    assert_eq!(results[B], "FAIL");
    let status = sync_status(&mut fw);
    assert_eq!(status[A].1, "Out of Sync", "but A did not take it");
    assert_eq!(status[B].1, "Out of Sync");
    assert_eq!(
        matched(&mut fw, A, "198.51.100.7", "10.0.1.10").as_deref(),
        Some(CLEAN_UP)
    );
    let job = push(&mut fw, "aws");
    assert!(device_results(&job).values().all(|r| r == "OK"));
    assert_eq!(sync_status(&mut fw)[B].1, "In Sync");
}

#[test]
fn registrations_through_panorama_reach_one_firewall_and_its_pushed_dynamic_group() {
    let mut fw = panorama();
    fw.set(
        &format!("{DG}/address-group"),
        "<entry name=\"web\"><dynamic><filter>'palosync.sg-1'</filter></dynamic></entry>",
    );
    let resp = fw.set(
        &format!("{DG}/pre-rulebase/security/rules"),
        &rule("partner-web", "untrust", "198.51.100.0/24", "web"),
    );
    assert_eq!(status(&resp).0, "success", "{}", lines(&resp));
    commit(&mut fw);
    push(&mut fw, "aws");
    assert_eq!(
        matched(&mut fw, A, "198.51.100.7", "10.0.1.10").as_deref(),
        Some(CLEAN_UP),
        "no members yet"
    );
    let uid = "<uid-message><version>1.0</version><type>update</type><payload><register><entry ip=\"10.0.1.10\"><tag><member>palosync.sg-1</member></tag></entry></register></payload></uid-message>";
    let resp = fw.call(&[("type", "user-id"), ("cmd", uid), ("target", A)]);
    assert_eq!(status(&resp).0, "success", "{}", resp.to_xml());
    assert_eq!(
        matched(&mut fw, A, "198.51.100.7", "10.0.1.10").as_deref(),
        Some("partner-web")
    );
    assert_eq!(
        matched(&mut fw, B, "198.51.100.7", "10.0.1.10").as_deref(),
        Some(CLEAN_UP),
        "B holds its own registrations"
    );
    let unknown = fw.call(&[
        ("type", "op"),
        ("cmd", "<show><system><info/></system></show>"),
        ("target", "nope"),
    ]);
    assert_eq!(status(&unknown).0, "error");
}

#[test]
fn a_referenced_object_of_a_device_group_cannot_be_deleted() {
    let mut fw = panorama();
    fw.set(
        &format!("{DG}/address"),
        "<entry name=\"web1\"><ip-netmask>10.0.1.10/32</ip-netmask></entry>",
    );
    fw.set(
        &format!("{DG}/pre-rulebase/security/rules"),
        &rule("partner-web", "untrust", "any", "web1"),
    );
    let resp = fw.config("delete", &format!("{DG}/address/entry[@name='web1']"), &[]);
    assert_eq!(status(&resp).0, "error", "{}", resp.to_xml());
}

#[test]
fn a_device_group_rule_may_use_a_shared_profile_group() {
    let mut fw = panorama();
    let resp = fw.set("/config/shared/profile-group", "<entry name=\"default\"/>");
    assert_eq!(status(&resp).0, "success", "{}", resp.to_xml());
    let with_profile = rule("partner-web", "untrust", "any", "any").replace(
        "<action>allow</action>",
        "<action>allow</action><profile-setting><group><member>default</member></group></profile-setting>",
    );
    let resp = fw.set(&format!("{DG}/pre-rulebase/security/rules"), &with_profile);
    assert_eq!(status(&resp).0, "success", "{}", lines(&resp));
}
