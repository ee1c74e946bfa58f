//! Dynamic address groups: filters refused when they do not parse, members resolved from the
//! current registrations and the running group definition, policy match following registrations
//! without a commit, the device's `show object dynamic-address-group` shape, and the platform's
//! rule capacity failing a commit.

mod support;

use std::time::Duration;

use panos_sim::{Element, Simulator};
use support::{Fw, VSYS, lines, rules_xpath, status};

const FILTER: &str = "'palosync.sg-0abc' or ('web' and 'prod')";

fn commit(fw: &mut Fw) -> Element {
    let resp = fw.call(&[("type", "commit"), ("cmd", "<commit/>")]);
    let id = resp
        .descend(&["result", "job"])
        .map(|j| j.text.clone())
        .expect("commit enqueued");
    fw.advance(Duration::from_secs(2));
    let job = fw.op(&format!("<show><jobs><id>{id}</id></jobs></show>"));
    job.descend(&["result", "job"]).cloned().expect("job")
}

fn register(fw: &mut Fw, ip: &str, tags: &[&str]) {
    let members: String = tags
        .iter()
        .map(|t| format!("<member>{t}</member>"))
        .collect();
    let cmd = format!(
        "<uid-message><version>1.0</version><type>update</type><payload><register><entry ip=\"{ip}\"><tag>{members}</tag></entry></register></payload></uid-message>"
    );
    let resp = fw.call(&[("type", "user-id"), ("cmd", &cmd)]);
    assert_eq!(status(&resp).0, "success", "{}", resp.to_xml());
}

/// A DAG `web-sg`, a rule allowing ssh to it above `Clean up`, committed.
fn setup() -> Fw {
    let mut fw = Fw::new();
    fw.set(
        &format!("{VSYS}/tag"),
        "<entry name='palosync.sg-0abc'/><entry name='web'/><entry name='prod'/>",
    );
    let resp = fw.set(
        &format!("{VSYS}/address-group"),
        &format!(
            "<entry name='web-sg'><dynamic><filter>{}</filter></dynamic><description>members of sg-0abc</description><tag><member>web</member></tag></entry>",
            FILTER.replace('&', "&amp;")
        ),
    );
    assert_eq!(status(&resp), ("success", Some("20")), "{}", resp.to_xml());
    fw.set(
        &rules_xpath(),
        "<entry name='ssh-to-sg'><from><member>untrust</member></from><to><member>trust</member></to><source><member>any</member></source><destination><member>web-sg</member></destination><application><member>any</member></application><service><member>any</member></service><action>allow</action></entry>",
    );
    fw.config(
        "move",
        &format!("{}/entry[@name='ssh-to-sg']", rules_xpath()),
        &[("where", "top")],
    );
    assert_eq!(commit(&mut fw).child_text("result"), Some("OK"));
    fw
}

fn matched_rule(fw: &mut Fw, dst: &str) -> String {
    let resp = fw.op(&format!(
        "<test><security-policy-match><source>192.0.2.1</source><destination>{dst}</destination><protocol>6</protocol><destination-port>22</destination-port><from>untrust</from><to>trust</to><show-all>no</show-all></security-policy-match></test>"
    ));
    resp.descend(&["result", "rules"])
        .and_then(|r| r.children_named("entry").next())
        .and_then(|e| e.entry_name())
        .unwrap_or_default()
        .to_string()
}

/// (name, type) of each member of the group, as `show object dynamic-address-group` lists them.
fn dag_members(fw: &mut Fw, group: &str) -> Vec<(String, String)> {
    let resp = fw.op(&format!(
        "<show><object><dynamic-address-group><name>{group}</name></dynamic-address-group></object></show>"
    ));
    let entry = resp
        .descend(&["result", "dyn-addr-grp", "entry"])
        .unwrap_or_else(|| panic!("no group entry: {}", resp.to_xml()));
    assert_eq!(entry.child_text("group-name"), Some(group));
    assert_eq!(entry.child_text("vsys"), Some("vsys1"));
    entry
        .child("member-list")
        .map(|l| {
            l.children_named("entry")
                .map(|e| {
                    (
                        e.entry_name().unwrap_or_default().to_string(),
                        e.attr("type").unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn policy_match_follows_registrations_without_a_commit() {
    let mut fw = setup();
    assert_eq!(matched_rule(&mut fw, "10.0.1.5"), "Clean up");
    register(&mut fw, "10.0.1.5", &["palosync.sg-0abc"]);
    assert_eq!(matched_rule(&mut fw, "10.0.1.5"), "ssh-to-sg");
    // 'web' alone does not satisfy ('web' and 'prod'); adding 'prod' does.
    register(&mut fw, "10.0.1.6", &["web"]);
    assert_eq!(matched_rule(&mut fw, "10.0.1.6"), "Clean up");
    register(&mut fw, "10.0.1.6", &["prod"]);
    assert_eq!(matched_rule(&mut fw, "10.0.1.6"), "ssh-to-sg");
    let pending = fw.op("<check><pending-changes></pending-changes></check>");
    assert_eq!(pending.child_text("result"), Some("no"));
    let cmd = "<uid-message><version>1.0</version><type>update</type><payload><unregister><entry ip=\"10.0.1.5\"/></unregister></payload></uid-message>";
    fw.call(&[("type", "user-id"), ("cmd", cmd)]);
    assert_eq!(matched_rule(&mut fw, "10.0.1.5"), "Clean up");
}

#[test]
fn show_dynamic_address_group_lists_address_objects_and_registered_addresses() {
    let mut fw = setup();
    fw.set(
        &format!("{VSYS}/address"),
        "<entry name='H-10.0.2.9'><ip-netmask>10.0.2.9</ip-netmask><tag><member>palosync.sg-0abc</member></tag></entry><entry name='untagged'><ip-netmask>10.0.2.10</ip-netmask></entry>",
    );
    commit(&mut fw);
    register(&mut fw, "10.0.1.7", &["palosync.sg-0abc"]);
    register(&mut fw, "10.0.1.8", &["other"]);
    assert_eq!(
        dag_members(&mut fw, "web-sg"),
        vec![
            ("H-10.0.2.9".to_string(), "address-object".to_string()),
            ("10.0.1.7".to_string(), "registered-ip".to_string()),
        ]
    );
    assert_eq!(matched_rule(&mut fw, "10.0.2.9"), "ssh-to-sg");
    let all = fw
        .op("<show><object><dynamic-address-group><all/></dynamic-address-group></object></show>");
    let groups: Vec<&str> = all
        .descend(&["result", "dyn-addr-grp"])
        .expect("dyn-addr-grp")
        .children_named("entry")
        .filter_map(|e| e.child_text("group-name"))
        .collect();
    assert_eq!(groups, ["web-sg"]);
    let filter = all
        .descend(&["result", "dyn-addr-grp", "entry", "filter"])
        .map(|f| f.text.clone());
    assert_eq!(filter.as_deref(), Some(FILTER));
}

#[test]
fn members_follow_the_running_group_definition_not_the_candidate() {
    let mut fw = setup();
    register(&mut fw, "10.0.1.5", &["prod"]);
    fw.set(
        &format!("{VSYS}/address-group/entry[@name='web-sg']/dynamic"),
        "<filter>'prod'</filter>",
    );
    assert_eq!(matched_rule(&mut fw, "10.0.1.5"), "Clean up");
    assert!(dag_members(&mut fw, "web-sg").is_empty());
    assert_eq!(commit(&mut fw).child_text("result"), Some("OK"));
    assert_eq!(matched_rule(&mut fw, "10.0.1.5"), "ssh-to-sg");
    assert_eq!(
        dag_members(&mut fw, "web-sg"),
        vec![("10.0.1.5".to_string(), "registered-ip".to_string())]
    );
}

#[test]
fn a_filter_that_does_not_parse_is_refused_when_set() {
    let mut fw = Fw::new();
    for bad in ["'a' and", "('a' or 'b'", "a or b", "'a' 'b'"] {
        let resp = fw.set(
            &format!("{VSYS}/address-group"),
            &format!("<entry name='bad'><dynamic><filter>{bad}</filter></dynamic></entry>"),
        );
        assert_eq!(status(&resp), ("error", Some("12")), "{bad}");
        assert!(
            lines(&resp).contains("address-group -> bad -> dynamic -> filter is invalid"),
            "{}",
            lines(&resp)
        );
    }
    let got = fw.get(&format!("{VSYS}/address-group/entry[@name='bad']"));
    assert_eq!(status(&got), ("success", Some("7")));
}

#[test]
fn a_rule_naming_a_missing_dynamic_group_is_refused_like_any_missing_address() {
    let mut fw = Fw::new();
    let resp = fw.add_rule("r1", "no-such-dag");
    assert_eq!(status(&resp), ("error", Some("12")));
    assert!(
        lines(&resp).contains("'no-such-dag' is not a valid reference"),
        "{}",
        lines(&resp)
    );
}

#[test]
fn a_commit_over_max_rules_fails_naming_the_limit() {
    let mut fw = Fw::with(Simulator::builder().max_rules(2));
    fw.add_rule("r1", "10.0.0.1");
    assert_eq!(commit(&mut fw).child_text("result"), Some("OK"));
    fw.add_rule("r2", "10.0.0.2");
    let failed = commit(&mut fw);
    assert_eq!(failed.child_text("result"), Some("FAIL"));
    assert!(
        lines(&failed).contains("3 security rules exceed the maximum of 2"),
        "{}",
        lines(&failed)
    );
    let running = fw.config("show", &rules_xpath(), &[]);
    assert_eq!(support::result_rule_names(&running), ["Clean up", "r1"]);
}
