//! Real PAN-OS configurations (issue 12 item 11): the simulator starts on each third-party full
//! configuration in `tests/fixtures/real-world/` (provenance in its PROVENANCE.md), reads every
//! vsys and shared list back through `action=get` (candidate) and `action=show` (running)
//! exactly as the file holds it, and still takes a write and a commit on top. The PAN-OS 8.1 VM
//! captures (puppetlabs) are reassembled into one configuration, and the simulator's `get` of
//! each captured xpath must answer what that device answered.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use panos_sim::{Element, Simulator};
use support::{Fw, lines, status};

const FULL_CONFIGS: &[&str] = &[
    "ironskillet-10.1-sample-cloud-AWS-panos-full.xml",
    "ironskillet-10.2-sample-cloud-AWS-panos-full.xml",
    "ironskillet-11.0-sample-cloud-AWS-panos-full.xml",
    "ironskillet-11.0-sample-mgmt-static-panos-full.xml",
    "napalm-show-config-candidate-7.0-response.xml",
    "napalm-show-config-running-7.0-response.xml",
];

/// Every full configuration: the files, and the one rebuilt from the PAN-OS 8.1 captures.
fn full_configs() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = FULL_CONFIGS
        .iter()
        .map(|f| (f.to_string(), fixture(f)))
        .collect();
    out.push((
        "puppet-vm81-get-*.xml rebuilt".into(),
        puppet_vm81().0.to_xml(),
    ));
    out
}

fn fixture(name: &str) -> String {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "real-world",
        name,
    ]
    .iter()
    .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `<config>` of a file: the root itself, or `result/config` of a `show config` response.
fn config_of(xml: &str) -> Element {
    let root = Element::parse(xml).expect("fixture is XML");
    if root.name == "config" {
        return root;
    }
    root.descend(&["result", "config"])
        .cloned()
        .expect("a show-config response holds result/config")
}

/// What `get`/`show` put inside `<result>`, as parsed elements.
fn result_nodes(resp: &Element) -> Vec<Element> {
    resp.child("result")
        .map(|r| r.children.iter().map(|c| c.as_ref().clone()).collect())
        .unwrap_or_default()
}

/// Every (xpath, expected nodes) for the lists directly under each vsys and under shared,
/// found by walking the file's tree (not through the simulator's xpath code).
fn lists_of(config: &Element) -> Vec<(String, Vec<Element>)> {
    let mut out = Vec::new();
    let mut add_children = |prefix: String, holder: &Element| {
        let mut seen: Vec<&str> = Vec::new();
        for child in holder.children.iter() {
            if seen.contains(&child.name.as_str()) {
                continue;
            }
            seen.push(child.name.as_str());
            let same: Vec<Element> = holder.children_named(&child.name).cloned().collect();
            out.push((format!("{prefix}/{}", child.name), same));
        }
    };
    if let Some(shared) = config.child("shared") {
        add_children("/config/shared".into(), shared);
    }
    for device in config
        .child("devices")
        .into_iter()
        .flat_map(|d| d.children_named("entry"))
    {
        let dev = device.entry_name().expect("device entry has a name");
        for vsys in device
            .child("vsys")
            .into_iter()
            .flat_map(|v| v.children_named("entry"))
        {
            let name = vsys.entry_name().expect("vsys entry has a name");
            add_children(
                format!("/config/devices/entry[@name='{dev}']/vsys/entry[@name='{name}']"),
                vsys,
            );
        }
    }
    out
}

#[test]
fn every_real_configuration_loads_and_reads_back_list_by_list_as_the_file_holds_it() {
    for (file, xml) in full_configs() {
        let config = config_of(&xml);
        let mut fw = Fw::with(Simulator::builder().config_xml(xml.clone()));
        let lists = lists_of(&config);
        assert!(
            lists.iter().any(|(x, _)| x.ends_with("/rulebase")),
            "{file}: a vsys with a rulebase"
        );
        for (xpath, expected) in &lists {
            let got = fw.get(xpath);
            assert_eq!(status(&got), ("success", Some("19")), "{file} get {xpath}");
            let n = expected.len().to_string();
            let result = got.child("result").expect("result");
            assert_eq!(
                (result.attr("count"), result.attr("total-count")),
                (Some(n.as_str()), Some(n.as_str())),
                "{file} get {xpath}"
            );
            assert!(
                result_nodes(&got) == *expected,
                "{file}: get {xpath} differs from the file"
            );
            let shown = fw.config("show", xpath, &[]);
            assert!(
                result_nodes(&shown) == *expected,
                "{file}: show {xpath} differs from the file"
            );
        }
        let whole = fw.op("<show><config><running></running></config></show>");
        assert!(
            whole.descend(&["result", "config"]) == Some(&config),
            "{file}: show config running is the file's configuration"
        );
    }
}

#[test]
fn every_real_configuration_takes_a_write_and_commits_it() {
    for (file, xml) in full_configs() {
        let config = config_of(&xml);
        let vsys = lists_of(&config)
            .into_iter()
            .map(|(x, _)| x)
            .find(|x| x.contains("/vsys/entry"))
            .and_then(|x| x.rsplit_once('/').map(|(v, _)| v.to_string()))
            .expect("a vsys");
        let mut fw = Fw::with(Simulator::builder().config_xml(xml));
        let set = fw.set(
            &format!("{vsys}/address"),
            "<entry name='palosync-probe'><ip-netmask>192.0.2.10</ip-netmask></entry>",
        );
        assert_eq!(
            status(&set),
            ("success", Some("20")),
            "{file}: {}",
            lines(&set)
        );
        let commit = fw.call(&[("type", "commit"), ("cmd", "<commit></commit>")]);
        let id = commit
            .descend(&["result", "job"])
            .map(|j| j.text.clone())
            .unwrap_or_else(|| panic!("{file}: commit enqueued: {}", commit.to_xml()));
        fw.advance(Duration::from_secs(2));
        let job = fw.op(&format!("<show><jobs><id>{id}</id></jobs></show>"));
        let job = job.descend(&["result", "job"]).expect("job");
        assert_eq!(
            (job.child_text("status"), job.child_text("result")),
            (Some("FIN"), Some("OK")),
            "{file}: {}",
            job.to_xml()
        );
        let shown = fw.config(
            "show",
            &format!("{vsys}/address/entry[@name='palosync-probe']/ip-netmask"),
            &[],
        );
        assert_eq!(
            result_nodes(&shown),
            [Element::leaf("ip-netmask", "192.0.2.10")]
        );
    }
}

/// One configuration from the five `action=get` captures of the same PAN-OS 8.1 VM.
fn puppet_vm81() -> (Element, Vec<(&'static str, Element)>) {
    let captures = [
        ("/config/mgt-config", "puppet-vm81-get-mgt-config.xml"),
        (
            "/config/devices/entry/network",
            "puppet-vm81-get-network.xml",
        ),
        (
            "/config/devices/entry/deviceconfig",
            "puppet-vm81-get-deviceconfig.xml",
        ),
        ("/config/devices/entry/vsys", "puppet-vm81-get-vsys.xml"),
        (
            "/config/devices/entry/platform",
            "puppet-vm81-get-platform.xml",
        ),
    ];
    let mut device = Element::named("entry", "localhost.localdomain");
    let mut config = Element::new("config").with_attr("version", "8.1.0");
    let mut responses = Vec::new();
    for (xpath, file) in captures {
        let resp = Element::parse(&fixture(file)).expect("capture is XML");
        let node = resp
            .child("result")
            .and_then(|r| r.children.first())
            .map(|n| n.as_ref().clone())
            .expect("capture holds one node");
        if xpath == "/config/mgt-config" {
            config.push(node);
        } else {
            device.push(node);
        }
        responses.push((xpath, resp));
    }
    config.push(Element::new("devices").with_child(device));
    (config, responses)
}

#[test]
fn get_on_a_configuration_rebuilt_from_pan_os_8_1_captures_answers_what_that_device_answered() {
    let (config, captures) = puppet_vm81();
    let mut fw = Fw::with(
        Simulator::builder()
            .sw_version("8.1.0")
            .config_xml(config.to_xml()),
    );
    for (xpath, captured) in &captures {
        let got = fw.get(xpath);
        assert_eq!(
            (got.attr("status"), got.attr("code")),
            (captured.attr("status"), captured.attr("code")),
            "{xpath}"
        );
        let (ours, theirs) = (
            got.child("result").expect("result"),
            captured.child("result").expect("result"),
        );
        assert_eq!(ours.attrs.len(), theirs.attrs.len(), "{xpath}");
        for (k, v) in &theirs.attrs {
            assert_eq!(ours.attr(k), Some(v.as_str()), "{xpath} result @{k}");
        }
        assert!(
            ours.children == theirs.children,
            "{xpath}: the simulator's get differs from the device's"
        );
    }
}

#[test]
fn on_the_pan_os_8_1_vsys_objects_named_by_its_groups_and_tags_cannot_be_deleted() {
    let (config, _) = puppet_vm81();
    let mut fw = Fw::with(Simulator::builder().config_xml(config.to_xml()));
    let vsys = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']";
    let refused = |fw: &mut Fw, xpath: String| {
        let r = fw.config("delete", &xpath, &[]);
        assert_eq!(status(&r), ("error", Some("10")), "{xpath}");
        lines(&r)
    };
    assert_eq!(
        refused(&mut fw, format!("{vsys}/service/entry[@name='srv']")),
        "srv cannot be deleted because of references from:\n \
         vsys -> vsys1 -> service-group -> srvgrp -> members"
    );
    assert_eq!(
        refused(&mut fw, format!("{vsys}/address/entry[@name='address']")),
        "address cannot be deleted because of references from:\n \
         vsys -> vsys1 -> address-group -> address group -> static"
    );
    assert_eq!(
        refused(&mut fw, format!("{vsys}/tag/entry[@name='a']")),
        "a cannot be deleted because of references from:\n \
         vsys -> vsys1 -> service -> srv -> tag\n \
         vsys -> vsys1 -> address -> address -> tag\n \
         vsys -> vsys1 -> address -> address-1 -> tag\n \
         vsys -> vsys1 -> address -> address-2 -> tag\n \
         vsys -> vsys1 -> application-tag -> app -> tag"
    );
    let unused = fw.config(
        "delete",
        &format!("{vsys}/address/entry[@name='address-1']"),
        &[],
    );
    assert_eq!(status(&unused), ("success", Some("20")));
}
